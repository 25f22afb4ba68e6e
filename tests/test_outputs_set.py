"""Outputs with provenance, replaced as a set (issue 8).

Each command writes one set into its own folder (out/<scenario>/<command>[-<digest>]) with a
run.json record; a second run of another question gets another folder, the same question
replaces its set as a whole; a command killed at any moment leaves the previous complete set or
the new complete set, and the next run removes what the killed one left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import cfe_opt.outputs as outputs
from cfe_opt.cli import build_parser, main
from cfe_opt.commands import command_parameters
from cfe_opt.outputs import RECORD, is_complete, publish, read_record, recover_leftovers, set_name
from cfe_opt.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
# output sets are tested on the frozen pre-issue-7 talks files (one set per command: no cases)
FROZEN = ROOT / "tests" / "fixtures" / "talks_1998_before_issue_7"
TALKS = FROZEN / "talks_1998.yaml"
MOSCOW = MODELS / "talks_1998_moscow_figure.yaml"
DEADLOCK = FROZEN / "talks_1998_flank_deadlock.yaml"
FIELD = "parties.RUS.positions.flank_acv.target"
USA = "{of: national_ceiling, parties: [USA], categories: [tanks]}"
OTHERS = "{of: national_ceiling, parties: [NATO_OTHERS], categories: [tanks]}"


def run(args: list[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def hashes(folder: Path, skip_record: bool = True) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if not (skip_record and p.name == RECORD)}


def answer(folder: Path) -> dict[str, str]:
    """What identifies a solve's answer: its tables by hash and the scenario's sha256 (the
    summary and the record also hold timings and times, which differ from run to run)."""
    found = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(folder.glob("*.csv"))}
    found["scenario"] = read_record(folder)["scenario"]["sha256"]
    found["summary_status"] = json.loads((folder / "summary.json").read_text())["status"]
    return found


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".cfe-opt-" in p.name)


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _parameters(argv: list[str]) -> tuple[dict, dict]:
    parser = build_parser()
    args = parser.parse_args(argv)
    sub = next(a for a in parser._actions if hasattr(a, "choices") and isinstance(
        a.choices, dict)).choices[args.command]
    defaults = {a.dest: a.default for a in sub._actions if a.dest != "help"}
    params = command_parameters(args)
    return params, {k: v for k, v in defaults.items() if k in params}


# ---- where each set goes ----------------------------------------------------------------------
def test_default_folders_name_the_scenario_the_command_and_its_parameters(cwd, capsys):
    code, out, _ = run(["solve", TALKS, "--quiet"], capsys)
    assert code == 0 and "to out/talks_1998/solve/" in out
    assert is_complete(cwd / "out" / "talks_1998" / "solve")
    code, out, _ = run(["solve", TALKS, "--objective", "minimax", "--quiet"], capsys)
    name = set_name("solve", *_parameters(["solve", str(TALKS), "--objective", "minimax"]))
    assert re.fullmatch(r"solve-[0-9a-f]{8}", name)
    assert code == 0 and f"to out/talks_1998/{name}/" in out
    assert is_complete(cwd / "out" / "talks_1998" / name)
    # the plain solve is still there, untouched by the minimax one
    assert is_complete(cwd / "out" / "talks_1998" / "solve")
    # an option given at its default value is the same question: the same folder
    code, out, _ = run(["solve", TALKS, "--objective", "weighted", "--quiet"], capsys)
    assert "to out/talks_1998/solve/ (replacing the set of 'solve'" in out


def test_the_readme_example_folder_is_the_real_digest():
    readme = (ROOT / "README.md").read_text()
    name = set_name("solve", *_parameters(["solve", str(TALKS), "--objective", "minimax"]))
    assert f"`out/talks_1998/{name}/`\nfor `--objective minimax`" in readme


def test_a_second_sweep_does_not_overwrite_the_first(cwd, capsys):
    first = ["sweep", TALKS, "--vary", f"{FIELD}=1200:2000:400"]
    second = ["sweep", TALKS, "--vary", f"{FIELD}=1200:2400:600"]
    assert run(first, capsys)[0] == 0
    assert run(second, capsys)[0] == 0
    sets = sorted((cwd / "out" / "talks_1998").iterdir())
    assert [p.name[:6] for p in sets] == ["sweep-", "sweep-"] and len(set(sets)) == 2
    assert all(is_complete(p) for p in sets)
    tables = {p.name: pd.read_csv(p / "sweep.csv") for p in sets}
    values = {name: sorted(t["value"].unique()) for name, t in tables.items()}
    assert sorted(values.values()) == [[1200, 1600, 2000], [1200, 1800, 2400]]
    again_code, again_out, _ = run(first, capsys)
    assert again_code == 0 and "(replacing the set of 'sweep' written" in again_out
    assert sorted((cwd / "out" / "talks_1998").iterdir()) == sets
    assert leftovers(cwd / "out" / "talks_1998") == []


def test_diagnose_on_a_now_feasible_scenario_leaves_no_old_conflict(tmp_path, capsys):
    out = tmp_path / "diag"
    code, _, _ = run(["diagnose", DEADLOCK, "--out", out], capsys)
    assert code == 1
    assert sorted(os.listdir(out)) == ["concession.csv", "concession_fair.csv", "conflict.csv",
                                    RECORD]
    code, stdout, _ = run(["diagnose", TALKS, "--out", out], capsys)
    assert code == 0 and "feasible" in stdout
    assert sorted(os.listdir(out)) == [RECORD]
    record = read_record(out)
    assert record["outcome"] == {"feasible": True} and record["files"] == {}
    assert is_complete(out)


def test_zopa_of_one_quantity_leaves_no_polygon_of_an_earlier_run(tmp_path, capsys):
    out = tmp_path / "z"
    assert run(["zopa", TALKS, USA, OTHERS, "--out", out], capsys)[0] == 0
    assert (out / "zopa_region.csv").exists()
    assert run(["zopa", TALKS, USA, "--out", out], capsys)[0] == 0
    assert not (out / "zopa_region.csv").exists() and is_complete(out)


def test_a_set_with_a_file_of_the_users_is_not_replaced(tmp_path, capsys):
    out = tmp_path / "s"
    assert run(["solve", TALKS, "--out", out, "--quiet"], capsys)[0] == 0
    (out / "my-notes.md").write_text("what I make of it\n")
    before = hashes(out, skip_record=False)
    code, _, err = run(["solve", MOSCOW, "--out", out, "--quiet"], capsys)
    assert code == 2
    assert "holds files cfe-opt did not write (my-notes.md)" in err
    assert hashes(out, skip_record=False) == before


# ---- what run.json says -----------------------------------------------------------------------
def test_run_json_records_the_command_the_scenario_the_versions_and_every_file(tmp_path,
                                                                              capsys):
    out = tmp_path / "s"
    argv = ["solve", str(TALKS), "--out", str(out), "--objective", "minimax", "--quiet"]
    assert run(argv, capsys)[0] == 0
    record = json.loads((out / RECORD).read_text())
    assert record["tool"] == "cfe-opt" and record["command"] == "solve"
    assert record["argv"] == argv
    scenario = load_scenario(TALKS)
    assert record["scenario"]["sha256"] == scenario.sha256
    assert record["scenario"]["name"] == scenario.name
    assert record["scenario"]["file_sha256"] == {
        name: hashlib.sha256(Path(name).read_bytes()).hexdigest() for name in scenario.files}
    assert record["parameters"] == {"case": None, "figure_format": None, "integer": False,
                                    "objective": "minimax", "robustness": False,
                                    "solver": "highs", "time_limit": None,
                                    "write_model": False}
    assert record["outcome"] == {"status": "optimal"}
    for name in ("cfe-opt", "python", "pulp", "highspy", "pandas"):
        assert record["versions"][name]
    # every file of the set, by size and hash, and nothing else in the folder
    assert set(record["files"]) == set(os.listdir(out)) - {RECORD}
    for name, meta in record["files"].items():
        data = (out / name).read_bytes()
        assert meta == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"]["sha256"] == record["scenario"]["sha256"]


def test_run_json_records_each_analysis_own_parameters(tmp_path, capsys):
    out = tmp_path / "f"
    assert run(["frontier", TALKS, "RUS", "TUR+NOR", "--out", out], capsys)[0] == 0
    record = read_record(out)
    assert record["parameters"]["side_a"] == "RUS" and record["parameters"]["side_b"] == "TUR+NOR"
    assert record["resolved"] == {"side_a_parties": ["RUS"], "side_b_parties": ["TUR", "NOR"]}
    out = tmp_path / "z"
    assert run(["zopa", TALKS, USA, OTHERS, "--out", out], capsys)[0] == 0
    record = read_record(out)
    assert record["parameters"]["quantity"] == USA and record["parameters"]["quantity_y"] == OTHERS
    assert record["resolved"]["quantities"] == [
        {"of": "national_ceiling", "parties": ["USA"], "categories": ["tanks"]},
        {"of": "national_ceiling", "parties": ["NATO_OTHERS"], "categories": ["tanks"]}]
    assert run(["zopa", TALKS, "RUS.flank_acv", "--out", out], capsys)[0] == 0
    assert read_record(out)["resolved"]["quantities"] == ["RUS.flank_acv"]
    out = tmp_path / "w"
    assert run(["sweep", TALKS, "--vary", f"{FIELD}=1200:2000:400", "--out", out], capsys)[0] == 0
    record = read_record(out)
    assert record["parameters"]["vary"] == f"{FIELD}=1200:2000:400"
    assert record["resolved"] == {"field": FIELD, "values": [1200.0, 1600.0, 2000.0]}


def test_files_get_the_usual_modes(tmp_path, capsys):
    out = tmp_path / "s"
    assert run(["solve", TALKS, "--out", out, "--quiet"], capsys)[0] == 0
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~mask
    for path in out.iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path.name


# ---- the swap, the fallback and the clean-up --------------------------------------------------
def _set(folder: Path, files: dict[str, bytes]) -> None:
    publish(folder, files, {"tool": "cfe-opt", "command": "test", "written": str(time.time())})


def test_the_swap_replaces_the_whole_set(tmp_path):
    folder = tmp_path / "set"
    _set(folder, {"a.csv": b"1\n", "b.csv": b"2\n"})
    _set(folder, {"c.csv": b"3\n"})
    assert sorted(os.listdir(folder)) == ["c.csv", RECORD] and is_complete(folder)
    assert leftovers(tmp_path) == []


def test_the_fallback_without_an_atomic_exchange_works_too(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    folder = tmp_path / "set"
    _set(folder, {"a.csv": b"1\n"})
    _set(folder, {"b.csv": b"2\n"})
    assert sorted(os.listdir(folder)) == ["b.csv", RECORD] and is_complete(folder)
    assert leftovers(tmp_path) == []


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_kill_between_the_two_renames_is_repaired_by_the_next_run(tmp_path):
    """The fallback's window: the old set moved aside, the new one not yet in place."""
    folder = tmp_path / "set"
    _set(tmp_path / "old", {"a.csv": b"old\n"})
    time.sleep(0.01)
    _set(tmp_path / "new", {"a.csv": b"new\n"})
    pid = _dead_pid()
    os.rename(tmp_path / "old", tmp_path / f".set.cfe-opt-old-{pid}-aaaa")
    os.rename(tmp_path / "new", tmp_path / f".set.cfe-opt-new-{pid}-bbbb")
    recover_leftovers(folder)
    assert (folder / "a.csv").read_bytes() == b"new\n" and is_complete(folder)
    assert leftovers(tmp_path) == []


