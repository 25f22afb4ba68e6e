"""Hostile inputs (issue 8, "Bad input"): each class the hostile corpus found mishandled gets
exit 2 and one clear line — never a traceback, a hang, a lost file or a silent wrong answer.

Classes: --out that cannot be a command's own folder; usage errors and abbreviated options;
scenario paths that are FIFOs or symbolic-link loops; membership graphs that are long chains,
lattices or cycles; names that differ only in case; frontier, bargain and ZOPA sides that are
the same or overlap; corrupted solution tables for ``check``; numbers the LP cannot resolve;
YAML 1.1 surprises.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from cfe_opt import check, load_scenario
from cfe_opt.cli import build_parser, main
from cfe_opt.errors import ScenarioErrors
from cfe_opt.scenario.graph import cycles, resolve_members, strongly_connected

ROOT = Path(__file__).resolve().parent.parent
# input handling is tested on the frozen pre-issue-7 talks files (one set per solve, no cases)
TALKS = ROOT / "tests" / "fixtures" / "talks_1998_before_issue_7" / "talks_1998.yaml"
FIELD = "parties.RUS.positions.flank_acv.target"
ERROR = "cfe-opt: error: "

# every command that writes outputs, with the arguments it needs besides --out
WRITERS = {
    "solve": [],
    "diagnose": [],
    "prices": [],
    "sweep": ["--vary", f"{FIELD}=1200:2000:400"],
    "frontier": ["RUS", "TUR"],
    "zopa": ["RUS.flank_acv"],
    "bargain": [],
    "alternatives": [],
}


def run(args: list[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, list[str]]:
    """``cfe-opt ARGS`` in-process: exit code, stdout, stderr lines (usage errors included)."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse exits for usage errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err.splitlines()


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: files by sha256, folders and links marked."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def one_error(lines: list[str], *phrases: str) -> str:
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    for phrase in phrases:
        assert phrase in lines[0], (phrase, lines[0])
    return lines[0]


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A working folder with a file and a folder of the user's, as the current folder."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "notes.txt").write_text("the analyst's own notes\n")
    (folder / "mine").mkdir()
    (folder / "mine" / "draft.txt").write_text("a draft\n")
    (folder / "afile").write_text("a file\n")
    monkeypatch.chdir(folder)
    return folder


# ---- --out ------------------------------------------------------------------------------------
OUT_CASES = [
    pytest.param("", "an empty path", id="empty"),
    pytest.param("   ", "an empty path", id="blank"),
    pytest.param(".", "'.' or '..'", id="dot"),
    pytest.param("..", "'.' or '..'", id="dotdot"),
    pytest.param("mine/..", "'.' or '..'", id="climbs-back"),
    pytest.param("afile", "is an existing file, not a folder", id="existing-file"),
    pytest.param("afile/sub", "afile is a file, not a folder", id="under-a-file"),
    pytest.param("afile/a/b", "afile is a file, not a folder", id="deep-under-a-file"),
    pytest.param("mine", "holds files cfe-opt did not write (draft.txt)", id="user-folder"),
    pytest.param("/", "the filesystem root", id="root"),
    pytest.param("/proc/cfe-opt-test", "is a system folder", id="proc"),
    pytest.param("/dev/null", "is a system folder", id="dev-null"),
    pytest.param("/sys/x", "is a system folder", id="sys"),
    pytest.param("{cwd}", "is the working folder or contains it", id="working-folder"),
    pytest.param("{parent}", "is the working folder or contains it", id="ancestor-of-cwd"),
    pytest.param("link", "is a symbolic link", id="symlink"),
]


@pytest.mark.parametrize("command", list(WRITERS))
@pytest.mark.parametrize(("out", "phrase"), OUT_CASES)
def test_out_that_cannot_be_the_command_folder_is_refused(work, capsys, command, out, phrase):
    os.symlink(work / "mine", work / "link")
    out = out.format(cwd=work, parent=work.parent)
    before = snapshot(work.parent)
    code, stdout, err = run([command, TALKS, *WRITERS[command], "--out", out], capsys)
    assert code == 2
    one_error(err, ERROR + "--out", phrase)
    assert stdout == ""
    assert snapshot(work.parent) == before  # nothing created, changed or removed


BUNDLED_TALKS = ROOT / "models" / "talks_1998.yaml"  # a file with cases: a folder of sets


@pytest.mark.parametrize(("out", "phrase"), OUT_CASES)
def test_out_of_a_file_with_cases_is_checked_like_one_set(work, capsys, out, phrase):
    """``solve`` of a file with cases writes a folder of sets (one per case, one for
    cases.csv): the folder is refused for the same reasons as one set's, nothing touched."""
    os.symlink(work / "mine", work / "link")
    out = out.format(cwd=work, parent=work.parent)
    before = snapshot(work.parent)
    code, stdout, err = run(["solve", BUNDLED_TALKS, "--out", out], capsys)
    assert code == 2
    one_error(err, ERROR + "--out", phrase)
    assert stdout == ""
    assert snapshot(work.parent) == before


