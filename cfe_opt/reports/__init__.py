"""Reports: a result folder or a study store as one file to hand on — HTML (self-contained),
Markdown or Excel — with findings in sentences, tables, figures, the assumptions and the
provenance (``cfe-opt report DIR --format html|md|xlsx --out FILE``).

Not to be confused with ``cfe_opt.report``, the text summaries the commands print. Layers: a
report reads what the commands wrote (and, for a study, the store's analyses); nothing below
imports it.

    >>> from cfe_opt.reports import build_document, render
    >>> document = build_document("out/talks_1998/solve")
    >>> html = render(document, "html", source="out/talks_1998/solve")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfe_opt.reports.document import Document
from cfe_opt.reports.sources import ReportError, ResultSet, StudyStore, open_input

FORMATS = {"html": ".html", "md": ".md", "xlsx": ".xlsx"}

__all__ = ["FORMATS", "Document", "ReportError", "build_document", "render", "write_report"]


def build_document(path: str | Path, **study_options: Any) -> Document:
    """The report's content for a result folder or a study store (checked first)."""
    source = open_input(path)
    if isinstance(source, StudyStore):
        from cfe_opt.reports.study_store import study_document

        return study_document(source, **study_options)
    assert isinstance(source, ResultSet)
    if source.command == "solve":
        from cfe_opt.reports.solve_set import solve_document

        return solve_document(source)
    if source.command == "study diff":
        from cfe_opt.reports.diff_set import diff_document

        return diff_document(source)
    from cfe_opt.reports.output_set import output_set_document

    return output_set_document(source)


def render(document: Document, form: str, source: str) -> bytes:
    """The document as bytes in ``form`` (html, md or xlsx)."""
    _needs({"html": "jinja2", "xlsx": "xlsxwriter"}.get(form))
    if form == "html":
        from cfe_opt.reports.html import render_html

        return render_html(document, source)
    if form == "md":
        from cfe_opt.reports.markdown import render_markdown

        return render_markdown(document, source)
    if form == "xlsx":
        from cfe_opt.reports.excel import render_excel

        return render_excel(document, source)
    raise ReportError(f"unknown report format '{form}' (choose html, md or xlsx)")


def _needs(module: str | None) -> None:
    """A format's library, or a one-line error saying how to install it."""
    if module is None:
        return
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ReportError(f"this report format needs the Python package {module}, which is "
                          "not installed: pip install 'cfe-opt[report]'")


def write_report(path: str | Path, form: str, out: Path, **study_options: Any) -> Path:
    """Build, render and write (atomically) the report of ``path`` to ``out``."""
    from cfe_opt.io import write_atomic

    document = build_document(path, **study_options)
    data = render(document, form, source=Path(path).name or str(path))
    write_atomic(out, data)
    return out
