"""models/data is a byte-identical copy of the research notes: every file is listed in
PROVENANCE.md with its sha256, and the checksum matches the file."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "models" / "data"
ROW = re.compile(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$")


def _listed() -> dict[str, str]:
    text = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for line in text.splitlines() if (m := ROW.match(line))}


def test_every_data_file_is_listed_with_its_checksum():
    listed = _listed()
    present = {p.name for p in DATA.iterdir() if p.is_file() and p.name != "PROVENANCE.md"}
    assert present == set(listed), (f"unlisted: {sorted(present - set(listed))}; "
                                    f"listed but missing: {sorted(set(listed) - present)}")
    for name, digest in sorted(listed.items()):
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name


def test_the_four_third_pass_tables_are_present():
    for name in ("holdings_russia_flank_usa.csv", "flank_document_1996.csv",
                 "positions_1996_2000.csv", "reductions_outstanding_1994.csv"):
        assert name in _listed()