TWO_CASES = """\
name: two cases
extends: talks_1998.yaml
cases:
  base: {description: the file as written}
  higher_target:
    description: Russia asks more
    changes: {parties: {RUS: {positions: {flank_acv: {target: 2400}}}}}
"""


def test_a_folder_of_case_sets_is_replaced_by_the_next_solve(work, capsys):
    """A small file with two cases (the frozen talks file extended): its folder of sets is
    replaced as a whole by the next solve, and refused once it holds a file of the user's."""
    shutil.copy(TALKS, work / "talks_1998.yaml")
    (work / "two.yaml").write_text(TWO_CASES)
    code, _, err = run(["solve", work / "two.yaml", "--out", "sets", "--quiet"], capsys)
    assert code == 0, err
    cases = sorted(p.name for p in (work / "sets").iterdir())
    assert cases == ["base", "cases", "higher_target"]
    first = snapshot(work / "sets")
    code, _, err = run(["solve", work / "two.yaml", "--out", "sets", "--quiet"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in (work / "sets").iterdir()) == cases
    assert {k for k in snapshot(work / "sets") if not k.endswith("run.json")} == {
        k for k in first if not k.endswith("run.json")}
    (work / "sets" / "stray.txt").write_text("mine\n")
    code, _, err = run(["solve", work / "two.yaml", "--out", "sets"], capsys)
    assert code == 2
    one_error(err, ERROR + "--out sets", "holds files cfe-opt did not write (stray.txt")


def test_the_default_folder_is_checked_too(work, capsys):
    (work / "out").write_text("not a folder\n")
    before = snapshot(work)
    code, _, err = run(["solve", TALKS], capsys)
    assert code == 2
    one_error(err, ERROR + "output folder out/talks_1998/solve", "out is a file, not a folder")
    assert snapshot(work) == before


def test_out_is_checked_before_anything_is_computed(work, capsys, monkeypatch):
    import cfe_opt.api

    def explode(*args, **kwargs):
        raise AssertionError("solved before --out was checked")

    monkeypatch.setattr(cfe_opt.api, "solve", explode)
    code, _, err = run(["solve", TALKS, "--out", "afile"], capsys)
    assert code == 2 and "existing file" in err[0]


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[Path]:
    """Make ``folder`` a place nothing can be created in, for this user: mode 0555, or for root
    (whom modes do not stop) the immutable attribute."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(
                ["chattr", "+i", str(folder)], capture_output=True, check=False).returncode:
            pytest.skip("running as root without chattr +i: cannot make a folder unwritable")
        try:
            yield folder
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        os.chmod(folder, 0o555)
        try:
            yield folder
        finally:
            os.chmod(folder, 0o755)


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
@pytest.mark.parametrize("where", ["new", "a/b/c"])
def test_out_in_a_folder_that_cannot_be_written_is_refused(tmp_path, capsys, where):
    folder = tmp_path / "ro"
    folder.mkdir()
    with locked(folder):
        code, _, err = run(["solve", TALKS, "--out", folder / where], capsys)
        assert code == 2
        one_error(err, ERROR + "--out", f"cannot write in {folder} (permission denied)")
        assert list(folder.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_an_earlier_set_that_cannot_be_replaced_is_refused(tmp_path, capsys):
    out = tmp_path / "set"
    assert main(["solve", str(TALKS), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    before = snapshot(tmp_path)
    with locked(out):
        code, _, err = run(["solve", TALKS, "--out", out], capsys)
    assert code == 2
    one_error(err, ERROR + "--out", f"cannot replace {out} (permission denied)")
    assert snapshot(tmp_path) == before


# ---- usage errors -----------------------------------------------------------------------------
USAGE = [
    ([], "give a command"),
    (["frob"], "invalid choice: 'frob'"),
    (["solve"], "required: scenario"),
    (["solve", TALKS, "--objective", "utopian"], "invalid choice: 'utopian'"),
    (["solve", TALKS, "--time-limit", "-1"], "not a positive number of seconds"),
    (["solve", TALKS, "extra"], "unexpected argument: extra"),
    (["solve", ""], "argument scenario: an empty path"),
    (["check", TALKS], "required: --solution"),
    (["check", TALKS, "--solution", ""], "an empty path"),
    (["sweep", TALKS], "required: --vary"),
    (["frontier", TALKS, "RUS"], "required: side_b"),
    (["alternatives", TALKS, "-k", "many"], "invalid int value: 'many'"),
    (["scenarios"], "required: ACTION"),
    (["scenarios", "copy"], "required: DIR"),
    (["validate", TALKS, "--out", "x"], "unknown option --out"),
    (["--verbose"], "unknown option --verbose"),
]


@pytest.mark.parametrize(("argv", "phrase"), USAGE)
def test_every_usage_error_is_one_line(capsys, argv, phrase):
    code, stdout, err = run(argv, capsys)
    assert code == 2
    line = one_error(err, phrase, "(see 'cfe-opt")
    assert line.startswith("cfe-opt")
    assert "usage:" not in line and stdout == ""


POSITIONALS = {"frontier": ["RUS", "TUR"], "zopa": ["RUS.flank_acv"],
               "sweep": ["--vary", f"{FIELD}=1200:2000:400"], "check": ["--solution", "x"]}


def _long_options() -> list[tuple[str, str]]:
    parser = build_parser()
    found = []
    for action in parser._actions:
        if action.option_strings:
            found += [("", o) for o in action.option_strings if o.startswith("--")]
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for name, sub in action.choices.items():
            found += [(name, o) for a in sub._actions for o in a.option_strings
                      if o.startswith("--") and o != "--help"]
    return found


@pytest.mark.parametrize(("command", "option"), _long_options())
def test_abbreviations_of_long_options_are_refused(capsys, command, option):
    abbreviation = option[:-1]
    argv = [command, TALKS, *POSITIONALS.get(command, [])] if command else []
    argv += [abbreviation, "1"] if command else [abbreviation]
    code, _, err = run(argv, capsys)
    assert code == 2
    one_error(err, f"unknown option {abbreviation}", f"did you mean {option}?",
              "never abbreviated")


def test_every_parser_refuses_abbreviations():
    parser = build_parser()
    stack = [parser]
    while stack:
        current = stack.pop()
        assert current.allow_abbrev is False, current.prog
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())


# ---- scenario paths: FIFOs and link loops -----------------------------------------------------
def _cli(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A real process with a timeout: a read that blocks would fail the test, not hang it."""
    return subprocess.run([sys.executable, "-m", "cfe_opt", *argv], capture_output=True,
                          text=True, check=False, cwd=cwd, timeout=120)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "variant.yaml").write_text("name: v\nextends: pipe.yaml\n")
    proc = _cli(["validate", "pipe.yaml"], tmp_path)
    assert proc.returncode == 2
    one_error(proc.stderr.splitlines(), "pipe.yaml: not a regular file (a FIFO)")
    proc = _cli(["solve", "variant.yaml", "--out", "o"], tmp_path)
    assert proc.returncode == 2
    one_error(proc.stderr.splitlines(), "variant.yaml:2: extends: 'pipe.yaml' is not a regular "
              "file")
    assert not (tmp_path / "o").exists()


