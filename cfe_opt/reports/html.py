"""A report as one self-contained HTML file: figures embedded as data (PNG, base64), styles in
the page, no script, nothing fetched from a network or a server. Deterministic: the same
document gives the same bytes."""

from __future__ import annotations

import base64
import struct

from cfe_opt.reports.cells import cells
from cfe_opt.reports.document import Document


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG (from its IHDR chunk)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


def render_html(document: Document, source: str) -> bytes:
    import jinja2

    from cfe_opt.version import package_version

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("cfe_opt.reports", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    sections = []
    for section in document.sections:
        figures = []
        for figure in section.figures:
            width, height = png_size(figure.png)
            figures.append({"caption": figure.caption, "width": width, "height": height,
                            "data": base64.b64encode(figure.png).decode("ascii")})
        sections.append({"title": section.title, "paragraphs": section.paragraphs,
                         "figures": figures,
                         "tables": [cells(t) for t in section.tables]})
    page = environment.get_template("report.html.j2").render(
        doc={"title": document.title, "subtitle": document.subtitle,
             "narrative": document.narrative, "sections": sections,
             "assumptions": document.assumptions, "queries": document.queries,
             "provenance": document.provenance},
        version=package_version(), source=source)
    return page.encode("utf-8")
