"""Reading docs/outputs.md: which files and columns it documents (for the tests that keep it in
step with what the commands write)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "outputs.md"
PLACEHOLDER = re.compile(r"<[a-z]+>")
# run.json and summary.json maps whose keys are names, not fixed fields: documented as <name>
DYNAMIC = {"scenario.file_sha256": "<file>", "parameters": "<option>", "versions": "<package>",
           "resolved": "<key>", "outcome": "<key>", "files": "<file>"}
# the named outcomes of the bundled scenarios (``outcomes:``), the only names <outcome> stands for
OUTCOMES = {"flank_acv_active", "flank_acv_total", "flank_tanks_total", "flank_artillery_total",
            "poland_tc_tanks", "poland_tc_acv", "poland_tc_artillery", "poland_reduction"}
LEAVES = {"scenario.file_sha256", "parameters", "versions", "resolved", "outcome"}


def documented() -> dict[str, list[str]]:
    """File name → the columns (or JSON keys) its section lists, in order; a row
    ``*columns of `X`*`` stands for X's columns."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        head = re.match(r"^### `([^`]+)`\s*$", line)
        if head:
            current = head.group(1)
            sections[current] = []
            continue
        if current is None or not line.startswith("|"):
            continue
        cell = line.split("|")[1].strip()
        ref = re.fullmatch(r"\*columns of `([^`]+)`\*", cell)
        if ref:
            sections[current].append(f"@{ref.group(1)}")
            continue
        name = re.fullmatch(r"`([^`]+)`", cell)
        if name:
            sections[current].append(name.group(1))
    return {name: _expand(name, sections) for name in sections}


def _expand(name: str, sections: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    for column in sections[name]:
        out += _expand(column[1:], sections) if column.startswith("@") else [column]
    return out


def csv_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def json_keys(path: Path) -> set[str]:
    """The dotted keys of a JSON record, dynamic maps as their placeholder."""
    found: set[str] = set()

    def walk(node: object, prefix: str) -> None:
        if prefix in LEAVES:
            found.add(f"{prefix}.{DYNAMIC[prefix]}")
            return
        if isinstance(node, dict):
            if prefix in DYNAMIC:
                for child in node.values():
                    walk(child, f"{prefix}.{DYNAMIC[prefix]}")
                return
            for key, child in node.items():
                walk(child, f"{prefix}.{key}" if prefix else key)
        elif isinstance(node, list) and node and isinstance(node[0], dict):
            for child in node:
                walk(child, f"{prefix}[]")
        else:
            found.add(prefix)

    walk(json.loads(path.read_text(encoding="utf-8")), "")
    return found


def matches(column: str, documented_columns: list[str], parties: set[str]) -> bool:
    """A written column is documented by name, or by a placeholder (``<party>``: a party code;
    ``<package>``: a package number; ``in_range.<party>``)."""
    if column in documented_columns:
        return True
    for entry in documented_columns:
        if not PLACEHOLDER.search(entry):
            continue
        pattern = re.escape(entry)
        pattern = pattern.replace(re.escape("<party>"), "(?P<party>[A-Za-z][A-Za-z0-9_]*)")
        pattern = pattern.replace(re.escape("<package>"), r"\d+")
        pattern = pattern.replace(re.escape("<outcome>"), "(?P<outcome>[a-z][a-z0-9_]*)")
        found = re.fullmatch(pattern, column)
        if found and ("party" not in found.groupdict() or found.group("party") in parties) and (
                "outcome" not in found.groupdict() or found.group("outcome") in OUTCOMES):
            return True
    return False