def test_devices_and_folders_are_refused(tmp_path, capsys):
    code, _, err = run(["validate", "/dev/zero"], capsys)
    assert code == 2
    one_error(err, "/dev/zero: not a regular file (a character device)")
    code, _, err = run(["validate", tmp_path], capsys)
    assert code == 2
    one_error(err, "not a regular file (a folder)")


def test_symlink_loops_are_refused(tmp_path):
    os.symlink("loop_b.yaml", tmp_path / "loop_a.yaml")
    os.symlink("loop_a.yaml", tmp_path / "loop_b.yaml")
    os.symlink("self.yaml", tmp_path / "self.yaml")
    (tmp_path / "variant.yaml").write_text("name: v\nextends: loop_a.yaml\n")
    for name in ("loop_a.yaml", "self.yaml"):
        proc = _cli(["validate", name], tmp_path)
        assert proc.returncode == 2
        one_error(proc.stderr.splitlines(), f"{ERROR}{name}: cannot read file (symbolic link "
                  "loop)")
    proc = _cli(["validate", "variant.yaml"], tmp_path)
    assert proc.returncode == 2
    one_error(proc.stderr.splitlines(), "variant.yaml:2: extends: 'loop_a.yaml' cannot be read "
              "(symbolic link loop)")


# ---- membership graphs ------------------------------------------------------------------------
HEAD = """\
name: Graphs
categories: [tanks]
parties:
  AAA: {name: A, holdings: {tanks: 10}, national_ceiling: {tanks: 10}}
  BBB: {name: B, holdings: {tanks: 20}, national_ceiling: {tanks: 20}}
  CCC: {name: C, holdings: {tanks: 40}, national_ceiling: {tanks: 40}}
"""


def _chain(n: int) -> str:
    lines = [HEAD, "groups:\n", "  G0: {members: [AAA]}\n"]
    lines += [f"  G{i}: {{members: [G{i - 1}]}}\n" for i in range(1, n)]
    lines.append(f"  TOP: {{members: [G{n - 1}, BBB]}}\n")
    lines.append("limits:\n  cap: {quantity: {of: national_ceiling, parties: [TOP]}, "
                 "sense: '<=', value: 25}\n")
    return "".join(lines)