def test_leftovers_of_killed_runs_are_removed_and_live_ones_kept(tmp_path):
    folder = tmp_path / "set"
    _set(folder, {"a.csv": b"1\n"})
    dead, alive = _dead_pid(), os.getppid()
    half = tmp_path / f".set.cfe-opt-new-{dead}-cccc"
    half.mkdir()
    (half / "a.csv").write_bytes(b"half")
    busy = tmp_path / f".set.cfe-opt-new-{alive}-dddd"
    busy.mkdir()
    other = tmp_path / ".other.cfe-opt-new-1-eeee"  # another set's: not ours to touch
    other.mkdir()
    _set(folder, {"b.csv": b"2\n"})
    assert not half.exists() and busy.exists() and other.exists()
    assert sorted(os.listdir(folder)) == ["b.csv", RECORD]


def test_an_incomplete_leftover_is_never_put_in_place(tmp_path):
    folder = tmp_path / "set"
    half = tmp_path / f".set.cfe-opt-new-{_dead_pid()}-ffff"
    half.mkdir()
    (half / "a.csv").write_bytes(b"half")  # no run.json: killed while writing
    recover_leftovers(folder)
    assert not folder.exists() and leftovers(tmp_path) == []


# ---- kills of real processes ------------------------------------------------------------------
def _start(argv: list[str], pause: float | None = None) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop(outputs.PAUSE_ENV, None)
    if pause is not None:
        env[outputs.PAUSE_ENV] = str(pause)
    return subprocess.Popen([sys.executable, "-m", "cfe_opt", *argv], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _finish(argv: list[str]) -> None:
    proc = _start(argv)
    assert proc.wait(timeout=300) == 0


def _one_of(folder: Path, *expected: dict[str, str]) -> int:
    """The folder is one complete set, equal to one of the expected ones: its index."""
    assert is_complete(folder), sorted(os.listdir(folder))
    found = answer(folder)
    assert found in expected, found
    return expected.index(found)


def test_a_kill_while_the_set_is_written_leaves_one_complete_set(tmp_path):
    rng = random.Random(8)
    folder = tmp_path / "set"
    a_argv = ["solve", str(TALKS), "--out", str(folder), "--quiet"]
    b_argv = ["solve", str(MOSCOW), "--out", str(folder), "--quiet"]
    _finish(["solve", str(MOSCOW), "--out", str(tmp_path / "b"), "--quiet"])
    b_files = answer(tmp_path / "b")
    _finish(a_argv)
    a_files = answer(folder)
    assert a_files != b_files  # two different answers, so a mixture would show
    seen_mid_write = 0
    for attempt in range(5):
        proc = _start(b_argv, pause=0.25)  # the writer pauses after each file it writes
        deadline = time.monotonic() + 300
        staging: list[Path] = []
        while not staging and proc.poll() is None and time.monotonic() < deadline:
            staging = [p for p in tmp_path.glob(".set.cfe-opt-new-*") if p.is_dir()]
            time.sleep(0.005)
        if attempt == 0:  # once at a fixed moment: with some files written, not all
            while proc.poll() is None and len(list(staging[0].glob("*.csv"))) < 2:
                time.sleep(0.005)
        else:
            time.sleep(rng.uniform(0.0, 1.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        seen_mid_write += bool(leftovers(tmp_path))
        _one_of(folder, a_files, b_files)
    assert seen_mid_write >= 1  # the kills did land while a set was being written
    _finish(b_argv)  # the next run completes and removes what the killed ones left
    assert _one_of(folder, a_files, b_files) == 1
    assert leftovers(tmp_path) == []


def test_kills_at_random_moments_leave_one_complete_set(tmp_path):
    rng = random.Random(1999)
    folder = tmp_path / "set"
    argvs = [["solve", str(scenario), "--out", str(folder), "--quiet"]
             for scenario in (TALKS, MOSCOW)]
    expected = []
    for argv in argvs:
        start = time.monotonic()
        _finish(argv)
        duration = time.monotonic() - start
        expected.append(answer(folder))
    for i in range(4):
        proc = _start(argvs[i % 2])
        time.sleep(rng.uniform(0.3, 1.1) * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        _one_of(folder, *expected)
    _finish(argvs[0])
    assert _one_of(folder, *expected) == 0
    assert leftovers(tmp_path) == []
