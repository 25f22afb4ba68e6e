"""Malformed scenario files: every problem is one line naming file, line, field path and reason.

The rule under test: bad input always gets ``cfe-opt: error: FILE:LINE: field.path: reason`` on
stderr (one line per problem) and exit code 2 — never a traceback, never a silently wrong answer.
Each case is a small YAML text written into a fresh ``models/`` folder; the working folder is the
folder holding ``models/``, so files display as ``models/case.yaml``.

Cases that show a bug in cfe_opt assert the correct behaviour and are marked
``xfail(strict=True, reason="BUG: …")``: when the bug is fixed they XPASS and fail, so the mark
must then be removed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import cfe_opt
from cfe_opt.cli import main
from cfe_opt.errors import ScenarioError, ScenarioErrors

# A minimal valid scenario. Line numbers used below:
#  5 AAA name · 6 AAA holdings · 7 AAA national_ceiling · 10 area north · 11 BBB
# 12 BBB name · 13 BBB territory · 14 BBB holdings · 15 BBB stationed · 16 groups · 17 ALL
BASE = """\
name: Minimal
categories: [tanks, acv]
parties:
  AAA:
    name: A-land
    holdings: {tanks: 300, acv: 100}
    national_ceiling: {tanks: 300, acv: 100}
    territorial_ceiling: {tanks: 300, acv: 100}
    areas:
      north: {holdings: {tanks: 50}, territorial_subceiling: {tanks: 80}}
  BBB:
    name: B-land
    territory: false
    holdings: {tanks: 20, acv: 0}
    stationed: {AAA: {tanks: 20}}
groups:
  ALL: {members: [AAA, BBB]}