def _lattice(layers: int) -> str:
    """Each layer's two groups both list both groups of the layer below: 2^layers paths."""
    lines = [HEAD, "groups:\n", "  L0a: {members: [AAA]}\n  L0b: {members: [BBB]}\n"]
    for i in range(1, layers):
        lines.append(f"  L{i}a: {{members: [L{i - 1}a, L{i - 1}b]}}\n"
                     f"  L{i}b: {{members: [L{i - 1}a, L{i - 1}b]}}\n")
    lines.append("zones:\n  Z0: {members: [L0a]}\n")
    lines += [f"  Z{i}: {{members: [Z{i - 1}, Z{i - 1}, L{i}b]}}\n" for i in range(1, layers)]
    return "".join(lines)


@contextlib.contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    """Turn a hang (an exponential walk) into a failure; no speed is asserted."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def fail(signum, frame):
        raise AssertionError(f"still running after {seconds} s: not linear")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_chain_of_3000_groups_resolves(tmp_path):
    path = tmp_path / "chain.yaml"
    path.write_text(_chain(3000))
    with hang_guard(120):
        scenario = load_scenario(path)
    members = scenario.index.group_members
    assert members["G0"] == ("AAA",) and members["G2999"] == ("AAA",)
    assert members["TOP"] == ("AAA", "BBB")  # hand-derived: the chain's AAA and BBB


def test_a_lattice_of_40_layers_resolves(tmp_path):
    path = tmp_path / "lattice.yaml"
    path.write_text(_lattice(40))  # 2^40 paths from the top: a path walk never ends
    with hang_guard(120):
        scenario = load_scenario(path)
    assert scenario.index.group_members["L39a"] == ("AAA", "BBB")
    assert scenario.index.group_members["L0b"] == ("BBB",)
    # Z39 reaches L39b and, down the zone chain, L1b…L38b and Z0's L0a: both territories
    zone = scenario.index.zone_locations["Z39"]
    assert {party for party, _area in zone} == {"AAA", "BBB"}


def test_membership_resolution_visits_each_edge_a_bounded_number_of_times():
    layers = 60
    nodes = [f"L{i}{s}" for i in range(layers) for s in "ab"]

    def below(node: str) -> list[str]:
        calls[0] += 1
        i = int(node[1:-1])
        return [] if i == 0 else [f"L{i - 1}a", f"L{i - 1}b"]

    for fn in (lambda: resolve_members(nodes, below, lambda n: [n[-1]]),
               lambda: cycles(nodes, below), lambda: strongly_connected(nodes, below)):
        calls = [0]
        result = fn()
        # each node's children are asked for a small constant number of times (not 2^60)
        assert calls[0] <= 3 * len(nodes), calls[0]
    assert result and all(len(c) == 1 for c in result)  # a lattice has no cycle
    resolved = resolve_members(nodes, below, lambda n: [n[-1]] if n.startswith("L0") else [])
    assert resolved["L59a"] == frozenset({"a", "b"})


def test_a_chain_of_100000_nodes_needs_no_recursion():
    nodes = list(range(100_000))
    found = cycles(nodes, lambda n: [n + 1] if n + 1 < len(nodes) else [0])
    assert found[0][:3] == [0, 1, 2] and found[0][-1] == 0 and len(found) == 1
    assert len(found[0]) == 100_001


CYCLES = [
    pytest.param("groups:\n  X: {members: [Y, AAA]}\n  Y: {members: [X]}\n",
                 ["groups.X.members: groups contain each other: X → Y → X",
                  "groups.Y.members: groups contain each other: Y → X → Y"], id="two-groups"),
    pytest.param("groups:\n  X: {members: [X]}\n",
                 ["groups.X.members: groups contain each other: X → X"], id="self"),
    pytest.param("zones:\n  Z1: {members: [Z2, AAA]}\n  Z2: {members: [Z1]}\n",
                 ["zones.Z1.members: zones contain each other: Z1 → Z2 → Z1",
                  "zones.Z2.members: zones contain each other: Z2 → Z1 → Z2"], id="two-zones"),
    pytest.param("groups:\n  G0: {members: [AAA, G1999]}\n" + "".join(
        f"  G{i}: {{members: [G{i - 1}]}}\n" for i in range(1, 2000)),
        ["groups.G0.members: groups contain each other: G0 → G1999 → G1998 → G1997 → G1996 → "
         "G1995 → … (1989 more) → G5 → G4 → G3 → G2 → G1 → G0"], id="cycle-of-2000"),
]


@pytest.mark.parametrize(("body", "expected"), CYCLES)
def test_cycles_are_refused_naming_the_cycle(tmp_path, capsys, body, expected):
    path = tmp_path / "c.yaml"
    path.write_text(HEAD + body)
    with hang_guard(120):
        code, _, err = run(["validate", path], capsys)
    assert code == 2
    assert len(err) == len(expected), err
    for line, phrase in zip(err, expected, strict=True):
        assert line.startswith(ERROR + str(path)) and phrase in line


def test_a_cycle_at_the_top_of_a_lattice_is_found(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text(_lattice(30).replace("L0a: {members: [AAA]}", "L0a: {members: [AAA, L29a]}"))
    with hang_guard(120):
        code, _, err = run(["validate", path], capsys)
    assert code == 2
    assert err and all("groups contain each other" in line for line in err)
    assert any("groups.L0a.members: groups contain each other: L0a → L29a →" in line
               for line in err)


# ---- names that differ only in case -----------------------------------------------------------
CASE = [
    pytest.param("  aaa: {name: a, holdings: {tanks: 1}}\n", "",
                 "parties.aaa: 'aaa' and 'AAA' (parties.AAA) differ only in case",
                 id="two-parties"),
    pytest.param("", "groups:\n  Bbb: {members: [AAA]}\n",
                 "groups.Bbb: 'Bbb' and 'BBB' (parties.BBB) differ only in case",
                 id="group-like-party"),
    pytest.param("", "groups:\n  ALL: {members: [AAA]}\nzones:\n  all: {members: [AAA]}\n",
                 "zones.all: 'all' and 'ALL' (groups.ALL) differ only in case",
                 id="zone-like-group"),
    pytest.param("  DDD: {name: D, holdings: {tanks: 1}, areas: {North: {}, north: {}}}\n", "",
                 "parties.DDD.areas.north: 'north' and 'North' differ only in case",
                 id="two-areas"),
]


@pytest.mark.parametrize(("party", "rest", "phrase"), CASE)
def test_names_that_differ_only_in_case_are_refused(tmp_path, capsys, party, rest, phrase):
    path = tmp_path / "n.yaml"
    path.write_text(HEAD + party + rest)
    code, _, err = run(["validate", path], capsys)
    assert code == 2
    one_error(err, phrase, "names must differ in more than case" if "areas" not in phrase
              else "area names must differ in more than case")


# ---- frontier, bargain and ZOPA sides ---------------------------------------------------------
SIDES = [
    (["frontier", TALKS, "RUS", "RUS"], "side A (RUS) and side B (RUS) are the same parties"),
    (["frontier", TALKS, "TUR+NOR", "NOR,TUR"], "are the same parties (TUR, NOR)"),
    (["frontier", TALKS, "RUS+TUR", "TUR"], "overlap: TUR on both sides"),
    (["frontier", TALKS, "TUR", "NATO19"], "overlap: TUR on both sides"),
    (["bargain", TALKS, "--parties", "RUS+RUS"], "RUS is named by 'RUS' twice"),
    (["bargain", TALKS, "--parties", "TUR+NATO19"], "TUR is named by 'TUR' and 'NATO19'"),
    (["bargain", TALKS, "--parties", "+"], "--parties '+': names no party"),
    (["zopa", TALKS, "RUS.flank_acv", "RUS.flank_acv"], "are the same quantity"),
    (["zopa", TALKS, "RUS.flank_acv", "{of: territorial_ceiling, areas: [RUS.flank], "
      "categories: [acv], coefficient: -2}"], "are proportional (-2×)"),
    (["zopa", TALKS, ""], "quantity: empty"),
]


@pytest.mark.parametrize(("argv", "phrase"), SIDES)
def test_sides_that_are_the_same_or_overlap_are_refused(tmp_path, capsys, monkeypatch, argv,
                                                        phrase):
    import cfe_opt.analysis.bargaining as bargaining
    import cfe_opt.analysis.frontier as frontier
    import cfe_opt.analysis.zopa as zopa

    def never(*args, **kwargs):
        raise AssertionError("the analysis ran on sides that should have been refused")

    for module, name in ((frontier, "pareto_frontier"), (bargaining, "bargaining_solutions"),
                         (zopa, "quantity_range")):
        monkeypatch.setattr(module, name, never)
    code, _, err = run([*argv, "--out", tmp_path / "o"], capsys)
    assert code == 2
    one_error(err, phrase)
    assert not (tmp_path / "o").exists()


# ---- check --solution on corrupted tables -----------------------------------------------------
@pytest.fixture(scope="module")
def solution(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("solution") / "sol"
    assert main(["solve", str(TALKS), "--out", str(folder), "--quiet"]) == 0
    return folder


def _edit_lines(path: Path, fn) -> None:  # type: ignore[no-untyped-def]
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(fn(lines)))


def _column(path: Path, column: str, line: int, value: str) -> None:
    """Set ``column`` on the file's line ``line`` (1 is the header)."""
    def edit(lines):
        header = lines[0].rstrip("\n").split(",")
        cells = lines[line - 1].rstrip("\n").split(",")
        cells[header.index(column)] = value
        lines[line - 1] = ",".join(cells) + "\n"
        return lines
    _edit_lines(path, edit)


