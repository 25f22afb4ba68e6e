"""Durability and determinism: SIGKILL a real `study run` at random moments, run again, and the
final table is the uninterrupted run's, byte for byte; and the same for 1 vs 2 workers vs a
Dask LocalCluster."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import cfe_opt.study
from cfe_opt.study.runner import run_study
from cfe_opt.study.store import Store
from tests.study_support import REPO, make_tree, write_study

STUDY = """\
name: kill study
base: ../models/talks_1998_flank_deadlock.yaml
objectives: [weighted, minimax]
axes:
  floor:
    field: parties.RUS.red_lines.flank_acv_floor.value
    values: [1380, 1500]
  rus_target:
    field: parties.RUS.positions.flank_acv.target
    values: [1380, 2000, 2400]
  tur_w:
    field: parties.TUR.weight
    values: [0.5, 1, 2]
  nato_tanks:
    field: parties.NATO_OTHERS.holdings.tanks
    values: [15694, -1]
"""
KILLS = 10
SEED = int(os.environ.get("CFE_OPT_KILL_SEED", "20240607"))


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = make_tree(tmp_path_factory.mktemp("kill"))
    write_study(root, STUDY)
    return root


def canonical(out: Path) -> bytes:
    with cfe_opt.study.open(out) as results:
        return results.write_canonical(out.parent / f"{out.name}.canonical.parquet").read_bytes()


@pytest.fixture(scope="module")
def reference(tree):
    out = tree / "reference"
    summary = run_study(tree / "studies" / "study.yaml", out, workers=1, stream=io.StringIO())
    assert summary.computed == summary.variants == 72
    assert set(summary.by_status) == {"optimal", "infeasible", "invalid"}
    return canonical(out)


def _start(study: Path, out: Path, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cfe_opt", "study", "run", str(study), "--out", str(out),
         "--workers", str(workers), "--chunk-size", "2"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)


def _group_gone(pgid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _check_intact(out: Path) -> int:
    """Whatever a kill left: every visible row file reads whole, no key twice, a readable
    manifest and design when they exist. Returns the rows stored."""
    if (out / "manifest.json").exists():
        json.loads((out / "manifest.json").read_text())
        pq.read_table(out / "design.parquet")
    keys: list[str] = []
    chunks = out / "chunks"
    if chunks.is_dir():
        live = Store(out).scan()
        assert not live.corrupt
        for path in live.files:
            keys.extend(pq.read_table(path).column("key").to_pylist())
    assert len(keys) == len(set(keys))
    return len(keys)


def test_sigkill_at_random_moments_then_resume(tree, reference):
    study = tree / "studies" / "study.yaml"
    rng = random.Random(SEED)
    kills, attempt, out = 0, 0, tree / "killed-0"
    stored_after_kills = []
    while kills < KILLS:
        attempt += 1
        assert attempt < 60, "the run kept finishing before it could be killed"
        workers = 1 + attempt % 2
        process = _start(study, out, workers)
        time.sleep(rng.uniform(0.5, 3.5))
        if process.poll() is not None:  # finished first: start over in a new store
            assert process.returncode == 0, process.stderr.read()
            assert canonical(out) == reference
            out = tree / f"killed-{attempt}"
            continue
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        # its worker processes notice and leave by themselves
        assert _group_gone(process.pid, 20), "worker processes outlived the killed run"
        process.stderr.close()
        kills += 1
        stored_after_kills.append(_check_intact(out))
    final = subprocess.run(
        [sys.executable, "-m", "cfe_opt", "study", "run", str(study), "--out", str(out),
         "--workers", "2"], cwd=REPO, capture_output=True, text=True, timeout=600,
        check=False)
    assert final.returncode == 0, final.stderr
    store = Store(out)
    keys = store.stored_keys()
    design_keys = set(store.read_design().column("key").to_pylist())
    assert len(keys) == len(set(keys)) == len(design_keys) == 72  # each variant exactly once
    assert set(keys) == design_keys
    assert canonical(out) == reference
    assert kills >= 10


def test_identical_for_one_and_two_workers_and_dask(tree, reference):
    study = tree / "studies" / "study.yaml"
    for name, options in [("one", {"workers": 1, "chunk_size": 5}),
                          ("two", {"workers": 2}),
                          ("dask", {"dask": "local", "workers": 2, "chunk_size": 3})]:
        out = tree / f"backend-{name}"
        summary = run_study(study, out, stream=io.StringIO(), **options)
        assert summary.computed == 72, name
        assert canonical(out) == reference, name


def test_an_existing_dask_cluster_by_its_address(tree, reference):
    import logging

    from distributed import LocalCluster

    study = tree / "studies" / "study.yaml"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        out = tree / "backend-tcp"
        summary = run_study(study, out, dask=cluster.scheduler_address, stream=io.StringIO())
        assert summary.computed == 72
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    assert canonical(out) == reference


def test_a_resumed_run_equals_an_uninterrupted_one(tree, reference):
    study = tree / "studies" / "study.yaml"
    out = tree / "resumed"
    # a first run stopped after some chunks (Ctrl-C: the run's own KeyboardInterrupt)
    from cfe_opt.study import runner

    real = runner.Store.write_chunk
    written = {"n": 0}

    def stop_after_three(self, table, fp):
        path = real(self, table, fp)
        written["n"] += 1
        if written["n"] == 3:
            raise KeyboardInterrupt
        return path

    runner.Store.write_chunk = stop_after_three
    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            run_study(study, out, workers=1, chunk_size=4, stream=io.StringIO())
    finally:
        runner.Store.write_chunk = real
    assert "interrupted" in str(caught.value) and "run again to resume" in str(caught.value)
    assert len(Store(out).stored_keys()) == 12
    again = run_study(study, out, workers=2, stream=io.StringIO())
    assert (again.already_done, again.computed) == (12, 60)
    assert canonical(out) == reference
