"""Cases of one scenario: the file as written, with each case's ``changes`` merged in.

A scenario file may list ``cases``: named variants that differ from the file in a few fields (a
condition the letter sets, such as whether flank obligations are durable). Each case is the file
with ``changes`` merged as a file extending it would be: mappings merge key by key, other values
replace, ``null`` removes. Each case is validated as a whole scenario; an error in a changed
field is reported at its line in ``cases.NAME.changes``, any other error names the case. A
file's cases are its own: a file that extends it does not inherit them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from cfe_opt.errors import ScenarioError, ScenarioErrors
from cfe_opt.scenario.loader import Origin, RawScenario, SourceMap, _merge
from cfe_opt.scenario.yaml_safe import Path_, YamlDocument, format_path

FORBIDDEN = ("name", "extends", "cases")  # a case may not change these


@dataclass(frozen=True)
class CaseSourceMap(SourceMap):
    """A case's source map: an error in a changed field points at ``cases.NAME.changes``."""

    case: str = ""
    changed: frozenset[Path_] = frozenset()

    def error(self, path: Path_, reason: str) -> ScenarioError:
        origin = self.locate(path)
        written = next((tuple(path[:cut]) for cut in range(len(path), -1, -1)
                        if tuple(path[:cut]) in self.origins), ())
        if written in self.changed:
            shown = format_path(("cases", self.case, "changes", *path))
        else:
            shown = format_path(path)
            reason = f"{reason} (in case {self.case})"
        return ScenarioError(origin.file, shown, reason, line=origin.line)


def case_names(data: dict) -> list[str]:
    cases = data.get("cases")
    return list(cases) if isinstance(cases, dict) else []


def case_raw(raw: RawScenario, name: str) -> RawScenario:
    """The raw scenario of one case: the file without ``cases``, with the case's changes."""
    prefix: Path_ = ("cases", name, "changes")
    entry = raw.data["cases"][name]
    changes = entry.get("changes") or {} if isinstance(entry, dict) else {}
    problems = [raw.source_map.error((*prefix, key), f"a case may not change '{key}'")
                for key in changes if key in FORBIDDEN]
    if problems:
        raise ScenarioErrors(problems)
    base = {k: copy.deepcopy(v) for k, v in raw.data.items() if k != "cases"}
    origins = {p: o for p, o in raw.source_map.origins.items() if not p or p[0] != "cases"}
    lines = {p[len(prefix):]: o.line for p, o in raw.source_map.origins.items()
             if p[:len(prefix)] == prefix and o.line is not None}
    top = raw.source_map.top
    doc = YamlDocument(file=top, data=changes, lines=lines)
    before = dict(origins)
    data = _merge(base, copy.deepcopy(changes), (), doc, origins)
    data["name"] = f"{base.get('name', '')} — case {name}"
    origins[("name",)] = raw.source_map.origins.get(("name",), Origin(top, None))
    changed = frozenset(p for p, o in origins.items() if before.get(p) != o)
    source_map = CaseSourceMap(origins, top=top, case=name, changed=changed)
    return RawScenario(data=data, source_map=source_map, files=raw.files, root=raw.root)


def raw_of(scenario_data: dict, source_map: SourceMap, files: tuple[str, ...]) -> RawScenario:
    return RawScenario(data=scenario_data, source_map=source_map, files=files, root=Path.cwd())