CORRUPT = [
    ("allocation.csv", lambda p: _column(p, "party", 3, "XYZ"),
     ["allocation.csv:3: party: 'XYZ' is not a party of the scenario"]),
    ("equipment.csv", lambda p: _column(p, "owner", 2, "ZZZ"),
     ["equipment.csv:2: owner: 'ZZZ' is not a party of the scenario"]),
    ("equipment.csv", lambda p: _column(p, "status", 2, "reserve"),
     ["equipment.csv:2: status: 'reserve' is not a status (active, storage)"]),
    ("allocation.csv", lambda p: _column(p, "category", 2, "ships"),
     ["allocation.csv:2: category: 'ships' is not a category of the scenario"]),
    ("equipment.csv", lambda p: _column(p, "area", 2, "moon"),
     ["equipment.csv:2: area: 'moon' is not an area of"]),
    ("equipment.csv", lambda p: _edit_lines(p, lambda ls: [*ls, ls[1]]),
     ["appears twice (lines 2 and "]),
    ("equipment.csv", lambda p: _edit_lines(p, lambda ls: [",".join(ln.rstrip("\n").split(",")
                                                            [:-1]) + "\n" for ln in ls]),
     ["equipment.csv:1: missing column(s) after"]),
    ("allocation.csv", lambda p: _edit_lines(p, lambda ls: [ls[0].replace(
        "national_ceiling,", "x,", 1), *ls[1:]]),
     ["allocation.csv:1: missing column(s) national_ceiling"]),
    ("equipment.csv", lambda p: _column(p, "after", 2, "inf"),
     ["equipment.csv:2: after: 'inf' is not a finite number"]),
    ("equipment.csv", lambda p: _column(p, "after", 2, "1e400"),
     ["equipment.csv:2: after: '1e400' is not a finite number"]),
    ("equipment.csv", lambda p: _column(p, "after", 2, "nan"),
     ["equipment.csv:2: after: 'nan' is not a finite number"]),
    ("equipment.csv", lambda p: _column(p, "after", 2, "12 tanks"),
     ["equipment.csv:2: after: '12 tanks' is not a number"]),
    ("equipment.csv", lambda p: _column(p, "after", 2, ""),
     ["equipment.csv:2: after: no value for"]),
    ("allocation.csv", lambda p: _column(p, "holdings_after", 2, ""),
     ["allocation.csv:2: holdings_after: no value for"]),
    ("equipment.csv", lambda p: _edit_lines(p, lambda ls: ls[:1]),
     ["equipment.csv: has a header but no rows"]),
    ("allocation.csv", lambda p: p.write_bytes(b""), ["allocation.csv: file is empty"]),
    ("equipment.csv", lambda p: p.write_bytes(p.read_bytes()[:-7]),
     ["the last line has no line break (a truncated file?)"]),
    ("equipment.csv", lambda p: p.write_bytes(p.read_bytes()[:-7] + b"\n"),
     ["fields, the header has 7 (a truncated or damaged file?)"]),
    ("equipment.csv", lambda p: _edit_lines(p, lambda ls: ls[:5]),
     ["equipment.csv: no row for", "(the table is incomplete)"]),
    ("allocation.csv", lambda p: p.write_bytes(bytes(range(256)) * 8),
     ["allocation.csv: binary data (NUL bytes): not a CSV table"]),
    ("allocation.csv", lambda p: p.write_bytes(p.read_bytes().replace(b"RUS", b"R\xe9S", 1)),
     ["allocation.csv:", "not UTF-8 text"]),
    ("equipment.csv", lambda p: p.unlink(),
     ["equipment.csv: cannot read file (No such file or directory)"]),
]