"""

CASE = "models/case.yaml"  # how the file under test is displayed
ERROR = "cfe-opt: error: "

# (file, line or None, field path or "", key phrase of the reason)
Expected = tuple[str, int | None, str, str]


def edit(*changes: tuple[str, str], base: str = BASE) -> str:
    """BASE with each ``old`` (which must occur exactly once) replaced by ``new``."""
    text = base
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} must occur once"
        text = text.replace(old, new)
    return text


def position(*fields: str) -> str:
    """BASE with a position P for AAA; the extra fields are on lines 15, 16, …"""
    block = ("    positions:\n      P:\n"
             "        quantity: {of: national_ceiling, parties: [AAA], categories: [tanks]}\n"
             "        direction: at_most\n" + "".join(f"        {f}\n" for f in fields))
    return edit(("  BBB:\n", block + "  BBB:\n"))


def limit(body: str) -> str:
    """BASE with ``limits: {L: {body}}``; L is on line 17."""
    return edit(("groups:\n", f"limits:\n  L: {{{body}}}\ngroups:\n"))


def zone(members: str) -> str:
    """BASE with ``zones: {Z: {members: [...]}}``; Z is on line 17."""
    return edit(("groups:\n", f"zones:\n  Z: {{members: [{members}]}}\ngroups:\n"))


def bug(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"BUG: {reason}")


def case(id_: str, text: str, *expected: tuple[int | None, str, str],
         bug_reason: str | None = None) -> object:
    marks = [bug(bug_reason)] if bug_reason else []
    return pytest.param(text, [(CASE, *e) for e in expected], id=id_, marks=marks)


@pytest.fixture(autouse=True)
def _work_beside_models(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(models_dir.parent)


def write(models_dir: Path, name: str, text: str) -> Path:
    path = models_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run_validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """``cfe-opt validate PATH``: the exit code and stderr lines, after the common checks."""
    rc = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "internal error" not in err, err
    assert out == "", f"nothing should be printed on stdout for a bad file: {out!r}"
    lines = err.splitlines()
    assert lines, "an error must be reported"
    for line in lines:
        assert line.startswith(ERROR), line
    return rc, lines


def head(exp: Expected, prefix: str) -> str:
    file, line, field, _ = exp
    where = f"{file}:{line}" if line else file
    return f"{prefix}{where}: {field}: " if field else f"{prefix}{where}: "


def assert_errors(lines: list[str], expected: list[Expected], prefix: str = ERROR) -> None:
    """Exactly one line per expected problem, each with its file, line, field path and reason."""
    shown = "\n".join(lines)
    assert len(lines) == len(expected), f"expected {len(expected)} line(s), got:\n{shown}"
    for exp in expected:
        start = head(exp, prefix)
        hits = [ln for ln in lines if ln.startswith(start) and exp[3] in ln[len(start):]]
        assert len(hits) == 1, f"no line '{start}…{exp[3]}…' in:\n{shown}"


class _TooSlow(BaseException):
    """Raised by ``deadline``; a BaseException so the CLI's ``except Exception`` lets it pass."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Abort the block after ``seconds`` (a safety net against hangs; POSIX only)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def _alarm(signum: int, frame: object) -> None:
        raise _TooSlow(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---- one file, one (or a few) problems ------------------------------------------------------
CASES = [
    # -- YAML level
    case("duplicate-key-top-level", BASE + "name: Again\n",
         (18, "name", "duplicate key (YAML would silently keep only the last one)")),
    case("duplicate-key-nested",
         edit(("    territory: false\n", "    holdings: {tanks: 1}\n    territory: false\n")),
         (15, "parties.BBB.holdings", "duplicate key")),
    case("duplicate-key-in-flow-mapping", edit(("acv: 0}", "acv: 0, acv: 1}")),
         (14, "parties.BBB.holdings.acv", "duplicate key")),
    case("custom-tag", edit(("acv: 0}", "acv: !count 0}")),
         (14, "parties.BBB.holdings.acv", "unsupported YAML tag '!count'")),
    case("set-tag", edit(("categories: [tanks, acv]", "categories: !!set {tanks, acv}")),
         (2, "categories", "unsupported YAML tag")),
    case("binary-tag", edit(("name: B-land", "name: !!binary QkJC")),
         (12, "parties.BBB.name", "unsupported YAML tag")),
    case("merge-key", edit(("    territory: false\n", "    territory: false\n    <<: {x: 1}\n")),
         (14, "parties.BBB", "mapping keys must be plain names")),
    case("syntax-tab-indent", edit(("    name: B-land", "\tname: B-land")),
         (12, "", "found character '\\t' that cannot start any token")),
    case("syntax-colon-in-plain-value", edit(("    name: B-land", "    name: B-land: x")),
         (12, "", "invalid YAML: mapping values are not allowed here")),
    case("syntax-unclosed-flow-sequence", "name: x\ncategories: [tanks, acv\n",
         (3, "", "expected ',' or ']'")),
    case("empty-file", "", (None, "", "file is empty")),
    case("comments-only-file", "# nothing yet\n\n", (None, "", "file is empty")),
    case("top-level-list", "- name: x\n- parties: {}\n",
         (None, "", "a scenario file must be a mapping of fields")),
    case("top-level-scalar", "just some text\n",
         (None, "", "a scenario file must be a mapping of fields")),
    case("nesting-too-deep", "name: x\ndescription: " + "[" * 50 + "]" * 50 + "\n",
         (2, "", "nesting deeper than 40 levels")),
    # -- counts
    case("negative-count", edit(("acv: 100}\n    national", "acv: -5}\n    national")),
         (6, "parties.AAA.holdings.acv", "greater than or equal to 0 (got -5)")),
    case("fractional-count", edit(("acv: 100}\n    national", "acv: 1.5}\n    national")),
         (6, "parties.AAA.holdings.acv", "valid integer (got 1.5)")),
    case("boolean-count", edit(("acv: 100}\n    national", "acv: true}\n    national")),
         (6, "parties.AAA.holdings.acv", "valid integer (got True)")),
    case("huge-count", edit(("acv: 100}\n    national", "acv: 1000000000000}\n    national")),
         (6, "parties.AAA.holdings.acv", "less than or equal to 10000000 (got 1000000000000)")),
    case("count-one-over-max", edit(("acv: 100}\n    national", "acv: 10000001}\n    national")),
         (6, "parties.AAA.holdings.acv", "less than or equal to 10000000")),
    case("count-as-quoted-text", edit(("acv: 100}\n    national", "acv: '100'}\n    national")),
         (6, "parties.AAA.holdings.acv", "valid integer (got '100')")),
    case("count-null", edit(("acv: 100}\n    national", "acv: ~}\n    national")),
         (6, "parties.AAA.holdings.acv", "valid integer (got None)")),
    case("figure-mapping-negative-value",
         edit(("acv: 100}\n    national", "acv: {value: -1, source: x}}\n    national")),
         (6, "parties.AAA.holdings.acv.value", "greater than or equal to 0 (got -1)")),
    case("figure-mapping-without-value", edit(("acv: 0}", "acv: {source: HC 295}}")),
         (14, "parties.BBB.holdings.acv.value", "required field is missing")),
    case("figure-assumption-without-note", edit(("acv: 0}", "acv: {value: 0, assumption: true}}")),
         (14, "parties.BBB.holdings.acv", "an assumption needs a note")),
    case("count-octal-looking", edit(("acv: 100}\n    national", "acv: 0750}\n    national")),
         (6, "parties.AAA.holdings.acv",
          "write numbers in plain decimal (YAML would read '0750' as 488)")),
    case("count-sexagesimal-looking", edit(("acv: 100}\n    national", "acv: 1:30}\n    national")),
         (6, "parties.AAA.holdings.acv",
          "write numbers in plain decimal (YAML would read '1:30' as 90)")),
    # -- numbers in positions
    case("target-inf", position("target: .inf"),
         (15, "parties.AAA.positions.P.target", "must be a finite number (got inf)")),
    case("target-minus-inf", position("target: -.inf"),
         (15, "parties.AAA.positions.P.target", "must be a finite number (got -inf)")),
    case("target-nan", position("target: .nan"),
         (15, "parties.AAA.positions.P.target", "must be a finite number (got nan)")),
    case("target-too-large", position("target: 1.0e+12"),
         (15, "parties.AAA.positions.P.target", "must be at most 1,000,000,000 in size")),
    case("target-above-its-range", position("target: 250", "range: {min: 100, max: 200}"),
         (12, "parties.AAA.positions.P", "target 250 is above the acceptable range's max 200")),
    case("target-below-its-range", position("target: 50", "range: {min: 100, max: 200}"),
         (12, "parties.AAA.positions.P", "target 50 is below the acceptable range's min 100")),
    case("range-min-above-max", position("target: 150", "range: {min: 200, max: 100}"),
         (16, "parties.AAA.positions.P.range", "min (200) is above max (100)")),
    case("position-weight-zero", position("target: 150", "weight: 0"),
         (16, "parties.AAA.positions.P.weight", "greater than 0 (got 0)")),
    case("target-as-text", position("target: lots"),
         (15, "parties.AAA.positions.P.target", "number")),
    case("party-weight-as-text",
         edit(("    territory: false\n", "    territory: false\n    weight: heavy\n")),
         (14, "parties.BBB.weight", "number")),
    # -- unknown keys and values
    case("unknown-top-level-key", BASE + "limts: {}\n",
         (18, "limts", "unknown field 'limts' (did you mean 'limits'?)")),
    case("unknown-top-level-key-plural", BASE + "group: {}\n",
         (18, "group", "unknown field 'group' (did you mean 'groups'?)")),
    case("unknown-party-key",
         edit(("    territory: false\n", "    territory: false\n    stationd: {}\n")),
         (14, "parties.BBB.stationd", "unknown field 'stationd' (did you mean 'stationed'?)")),
    case("unknown-area-key", edit(("north: {holdings", "north: {sub_ceiling: true, holdings")),
         (10, "parties.AAA.areas.north.sub_ceiling",
          "unknown field 'sub_ceiling' (did you mean 'subceiling'?)")),
    case("unknown-figure-key", edit(("acv: 0}", "acv: {value: 0, sauce: x}}")),
         (14, "parties.BBB.holdings.acv.sauce", "unknown field 'sauce' (did you mean 'source'?)")),
    case("unknown-category-key", edit(("national_ceiling: {tanks: 300,",
                                       "national_ceiling: {tank: 300,")),
         (7, "parties.AAA.national_ceiling.tank", "input should be 'tanks', 'acv', 'artillery', "
                                                  "'combat_aircraft' or 'attack_helicopters' "
                                                  "(got 'tank')")),
    case("unknown-scenario-category", edit(("[tanks, acv]", "[tanks, acv, apc]")),
         (2, "categories[2]", "(got 'apc')")),
    case("category-listed-twice", edit(("[tanks, acv]", "[tanks, acv, tanks]")),
         (2, "categories", "lists a category twice")),
    case("no-categories", edit(("[tanks, acv]", "[]")),
         (2, "categories", "at least 1 item")),
    case("party-code-not-a-name", edit(("  BBB:\n", "  B-B:\n"), ("AAA, BBB]", "AAA]")),
         (11, "parties.B-B", "string should match pattern")),
    case("territory-as-text", edit(("territory: false", "territory: 'false'")),
         (13, "parties.BBB.territory", "valid boolean (got 'false')")),
    case("settings-tie-break", BASE + "settings: {tie_break: random}\n",
         (18, "settings.tie_break", "input should be 'status_quo' or 'none' (got 'random')")),
    # -- wrong shapes
    case("list-where-mapping-expected", edit(("holdings: {tanks: 20, acv: 0}",
                                              "holdings: [20, 0]")),
         (14, "parties.BBB.holdings", "input should be a valid dictionary")),
    case("parties-as-list", "name: x\ncategories: [tanks]\nparties: [AAA, BBB]\n",
         (3, "parties", "input should be a valid dictionary")),
    case("text-where-mapping-expected", edit(("holdings: {tanks: 20, acv: 0}",
                                              "holdings: plenty")),
         (14, "parties.BBB.holdings", "valid dictionary (got 'plenty')")),
    case("name-as-list", edit(("name: Minimal", "name: [a, b]")),
         (1, "name", "input should be a valid string")),
    case("empty-member-list", edit(("members: [AAA, BBB]", "members: []")),
         (17, "groups.ALL.members", "at least 1 item")),
    # -- required fields
    case("missing-scenario-name", edit(("name: Minimal\n", "")),
         (None, "name", "required field is missing")),
    case("missing-party-name", edit(("    name: B-land\n", "")),
         (11, "parties.BBB.name", "required field is missing")),
    case("missing-party-holdings", edit(("    holdings: {tanks: 20, acv: 0}\n", "")),
         (11, "parties.BBB.holdings.tanks", "holdings for tanks are missing"),
         (11, "parties.BBB.holdings.acv", "holdings for acv are missing")),
    case("missing-holdings-for-one-category", edit(("{tanks: 20, acv: 0}", "{tanks: 20}")),
         (14, "parties.BBB.holdings.acv", "holdings for acv are missing")),
    case("scenario-category-without-holdings", edit(("[tanks, acv]", "[tanks, acv, artillery]")),
         (6, "parties.AAA.holdings.artillery", "holdings for artillery are missing"),
         (14, "parties.BBB.holdings.artillery", "holdings for artillery are missing")),
    case("position-without-direction",
         position("target: 5").replace("        direction: at_most\n", ""),
         (12, "parties.AAA.positions.P.direction", "required field is missing")),
    # -- groups and zones
    case("group-names-unknown-party", edit(("[AAA, BBB]", "[AAA, BBB, CCC]")),
         (17, "groups.ALL.members[2]", "'CCC' is not a party or group")),
    case("group-cycle", edit(("[AAA, BBB]}\n", "[AAA, BBB, SUB]}\n  SUB: {members: [ALL]}\n")),
         (17, "groups.ALL.members", "groups contain each other: ALL → SUB → ALL"),
         (18, "groups.SUB.members", "groups contain each other: SUB → ALL → SUB")),
    case("group-contains-itself", edit(("[AAA, BBB]", "[AAA, BBB, ALL]")),
         (17, "groups.ALL.members", "groups contain each other: ALL → ALL")),
    case("group-named-like-a-party", edit(("  ALL:", "  BBB:")),
         (17, "groups.BBB", "'BBB' is already a party code")),
    case("zone-area-of-unknown-party", zone("RUS.nowhere"),
         (17, "zones.Z.members[0]", "'RUS' in 'RUS.nowhere' is not a party")),
    case("zone-unknown-area", zone("AAA.nowhere"),
         (17, "zones.Z.members[0]", "'AAA' has no area 'nowhere' (its areas: north)")),
    case("zone-unknown-member", zone("AAA.north, XYZ"),
         (17, "zones.Z.members[1]", "'XYZ' is not a party, PARTY.area, group or zone")),
    # -- parties, areas, stationing
    case("territorial-ceiling-without-territory",
         edit(("    territory: false\n",
               "    territory: false\n    territorial_ceiling: {tanks: 20}\n")),
         (14, "parties.BBB.territorial_ceiling", "a party with no territory in the area of "
                                                 "application has no territorial ceiling")),
    case("stationed-exceeds-holdings-no-territory",
         edit(("{AAA: {tanks: 20}}", "{AAA: {tanks: 25}}")),
         (14, "parties.BBB.holdings.tanks",
          "all its 20 tanks must be stationed abroad (stationed lists 25)")),
    case("stationed-exceeds-holdings",
         edit(("  BBB:\n", "    stationed: {CCC: {tanks: 400}}\n"
                           "  CCC: {name: C-land, holdings: {tanks: 0, acv: 0}}\n  BBB:\n")),
         (6, "parties.AAA.holdings.tanks",
          "300 held, but its areas hold 50 and 400 are stationed")),
    case("area-holds-more-than-party", edit(("north: {holdings: {tanks: 50}",
                                             "north: {holdings: {tanks: 500}")),
         (6, "parties.AAA.holdings.tanks", "300 held, but its areas hold 500")),
    case("area-stores-more-than-it-holds",
         edit(("north: {holdings", "north: {storage: {tanks: 60}, holdings")),
         (10, "parties.AAA.areas.north.storage.tanks",
          "60 in storage but only 50 held in the area")),
    case("area-named-main",
         edit(("      north:", "      main: {holdings: {tanks: 1}}\n      north:")),
         (10, "parties.AAA.areas.main", "'main' is reserved")),
    case("stationed-on-own-territory",
         edit(("{AAA: {tanks: 20}}", "{AAA: {tanks: 10}, BBB: {tanks: 10}}")),
         (15, "parties.BBB.stationed.BBB",
          "a party does not station equipment on its own territory")),
    case("stationed-in-a-group", edit(("{AAA: {tanks: 20}}", "{ALL: {tanks: 20}}")),
         (15, "parties.BBB.stationed.ALL", "'ALL' is a group; station in a party or PARTY.area")),
    case("temporary-deployment-host-without-territory",
         BASE + "temporary_deployments:\n  T: {hosts: [BBB], allowance: {tanks: 5}}\n",
         (19, "temporary_deployments.T.hosts[0]", "'BBB' has no territory to host deployments")),
    # -- quantities, limits
    case("territorial-ceiling-over-area-without-subceiling",
         edit(("      north:", "      south: {holdings: {tanks: 10}}\n      north:"),
              ("  BBB:\n", "    positions:\n      P: {quantity: {of: territorial_ceiling, "
                           "areas: [AAA.south], categories: [tanks]}, direction: at_most, "
                           "target: 5}\n  BBB:\n")),
         (13, "parties.AAA.positions.P.quantity.areas[0]",
          "'AAA.south' has no territorial sub-ceiling")),
    case("quantity-names-unknown-party", position("target: 1").replace("parties: [AAA]",
                                                                       "parties: [ZZZ]"),
         (13, "parties.AAA.positions.P.quantity.parties[0]", "'ZZZ' is not a party or group")),
    case("quantity-of-unknown-kind", position("target: 1").replace("of: national_ceiling",
                                                                   "of: stuff"),
         (13, "parties.AAA.positions.P.quantity.of", "(got 'stuff')")),
    case("quantity-no-terms", position("target: 1").replace(
        "{of: national_ceiling, parties: [AAA], categories: [tanks]}", "{terms: []}"),
         (13, "parties.AAA.positions.P.quantity.terms", "at least 1 item")),
    case("unknown-limit-type", limit("type: cap, quantity: {of: holdings}, sense: '<=', value: 5"),
         (17, "limits.L", "'type' must be one of: sum, freeze, reciprocity, equal_treatment")),
    case("limit-sense-unknown", limit("quantity: {of: holdings}, sense: '<', value: 5"),
         (17, "limits.L.sense", "input should be '<=', '>=' or '==' (got '<')")),
    case("limit-per-unknown",
         limit("quantity: {of: holdings}, sense: '<=', value: 5, per: [state]"),
         (17, "limits.L.per[0]", "input should be 'party' or 'category' (got 'state')")),
    case("limit-ratio-negative",
         limit("type: reciprocity, subject: {of: holdings, parties: [AAA]}, "
               "reference: {of: holdings, parties: [BBB]}, ratio: -1"),
         (17, "limits.L.ratio", "must be at least 0 (got -1)")),
    case("limit-missing-reference", limit("type: equal_treatment, of: holdings, subject: [AAA]"),
         (17, "limits.L.reference", "required field is missing")),
    case("freeze-without-current-figure",
         limit("type: freeze, of: national_ceiling, parties: [BBB], categories: [tanks]"),
         (17, "limits.L.parties[0]", "'BBB' has no current national_ceiling for tanks")),
    case("freeze-unknown-area",
         limit("type: freeze, of: territorial_ceiling, parties: [AAA], areas: [AAA.south]"),
         (17, "limits.L.areas[0]", "'AAA' has no area 'south' (its areas: north)")),
    case("limit-with-value-and-values",
         limit("quantity: {of: national_ceiling, categories: [tanks]}, sense: '<=', value: 100, "
               "values: {tanks: 100}, per: [category]"),
         (17, "limits.L", "give exactly one of 'value' (one figure) or 'values' (per category)")),
    case("limit-with-neither-value-nor-values",
         limit("quantity: {of: national_ceiling}, sense: '<='"),
         (17, "limits.L", "give exactly one of 'value'")),
    case("red-line-with-value-and-values",
         edit(("  BBB:\n", "    red_lines:\n      R: {quantity: {of: holdings}, sense: '>=', "
                           "value: 1, values: {tanks: 1}, per: [category]}\n  BBB:\n")),
         (12, "parties.AAA.red_lines.R", "give exactly one of 'value'")),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_validate_reports_one_line_per_problem(models_dir, capsys, text, expected):
    path = write(models_dir, "case.yaml", text)
    rc, lines = run_validate(path, capsys)
    assert rc == 2
    assert_errors(lines, expected)


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_load_scenario_raises_one_line_per_problem(models_dir, text, expected):
    path = write(models_dir, "case.yaml", text)
    with pytest.raises((ScenarioError, ScenarioErrors)) as info:
        cfe_opt.load_scenario(path)
    exc = info.value
    errors = exc.errors if isinstance(exc, ScenarioErrors) else [exc]
    lines = str(exc).splitlines()
    assert len(lines) == len(errors)
    for err in errors:
        assert "\n" not in str(err)
        assert err.file == CASE
    assert_errors(lines, expected, prefix="")


# ---- unsafe YAML ----------------------------------------------------------------------------
@pytest.mark.parametrize(("template", "line", "field"), [
    pytest.param('name: !!python/object/apply:os.system ["touch {m}"]\n', 1, "name",
                 id="apply-as-top-level-value"),
    pytest.param('!!python/object/apply:os.system ["touch {m}"]\n', 1, "", id="whole-document"),
    pytest.param(BASE.replace("acv: 0}", 'acv: !!python/object/apply:os.system ["touch {m}"]}'),
                 14, "parties.BBB.holdings.acv", id="apply-as-count"),
    pytest.param(BASE.replace("  ALL: {members: [AAA, BBB]}",
                              '  ALL: !!python/object/apply:os.system {args: ["touch {m}"]}'),
                 17, "groups.ALL", id="apply-as-mapping"),
    pytest.param('name: !!python/object/new:os.system ["touch {m}"]\n', 1, "name",
                 id="new-object"),
    pytest.param('name: x\ndescription: !!python/name:os.system\n', 2, "description",
                 id="python-name"),
])
def test_python_tags_are_refused_and_never_run(models_dir, capsys, template, line, field):
    marker = models_dir.parent / "hacked"
    path = write(models_dir, "case.yaml", template.replace("{m}", str(marker)))
    rc, lines = run_validate(path, capsys)
    assert rc == 2
    assert_errors(lines, [(CASE, line, field, "unsupported YAML tag 'tag:yaml.org,2002:python/")])
    assert "(scenario files are plain data)" in lines[0]
    assert not marker.exists(), "the YAML tag ran a command"


def _alias_bomb() -> str:
    levels = ['  a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    return ("name: Billion laughs\ndescription:\n" + "\n".join(levels) + "\n"
            "categories: [tanks]\nparties:\n  AAA: {name: A, holdings: {tanks: 1}}\n")


def test_alias_bomb_fails_fast(models_dir, capsys):
    path = write(models_dir, "case.yaml", _alias_bomb())
    start = time.perf_counter()
    with deadline(10):
        rc, lines = run_validate(path, capsys)
    assert time.perf_counter() - start < 10
    assert rc == 2
    assert_errors(lines, [(CASE, 4, "description.a1[0]", "YAML aliases (*name) are not allowed "
                                                         "in scenario files; use 'extends'")])


def test_alias_without_anchor_is_refused(models_dir, capsys):
    path = write(models_dir, "case.yaml", edit(("acv: 0}", "acv: *zero}")))
    rc, lines = run_validate(path, capsys)
    assert rc == 2
    assert_errors(lines, [(CASE, 14, "", "found undefined alias 'zero'")])


def test_alias_error_names_the_field_path(models_dir, capsys):
    path = write(models_dir, "case.yaml", edit(("acv: 0}", "acv: *zero}"),
                                              ("tanks: 300, acv: 100}\n    national",
                                               "tanks: 300, acv: &zero 100}\n    national")))
    rc, lines = run_validate(path, capsys)
    assert rc == 2
    assert_errors(lines, [(CASE, 14, "parties.BBB.holdings.acv", "aliases")])


def test_an_anchor_alone_changes_nothing(models_dir, capsys):
    """An anchor that no alias uses is harmless: the file means the same without it."""
    path = write(models_dir, "case.yaml", edit(("acv: 0}", "acv: &zero 0}")))
    assert main(["validate", str(path)]) == 0


# ---- files that are not YAML text -----------------------------------------------------------
@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_file_not_utf8(models_dir, capsys, encoding):
    path = models_dir / "case.yaml"
    path.write_bytes(BASE.replace("A-land", "Åland").encode(encoding))
    rc, lines = run_validate(path, capsys)
    assert rc == 2
    assert_errors(lines, [(CASE, None, "", "file is not UTF-8 text")])


def test_missing_file(models_dir, capsys):
    rc, lines = run_validate(models_dir / "nothing.yaml", capsys)
    assert rc == 2
    assert_errors(lines, [("models/nothing.yaml", None, "",
                           "cannot read file (No such file or directory)")])


@pytest.mark.parametrize("char", [
    pytest.param("\x00", id="NUL"), pytest.param("\x07", id="BEL"),
    pytest.param("\x1b", id="ESC"), pytest.param("\x7f", id="DEL"),
])
def test_control_character(models_dir, capsys, char):
    path = write(models_dir, "case.yaml", BASE.replace("B-land", f"B{char}land"))
    rc, lines = run_validate(path, capsys)
    assert rc == 2
    assert_errors(lines, [(CASE, 12, "", "character")])


def test_very_deep_nesting(models_dir, capsys):
    path = write(models_dir, "case.yaml", "name: x\ndescription: " + "[" * 1000 + "]" * 1000 + "\n")
    rc, lines = run_validate(path, capsys)
    assert rc == 2
    assert_errors(lines, [(CASE, 2, "", "nesting deeper than")])


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX timers")
def test_many_nodes_fail_fast(models_dir, capsys):
    path = write(models_dir, "case.yaml",
                 "name: x\ndescription: [" + ",".join(["0"] * 600_000) + "]\n")
    with deadline(3):
        rc, lines = run_validate(path, capsys)
    assert rc == 2
    assert len(lines) == 1 and lines[0].startswith(f"{ERROR}{CASE}")


def test_multi_document_file(models_dir, capsys):
    path = write(models_dir, "case.yaml", "name: a\n---\nname: b\n")
    rc, lines = run_validate(path, capsys)
    assert rc == 2
    assert_errors(lines, [(CASE, 2, "", "document")])
    assert ": but found" not in lines[0]


# ---- extends --------------------------------------------------------------------------------
def _variant(target: str) -> str:
    return f"name: Variant\nextends: {target}\n"


EXTENDS_CASES = [
    pytest.param({"case.yaml": _variant("../../../../../../../../../../etc/passwd")},
                 [(CASE, 2, "extends", "'../../../../../../../../../../etc/passwd' resolves "
                                       "outside the models tree (models)")],
                 id="escapes-to-etc-passwd"),
    # outside.yaml is a valid scenario: were it followed, the variant would validate.
    pytest.param({"../outside.yaml": BASE, "case.yaml": _variant("../outside.yaml")},
                 [(CASE, 2, "extends", "'../outside.yaml' resolves outside the models tree")],
                 id="escapes-to-valid-file-outside-models"),
    pytest.param({"case.yaml": _variant("/etc/passwd")},
                 [(CASE, 2, "extends", "'/etc/passwd' is an absolute path")], id="absolute-path"),
    pytest.param({"case.yaml": _variant("nothere.yaml")},
                 [(CASE, 2, "extends", "'nothere.yaml' does not exist")], id="missing-file"),
    pytest.param({"case.yaml": _variant("5")},
                 [(CASE, 2, "extends", "must be a file path (text)")], id="not-text"),
    pytest.param({"case.yaml": _variant("''")},
                 [(CASE, 2, "extends", "must be a file path (text)")], id="empty-text"),
    pytest.param({"case.yaml": _variant("b.yaml"), "b.yaml": _variant("case.yaml")},
                 [("models/b.yaml", 2, "extends", "extends forms a cycle: models/case.yaml → "
                                                  "models/b.yaml → models/case.yaml")],
                 id="cycle-a-b-a"),
    pytest.param({"case.yaml": _variant("case.yaml")},
                 [(CASE, 2, "extends", "extends forms a cycle")], id="extends-itself"),
    pytest.param({"case.yaml": _variant("sub/b.yaml"), "sub/b.yaml": "name: B\nextends: ''\n"},
                 [("models/sub/b.yaml", 2, "extends", "must be a file path (text)")],
                 id="error-in-extended-file-names-it"),
    pytest.param({"case.yaml": _variant('"a\\0b.yaml"')},
                 [(CASE, 2, "extends", "no control characters")], id="nul-in-path"),
    pytest.param({"case.yaml": _variant("a" * 300 + ".yaml")},
                 [(CASE, 2, "extends", "cannot be read (File name too long)")],
                 id="name-too-long"),
]


@pytest.mark.parametrize(("files", "expected"), EXTENDS_CASES)
def test_extends_problems(models_dir, capsys, files, expected):
    for name, text in files.items():
        write(models_dir, name, text)
    rc, lines = run_validate(models_dir / "case.yaml", capsys)
    assert rc == 2
    assert_errors(lines, expected)


def test_extends_through_symlink_out_of_models(models_dir, capsys):
    outside = write(models_dir.parent, "outside.yaml", BASE)
    try:
        os.symlink(outside, models_dir / "link.yaml")
    except OSError:
        pytest.skip("cannot create symlinks here")
    write(models_dir, "case.yaml", _variant("link.yaml"))
    rc, lines = run_validate(models_dir / "case.yaml", capsys)
    assert rc == 2
    assert_errors(lines, [(CASE, 2, "extends", "'link.yaml' resolves outside the models tree")])


def test_extends_cycle_names_a_line(models_dir, capsys):
    write(models_dir, "case.yaml", _variant("b.yaml"))
    write(models_dir, "b.yaml", _variant("case.yaml"))
    rc, lines = run_validate(models_dir / "case.yaml", capsys)
    assert rc == 2
    assert len(lines) == 1
    assert lines[0].startswith((f"{ERROR}models/b.yaml:2: extends: ",
                                f"{ERROR}{CASE}:2: extends: ")), lines[0]


def test_extends_a_folder(models_dir, capsys):
    (models_dir / "sub").mkdir()
    write(models_dir, "case.yaml", _variant("sub"))
    rc, lines = run_validate(models_dir / "case.yaml", capsys)
    assert rc == 2
    assert_errors(lines, [(CASE, 2, "extends", "'sub'")])
    assert "does not exist" not in lines[0]


# ---- base and variant: each error is reported against the file (and line) that wrote it ------
VARIANT_HEAD = "name: Variant\nextends: base.yaml\n"


def test_error_in_base_is_reported_against_base(models_dir, capsys):
    write(models_dir, "base.yaml", edit(("acv: 0}", "acv: -3}")))
    write(models_dir, "case.yaml", VARIANT_HEAD + "description: a variant\n")
    rc, lines = run_validate(models_dir / "case.yaml", capsys)
    assert rc == 2
    assert_errors(lines, [("models/base.yaml", 14, "parties.BBB.holdings.acv",
                           "greater than or equal to 0 (got -3)")])


@pytest.mark.parametrize(("variant", "expected"), [
    pytest.param("parties:\n  BBB:\n    holdings:\n      acv: -3\n",
                 (6, "parties.BBB.holdings.acv", "greater than or equal to 0 (got -3)"),
                 id="schema-error"),
    pytest.param("parties:\n  BBB:\n    holdings:\n      acv: 7\n",
                 (6, "parties.BBB.holdings.acv", "all its 7 acv must be stationed abroad"),
                 id="consistency-error"),
    pytest.param("groups:\n  ALL:\n    members: [AAA, ZZZ]\n",
                 (5, "groups.ALL.members[1]", "'ZZZ' is not a party or group"),
                 id="reference-error"),
    pytest.param("parties:\n  BBB:\n    name: null\n",
                 (5, "parties.BBB.name", "required field is missing"),
                 id="required-field-deleted-with-null"),
])
def test_error_introduced_by_variant_is_reported_against_variant(models_dir, capsys, variant,
                                                                  expected):
    write(models_dir, "base.yaml", BASE)
    write(models_dir, "case.yaml", VARIANT_HEAD + variant)
    rc, lines = run_validate(models_dir / "case.yaml", capsys)
    assert rc == 2
    assert_errors(lines, [(CASE, *expected)])


def test_errors_in_base_and_variant_each_name_their_file(models_dir, capsys):
    write(models_dir, "base.yaml", edit(("acv: 0}", "acv: -3}")))
    write(models_dir, "case.yaml", VARIANT_HEAD + "parties:\n  AAA:\n    weight: 0\n")
    rc, lines = run_validate(models_dir / "case.yaml", capsys)
    assert rc == 2
    assert_errors(lines, [
        ("models/base.yaml", 14, "parties.BBB.holdings.acv", "greater than or equal to 0"),
        (CASE, 5, "parties.AAA.weight", "greater than 0 (got 0)"),
    ])


# ---- several independent problems: all reported, one line each --------------------------------
def test_several_schema_problems_all_reported(models_dir, capsys):
    text = edit(("tanks: 300, acv: 100}\n    terr", "tanks: 1.5, acv: 100}\n    terr"),
                ("    name: B-land\n", "    name: B-land\n    colour: red\n"),
                ("acv: 0}", "acv: -1}")) + "limts: {}\n"
    rc, lines = run_validate(write(models_dir, "case.yaml", text), capsys)
    assert rc == 2
    assert_errors(lines, [
        (CASE, 7, "parties.AAA.national_ceiling.tanks", "valid integer (got 1.5)"),
        (CASE, 13, "parties.BBB.colour", "unknown field 'colour'"),
        (CASE, 15, "parties.BBB.holdings.acv", "greater than or equal to 0 (got -1)"),
        (CASE, 19, "limts", "unknown field 'limts'"),
    ])


def test_several_reference_problems_all_reported(models_dir, capsys):
    text = edit(("[AAA, BBB]", "[AAA, BBB, CCC]"),
                ("{AAA: {tanks: 20}}", "{AAA: {tanks: 25}}")) + "zones:\n  Z: {members: [AAA.x]}\n"
    rc, lines = run_validate(write(models_dir, "case.yaml", text), capsys)
    assert rc == 2
    assert_errors(lines, [
        (CASE, 14, "parties.BBB.holdings.tanks", "(stationed lists 25)"),
        (CASE, 17, "groups.ALL.members[2]", "'CCC' is not a party or group"),
        (CASE, 19, "zones.Z.members[0]", "'AAA' has no area 'x'"),
    ])


def test_structure_first_then_references(models_dir, capsys):
    """Cross-references are checked once the file's structure is valid (a reference check on a
    malformed file could only guess): every structural problem is reported at once, then, when
    those are fixed, every reference problem at once."""
    text = edit(("acv: 0}", "acv: -1}"), ("[AAA, BBB]", "[AAA, BBB, CCC]"))
    rc, lines = run_validate(write(models_dir, "case.yaml", text), capsys)
    assert rc == 2
    assert_errors(lines, [(CASE, 14, "parties.BBB.holdings.acv", "greater than or equal to 0")])
    text = edit(("[AAA, BBB]", "[AAA, BBB, CCC]"), ("  ALL:", "  ALL2: {members: [DDD]}\n  ALL:"))
    rc, lines = run_validate(write(models_dir, "case.yaml", text), capsys)
    assert rc == 2
    assert_errors(lines, [
        (CASE, 17, "groups.ALL2.members[0]", "'DDD' is not a party or group"),
        (CASE, 18, "groups.ALL.members[2]", "'CCC' is not a party or group"),
    ])


def test_group_named_like_a_stationing_host(models_dir, capsys):
    text = edit(("  ALL: {members: [AAA, BBB]}", "  AAA: {members: [BBB]}"))
    rc, lines = run_validate(write(models_dir, "case.yaml", text), capsys)
    assert rc == 2
    assert_errors(lines, [(CASE, 17, "groups.AAA", "'AAA' is already a party code")])


# ---- the API --------------------------------------------------------------------------------
def test_api_single_error_is_one_line(models_dir):
    path = write(models_dir, "case.yaml", "")
    with pytest.raises(ScenarioError) as info:
        cfe_opt.load_scenario(path)
    assert str(info.value) == f"{CASE}: file is empty"
    assert (info.value.file, info.value.field, info.value.line) == (CASE, "", None)
    assert info.value.exit_code == 2


def test_api_errors_have_one_line_each(models_dir):
    text = edit(("acv: 0}", "acv: -1}"),
                ("    name: B-land\n", "    name: B-land\n    colour: red\n"))
    path = write(models_dir, "case.yaml", text)
    with pytest.raises(ScenarioErrors) as info:
        cfe_opt.load_scenario(path)
    errors = info.value.errors
    assert [(e.file, e.line, e.field) for e in errors] == [
        (CASE, 15, "parties.BBB.holdings.acv"), (CASE, 13, "parties.BBB.colour")]
    assert str(info.value).splitlines() == [str(e) for e in errors]
    assert str(errors[0]) == (f"{CASE}:15: parties.BBB.holdings.acv: input should be greater "
                              "than or equal to 0 (got -1)")


def test_minimal_base_is_valid(models_dir, capsys):
    """The starting point of every case must itself validate."""
    path = write(models_dir, "case.yaml", BASE)
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith(f"{CASE}: valid — 2 parties, 2 categories, 1 groups")
