"""What a report is made from: a result folder (an output set with its run.json) or a study
store, checked before anything is read.

A result folder must be whole: its run.json lists every file in it with its size and sha256,
and each file must still match (a table edited or damaged since cfe-opt wrote it is refused,
never reported). A study store is opened by ``cfe_opt.study.open`` (which checks its own
manifest and row files).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfe_opt.errors import CfeOptError


class ReportError(CfeOptError):
    """Bad input to a report: one line, exit code 2."""

    exit_code = 2


@dataclass(frozen=True)
class ResultSet:
    folder: Path
    record: dict[str, Any]  # run.json
    record_sha256: str

    @property
    def command(self) -> str:
        return str(self.record.get("command", "?"))

    def path(self, name: str) -> Path:
        return self.folder / name

    def has(self, name: str) -> bool:
        return name in self.record.get("files", {})


@dataclass(frozen=True)
class StudyStore:
    folder: Path


def open_input(path: str | Path) -> ResultSet | StudyStore:
    """The result folder or study store at ``path``, checked (see the module docstring)."""
    from cfe_opt.outputs import RECORD, read_record

    folder = Path(path)
    shown = str(path)
    try:
        info = folder.stat()
    except FileNotFoundError:
        raise ReportError(f"{shown}: no such folder (give a result folder such as "
                          "out/talks_1998/solve, or a study store)") from None
    except OSError as exc:
        raise ReportError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    if not folder.is_dir():
        kind = "a file" if Path(folder).is_file() else "not a folder"
        raise ReportError(f"{shown}: {kind}, not a result folder or a study store")
    del info
    if (folder / "manifest.json").is_file() and (folder / "design.parquet").exists():
        return StudyStore(folder)
    if not (folder / RECORD).is_file():
        raise ReportError(f"{shown}: neither a result folder (no {RECORD}) nor a study store "
                          "(no manifest.json); give a folder a cfe-opt command wrote")
    record = read_record(folder)
    if record is None:
        raise ReportError(f"{shown}/{RECORD}: not a cfe-opt record (unreadable, or not "
                          "written by cfe-opt)")
    _check_whole(folder, record, shown)
    digest = hashlib.sha256((folder / RECORD).read_bytes()).hexdigest()
    return ResultSet(folder=folder, record=record, record_sha256=digest)


def _check_whole(folder: Path, record: dict[str, Any], shown: str) -> None:
    from cfe_opt.outputs import RECORD

    listed = record["files"]
    present = {entry.name for entry in os.scandir(folder)}
    missing = sorted(set(listed) - present)
    if missing:
        raise ReportError(f"{shown}: {', '.join(missing)} listed in {RECORD} but missing; "
                          "the set is not whole (run the command again)")
    extra = sorted(present - set(listed) - {RECORD})
    if extra:
        raise ReportError(f"{shown}: {', '.join(extra)} not written by the command that made "
                          f"this set (not in its {RECORD}); move it out of the folder")
    for name in sorted(listed):
        meta = listed[name]
        data = (folder / name).read_bytes()
        if not isinstance(meta, dict) or len(data) != meta.get("bytes") or (
                hashlib.sha256(data).hexdigest() != meta.get("sha256")):
            raise ReportError(f"{shown}/{name}: changed since cfe-opt wrote it (its size or "
                              f"sha256 differs from {RECORD}); run the command again")


def read_json(result: ResultSet, name: str) -> dict[str, Any]:
    try:
        data = json.loads(result.path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{result.folder}/{name}: not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{result.folder}/{name}: not a JSON object")
    return data


def read_table(result: ResultSet, name: str, index: list[str]) -> Any:
    """A CSV table of the set, indexed as cfe-opt wrote it."""
    import pandas as pd

    try:
        frame = pd.read_csv(result.path(name), keep_default_na=True)
    except (OSError, ValueError) as exc:
        raise ReportError(f"{result.folder}/{name}: not a readable table ({exc})") from None
    missing = [c for c in index if c not in frame.columns]
    if missing:
        raise ReportError(f"{result.folder}/{name}: no column {', '.join(missing)}")
    return frame.set_index(index) if index else frame