@pytest.mark.parametrize(("name", "corrupt", "phrases"), CORRUPT)
def test_check_on_a_corrupted_table_is_bad_input(solution, tmp_path, capsys, name, corrupt,
                                                 phrases):
    folder = tmp_path / "sol"
    shutil.copytree(solution, folder)
    corrupt(folder / name)
    code, stdout, err = run(["check", TALKS, "--solution", folder], capsys)
    assert code == 2, (stdout, err)
    assert "hard limits hold" not in stdout
    assert err and all(line.startswith(ERROR + str(folder)) for line in err), err
    assert any(all(p in line for p in phrases) for line in err), err
    assert str(folder / name) in err[0] or (name == "equipment.csv" and "no row" in err[0])


def test_check_of_the_written_tables_passes(solution, capsys):
    code, stdout, err = run(["check", TALKS, "--solution", solution], capsys)
    assert code == 0 and err == []
    assert "hard limits hold" in stdout


def test_check_of_a_missing_folder_is_bad_input(tmp_path, capsys):
    code, _, err = run(["check", TALKS, "--solution", tmp_path / "none"], capsys)
    assert code == 2
    one_error(err, "none: --solution: does not exist")


def test_the_checker_api_does_not_pass_rows_it_cannot_read(solution):
    from cfe_opt.check import read_solution

    scenario = load_scenario(TALKS)
    allocation, equipment = read_solution(solution)
    assert check(scenario, allocation, equipment).ok
    extra = allocation.loc[["RUS"]].iloc[[0]].rename(index={"RUS": "XYZ"}, level="party")
    report = check(scenario, pd.concat([allocation, extra]), equipment)
    assert not report.ok
    assert any("row XYZ" in str(v) and "not a party, area and category" in str(v)
               for v in report.violations)


