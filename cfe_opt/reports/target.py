"""Where a report goes and in what format, checked before anything is built.

``--format`` names the format; without it, ``--out``'s suffix does (``.html``/``.htm``,
``.md``, ``.xlsx``), else HTML. The default file sits beside the input folder:
``out/talks_1998/solve`` → ``out/talks_1998/solve.html``; for one case's set inside the folder
of a file's cases (its ``run.json`` names that folder as ``output_root``), beside that folder,
so that the next solve of the file still finds only its own sets there:
``out/talks_1998/solve/base`` → ``out/talks_1998/solve-base.html``. Refused: an empty path, a
folder, a symbolic link, a path under a file, a system folder, a file inside the input folder (a
result set lists exactly its own files, a store its own), and a suffix that contradicts
--format.
"""

from __future__ import annotations

import os
from pathlib import Path

from cfe_opt.reports.sources import ReportError

SUFFIXES = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".xlsx": "xlsx"}
EXTENSION = {"html": ".html", "md": ".md", "xlsx": ".xlsx"}
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev", "/run")


def _cases_folder(source: Path) -> Path | None:
    """The folder of a file's case sets that ``source`` is one set of, if its run.json says so
    (``parameters.output_root`` is ``source``'s parent); None otherwise, also for a run.json
    that cannot be read (the report's own checks say why, later)."""
    import json

    try:
        record = json.loads((source / "run.json").read_text(encoding="utf-8"))
        root = Path(str(record["parameters"]["output_root"])).resolve()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    here = source.resolve()
    return root if root == here.parent and root != here else None


def report_target(source: Path, out: str | None, form: str | None) -> tuple[Path, str]:
    """The file to write and its format (see the module docstring)."""
    if out is not None:
        if not out.strip():
            raise ReportError("--out '': an empty path; give the report's file name")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in out):
            raise ReportError(f"--out {out!r}: control characters in a file name")
        path = Path(out)
        implied = SUFFIXES.get(path.suffix.lower())
        if form is None:
            form = implied or "html"
        elif path.suffix and implied is not None and implied != form:
            raise ReportError(f"--out {out}: a {path.suffix} file for --format {form}; name it "
                              f"{path.with_suffix(EXTENSION[form]).name} or drop --format")
        label = f"--out {out}"
    else:
        form = form or "html"
        name = source.resolve().name or "report"
        beside = source.resolve().parent
        root = _cases_folder(source)
        if root is not None:  # one case's set: beside the folder of the file's cases
            name, beside = f"{root.name}-{name}", root.parent
        path = beside / f"{name}{EXTENSION[form]}"
        label = f"report file {path}"
    absolute = Path(os.path.abspath(path))
    if path.name in ("", ".", ".."):
        raise ReportError(f"{label}: names a folder; give the report's file name")
    if any(absolute == Path(s) or absolute.is_relative_to(s) for s in SYSTEM_FOLDERS):
        raise ReportError(f"{label}: a system folder; give a file of your own")
    if path.is_symlink():
        raise ReportError(f"{label}: a symbolic link; give the file itself")
    if path.is_dir():
        raise ReportError(f"{label}: a folder; give the report's file name (e.g. "
                          f"{Path(out or '.') / ('report' + EXTENSION[form])})")
    probe = absolute.parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise ReportError(f"{label}: {probe} is a file, so nothing can be written under it")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ReportError(f"{label}: cannot write in {probe} (permission denied)")
    inside = source.resolve()
    if absolute.parent.resolve() == inside or absolute.resolve().is_relative_to(inside):
        raise ReportError(f"{label}: inside {source}, which lists exactly the files cfe-opt "
                          "wrote there; write the report beside it")
    return path, form