# ---- numbers the LP cannot resolve ------------------------------------------------------------
EXTREME = """\
name: Extreme
categories: [tanks]
parties:
  AAA:
    name: A
    weight: {party_weight}
    holdings: {{tanks: 1000}}
    national_ceiling: {{tanks: 1000}}
    positions:
      P:
        quantity: {{of: national_ceiling, parties: [AAA]}}
        direction: at_most
        target: 500
        weight: {weight}
        {scale}
      Q: {{quantity: {{of: national_ceiling, parties: [AAA]}}, direction: at_least, target: 900}}
"""


def _extreme(tmp_path: Path, party_weight: object = 1, weight: object = 1,
             scale: str = "") -> Path:
    path = tmp_path / "x.yaml"
    path.write_text(EXTREME.format(party_weight=party_weight, weight=weight, scale=scale))
    return path


@pytest.mark.parametrize(("party_weight", "weight", "scale", "k"), [
    pytest.param(1, 1, "scale: 1e-300", "1e+300", id="scale-1e-300"),
    pytest.param(1, 1000000000, "scale: 1", "1e+09", id="weight-at-its-cap"),
    pytest.param(1000000000, 1000000000, "scale: 1", "1e+18", id="both-weights-at-cap"),
    pytest.param(1, 1, "scale: 1e9", "1e-09", id="scale-at-its-cap"),
    pytest.param(1, 1, "scale: 1e8", "1e-08", id="at-the-lower-bound"),
    pytest.param(1, 10000001, "scale: 1", "1e+07", id="just-over-the-upper-bound"),
    pytest.param(1, 0.0000001, "scale: 10", "1e-08", id="tiny-position-weight"),
])
def test_weights_the_lp_cannot_resolve_are_refused(tmp_path, capsys, party_weight, weight, scale,
                                                   k):
    path = _extreme(tmp_path, party_weight, weight, scale)
    for command in ("validate", "solve"):
        code, _, err = run([command, path, *(["--out", tmp_path / "o"] if command == "solve"
                                             else [])], capsys)
        assert code == 2  # refused at validation, never an internal error (exit 4)
        one_error(err, f"{path}:10: parties.AAA.positions.P: the weight per unit of excess "
                  f"is {k}", "cannot resolve weights per unit at or below 1e-08 or above 1e+07")
    assert not (tmp_path / "o").exists()


def test_weights_just_inside_the_bounds_solve_correctly(tmp_path):
    from cfe_opt import solve, verify

    # k = 1e7 for P (at_most 500) against Q (at_least 900, k = 1/900): P wins, hand-derived
    path = _extreme(tmp_path, weight=10000000, scale="scale: 1")
    scenario = load_scenario(path)
    result = solve(scenario)
    assert result.optimal and verify(scenario, result).ok
    assert result.positions.loc[("AAA", "P"), "achieved"] == pytest.approx(500)
    assert result.positions.loc[("AAA", "Q"), "deviation"] == pytest.approx(400)
    # k = 2e-8 for P against Q's 1/900: Q wins, the ceiling stays at 900 (the status quo,
    # 1,000, is where the tie-break would pull it if P's cost were lost in the tolerances)
    scenario = load_scenario(_extreme(tmp_path, scale="scale: 5e7"))
    result = solve(scenario)
    assert result.optimal and verify(scenario, result).ok
    assert result.positions.loc[("AAA", "Q"), "achieved"] == pytest.approx(900)
    assert result.positions.loc[("AAA", "P"), "achieved"] == pytest.approx(900)


@pytest.mark.parametrize(("limit", "phrase"), [
    ("{quantity: {of: holdings, coefficient: 1e-300}, sense: '<=', value: 5}",
     "limits.L.quantity.coefficient: coefficient 1e-300 is outside"),
    ("{quantity: {terms: [{of: holdings}, {of: holdings, coefficient: 1e9}]}, sense: '<=', "
     "value: 5}", "limits.L.quantity.terms[1].coefficient: coefficient 1e+09 is outside"),
    ("{type: reciprocity, subject: {of: holdings}, reference: {of: holdings}, ratio: 1e-12}",
     "limits.L.ratio: ratio 1e-12 is outside"),
])
def test_matrix_entries_the_lp_cannot_represent_are_refused(tmp_path, capsys, limit, phrase):
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + f"limits:\n  L: {limit}\n")
    code, _, err = run(["validate", path], capsys)
    assert code == 2
    one_error(err, phrase, "give 0 or a size between 1e-06 and 1e+06")


def test_a_zero_coefficient_is_allowed(tmp_path, capsys):
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + "limits:\n  L: {quantity: {terms: [{of: holdings}, {of: holdings, "
                    "parties: [AAA], coefficient: 0}]}, sense: '<=', value: 500}\n")
    assert run(["validate", path], capsys)[0] == 0


# ---- YAML 1.1 surprises -----------------------------------------------------------------------
TEXTS = ["no", "yes", "on", "off", "y", "n", "NO", "True", "1e3", "0x10", "0750", "1:30",
         ".inf", "-.nan", "2024-01-01", "2001-12-14t21:59:43.10-05:00", "1999", "12.5", "<<"]


@pytest.mark.parametrize("text", TEXTS)
def test_text_fields_keep_what_was_written(tmp_path, text):
    path = tmp_path / "t.yaml"
    path.write_text(HEAD.replace("name: Graphs", f"name: {text}\ndescription: {text}").replace(
        "{name: A,", f"{{name: {text}, source: {text},") + f"sources:\n  s1: {text}\n")
    scenario = load_scenario(path)
    spec = scenario.spec
    assert spec.name == text and spec.description == text
    assert spec.parties["AAA"].name == text and spec.parties["AAA"].source == text
    assert spec.sources == {"s1": text}


def test_null_in_a_text_field_stays_null(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(HEAD.replace("name: Graphs", "name: x\ndescription: ~"))
    assert load_scenario(path).spec.description is None


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "NO", "ON"])
def test_yaml11_booleans_are_names_where_names_are_expected(tmp_path, word):
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + f"  {word}: {{name: P, holdings: {{tanks: 5}}}}\ngroups:\n"
                    f"  G: {{members: [AAA, {word}]}}\n")
    scenario = load_scenario(path)
    assert word in scenario.index.parties
    assert scenario.index.group_members["G"] == ("AAA", word)


@pytest.mark.parametrize(("field", "value", "phrase"), [
    ("settings: {holdings_may_rise: yes}", "", "settings.holdings_may_rise: input should be a "
     "valid boolean (got 'yes')"),
    ("settings: {holdings_may_rise: off}", "", "valid boolean (got 'off')"),
    ("", "tanks: 1e3", "parties.DDD.holdings.tanks: input should be a valid integer (got "
     "1000.0)"),
    ("", "tanks: 0x10", "parties.DDD.holdings.tanks: write numbers in plain decimal (YAML would "
     "read '0x10' as 16)"),
    ("", "tanks: 0o10", "write numbers in plain decimal ('0o10' is not a decimal number)"),
    ("", "tanks: 0b11", "write numbers in plain decimal (YAML would read '0b11' as 3)"),
    ("", "tanks: .inf", "parties.DDD.holdings.tanks: input should be a valid integer (got inf)"),
    ("", "tanks: 2024-01-01", "input should be a valid integer (got '2024-01-01')"),
    ("", "tanks: ~", "input should be a valid integer (got None)"),
    ("", "tanks: on", "input should be a valid integer (got 'on')"),
])
def test_yaml11_values_where_numbers_or_booleans_are_expected(tmp_path, capsys, field, value,
                                                               phrase):
    path = tmp_path / "t.yaml"
    party = f"  DDD: {{name: D, holdings: {{{value or 'tanks: 1'}}}}}\n"
    path.write_text(HEAD + party + (field + "\n" if field else ""))
    code, _, err = run(["validate", path], capsys)
    assert code == 2
    one_error(err, phrase)


def test_true_and_false_are_still_booleans(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + "settings: {holdings_may_rise: true}\n")
    assert load_scenario(path).spec.settings.holdings_may_rise is True


def test_inline_quantities_on_the_command_line_are_read_as_yaml12(tmp_path, capsys):
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + "  NO: {name: Norway, holdings: {tanks: 7}, national_ceiling: "
                    "{tanks: 7}}\n")
    code, _stdout, err = run(["zopa", path, "{of: holdings, parties: [NO]}", "--out",
                             tmp_path / "o"], capsys)
    assert code == 0, err
    table = pd.read_csv(tmp_path / "o" / "zopa.csv")
    assert table["maximum"].iloc[0] == pytest.approx(7)  # Norway's 7 tanks: none may be added
    code, _, err = run(["zopa", path, "{of: holdings, parties: *x}"], capsys)
    assert code == 2
    one_error(err, "not PARTY.position and not a YAML mapping", "undefined alias")


def test_the_errors_are_scenario_errors_in_the_api(tmp_path):
    path = _extreme(tmp_path, scale="scale: 1e-300")
    with pytest.raises(ScenarioErrors) as exc:
        load_scenario(path)
    assert "weight per unit of excess is 1e+300" in str(exc.value)


def test_the_checker_api_reports_duplicated_rows_instead_of_failing(solution):
    from cfe_opt.check import read_solution

    scenario = load_scenario(TALKS)
    allocation, equipment = read_solution(solution)
    report = check(scenario, pd.concat([allocation, allocation.iloc[[0]]]),
                   pd.concat([equipment, equipment.iloc[[0]]]))
    assert not report.ok
    texts = [str(v) for v in report.violations]
    assert any("allocation (-): row" in t and "appears twice" in t for t in texts)
    assert any("equipment (-): row" in t and "appears twice" in t for t in texts)
