"""The store: resume, extend, refuse a changed study, compaction that a crash cannot break,
failing variants as rows, DuckDB queries and the notebook API."""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import cfe_opt.study
from cfe_opt.cli import main
from cfe_opt.study import store as store_module
from cfe_opt.study.runner import run_study
from cfe_opt.study.store import Store, StoreError
from tests.study_support import make_tree, write_study

STUDY = """\
name: flank sample
base: ../models/talks_1998.yaml
axes:
  rus_target:
    field: parties.RUS.positions.flank_acv.target
    values: [1380, 2000]
sample:
  size: {size}
  seed: 5
  axes:
    tur_w: {{field: parties.TUR.weight, distribution: log_uniform, low: 0.25, high: 4}}
"""


def run(study, out, **kw):
    kw.setdefault("workers", 1)
    kw.setdefault("chunk_size", 2)
    return run_study(study, out, stream=io.StringIO(), **kw)


def canonical_bytes(out: Path, tmp: Path) -> bytes:
    with cfe_opt.study.open(out) as results:
        path = results.write_canonical(tmp / f"canonical-{out.name}.parquet")
    return path.read_bytes()


def outcome_keys(out: Path) -> list[str]:
    return Store(out).stored_keys()


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path)


def test_run_then_run_again_does_nothing_and_says_so(tree, capsys):
    study = write_study(tree, STUDY.format(size=3))
    out = tree / "out"
    first = run(study, out)
    assert (first.computed, first.variants, first.by_status["optimal"]) == (6, 6, 6)
    stamp = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert main(["study", "run", str(study), "--out", str(out), "--workers", "1"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"flank sample: nothing to do — all 6 variants are already in {out}")
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamp
    assert main(["study", "status", str(out)]) == 0
    assert capsys.readouterr().out.strip() == (
        "flank sample: 6/6 variants done: 6 optimal; complete; 3 row files")


def test_growing_the_sample_computes_only_the_new_draws(tree, tmp_path):
    out = tree / "grown"
    run(write_study(tree, STUDY.format(size=3)), out)
    before = set(outcome_keys(out))
    grown = run(write_study(tree, STUDY.format(size=5)), out)
    assert grown.already_done == 6 and grown.computed == 4
    after = outcome_keys(out)
    assert len(after) == len(set(after)) == 10 and before < set(after)
    fresh = tree / "fresh"
    run(write_study(tree, STUDY.format(size=5), "fresh.yaml"), fresh, workers=1, chunk_size=3)
    assert canonical_bytes(out, tmp_path) == canonical_bytes(fresh, tmp_path)


def test_a_new_axis_value_and_a_new_axis_with_the_base_value_are_extensions(tree):
    out = tree / "ext"
    run(write_study(tree, STUDY.format(size=2)), out)
    more = STUDY.format(size=2).replace("[1380, 2000]", "[1380, 2000, 2400]")
    assert run(write_study(tree, more), out).computed == 2
    # Norway's cap at its base value 1380 is the variants already stored
    axis = ("  nor_cap:\n    field: parties.NOR.positions.flank_acv_no_rise.target\n"
            "    values: [1380, 1500]\n")
    wider = more.replace("sample:", axis + "sample:")
    again = run(write_study(tree, wider), out)
    assert (again.already_done, again.computed) == (6, 6)
    with cfe_opt.study.open(out) as results:
        frame = results.df(columns=["nor_cap", "rus_target", "sample", "status"])
    assert len(frame) == 12 and set(frame["nor_cap"]) == {1380, 1500}
    assert (frame["status"] == "optimal").all()


@pytest.mark.parametrize(("change", "reason"), [
    (("seed: 5", "seed: 6"), "4 of its 4 stored variants are not in this study's design"),
    (("base: ../models/talks_1998.yaml", "base: ../models/talks_1998_flank_deadlock.yaml"),
     "the base scenario changed (sha256"),
    (("sample:", "keep:\n  ceilings: none\nsample:"),
     "the row columns changed, what rows keep (keep:) changed"),
])
def test_a_changed_study_is_refused_never_mixed(tree, change, reason):
    out = tree / "refuse"
    run(write_study(tree, STUDY.format(size=2)), out)
    files = sorted(p.name for p in (out / "chunks").iterdir())
    changed = write_study(tree, STUDY.format(size=2).replace(*change), "changed.yaml")
    with pytest.raises(StoreError) as caught:
        run(changed, out)
    assert str(caught.value).startswith(f"{out} holds a different study: ")
    assert reason in str(caught.value)
    assert str(caught.value).endswith("use a new --out folder (or delete this one)")
    assert sorted(p.name for p in (out / "chunks").iterdir()) == files


def test_a_refused_store_exits_2_with_one_line(tree, capsys):
    out = tree / "refuse_cli"
    run(write_study(tree, STUDY.format(size=2)), out)
    changed = write_study(tree, STUDY.format(size=2).replace("seed: 5", "seed: 9"), "c.yaml")
    assert main(["study", "run", str(changed), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"cfe-opt: error: {out} holds a different study")


def test_a_folder_that_is_no_store_is_refused(tree):
    out = tree / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="folder is not empty and holds no study store"):
        run(write_study(tree, STUDY.format(size=1)), out)
    assert (out / "notes.txt").read_text() == "mine"


def test_a_setup_killed_before_its_manifest_is_begun_again(tree):
    """A kill between writing the design and the manifest leaves the design, the study file
    and an empty chunks folder, and no row: the next run begins the store again (and gives the
    rows a clean run gives); anything else in the folder is still refused."""
    study = write_study(tree, STUDY.format(size=3))
    clean = tree / "clean"
    run(study, clean)
    out = tree / "killed"
    (out / "chunks").mkdir(parents=True)
    for name in ("design.parquet", "study.yaml"):
        (out / name).write_bytes((clean / name).read_bytes())
    run(study, out)
    assert (out / "manifest.json").is_file()
    assert canonical_bytes(out, tree) == canonical_bytes(clean, tree)
    other = tree / "other"
    (other / "chunks").mkdir(parents=True)
    (other / "chunks" / "chunk-x.parquet").write_bytes(b"rows?")
    with pytest.raises(StoreError, match="folder is not empty and holds no study store"):
        run(study, other)


def test_failing_variants_are_rows_and_the_study_goes_on(tree, capsys):
    study = write_study(tree, """\
        name: failures
        base: ../models/talks_1998_flank_deadlock.yaml
        axes:
          floor:
            field: parties.RUS.red_lines.flank_acv_floor.value
            values: [1380, 1500]
          nato_tanks:
            field: parties.NATO_OTHERS.holdings.tanks
            values: [15694, -5]
        """, "failures.yaml")
    out = tree / "failures"
    summary = run(study, out)
    assert dict(summary.by_status) == {"optimal": 1, "infeasible": 1, "invalid": 2}
    with cfe_opt.study.open(out) as results:
        rows = results.sql('SELECT floor, nato_tanks, status, reason, concession_total '
                           'FROM variants ORDER BY point')
    assert rows["status"].tolist() == ["optimal", "invalid", "infeasible", "invalid"]
    assert rows["reason"][1] == ("parties.NATO_OTHERS.holdings.tanks.value: input should be "
                                 "greater than or equal to 0 (got -5)")
    assert rows["concession_total"][2] == 120
    assert main(["study", "status", str(out)]) == 0
    assert capsys.readouterr().out.strip() == (
        "failures: 4/4 variants done: 1 optimal, 1 infeasible, 2 invalid; complete; "
        "2 row files")


def test_queries_through_duckdb(tree, capsys):
    study = write_study(tree, STUDY.format(size=2))
    out = tree / "query"
    run(study, out)
    assert main(["study", "query", str(out), 'SELECT rus_target, count(*) AS n, '
                 'max("deviation.RUS.flank_acv") AS dev FROM variants GROUP BY rus_target '
                 'ORDER BY rus_target', "--csv"]) == 0
    assert capsys.readouterr().out == "rus_target,n,dev\n1380,2,0.0\n2000,2,620.0\n"
    assert main(["study", "query", str(out), "SELECT nonsense FROM variants"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cfe-opt: error: query: ")
    assert "nonsense" in err[0]


def test_a_query_reads_the_store_and_nothing_else(tree, capsys):
    """A query may neither write (COPY, CREATE…) nor open other files, even the store's own
    ones to overwrite, nor switch the guard off."""
    study = write_study(tree, STUDY.format(size=2))
    out = tree / "guarded"
    run(study, out)
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    secret = tree / "secret.csv"
    secret.write_text("a\n1\n", encoding="utf-8")
    refused = {
        f"COPY (SELECT 1) TO '{out / 'design.parquet'}'": "not COPY",
        "CREATE TABLE t AS SELECT 1": "not CREATE",
        "SET enable_external_access = true": "not SET",
        "SELECT 1; SELECT 2": "one statement, not 2",
        f"SELECT * FROM read_csv('{secret}')": "Permission Error",
        f"ATTACH '{tree / 'x.db'}'": "not ATTACH",
    }
    for query, reason in refused.items():
        assert main(["study", "query", str(out), query]) == 2, query
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and reason in err[0], (query, err)
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
    assert not (tree / "x.db").exists()
    assert main(["study", "query", str(out), "SELECT count(*) AS n FROM variants"]) == 0
    assert capsys.readouterr().out.split() == ["n", "4"]


def test_the_notebook_api(tree):
    out = tree / "api"
    run(write_study(tree, STUDY.format(size=3)), out)
    with cfe_opt.study.open(out) as results:
        relation = results.relation()
        assert relation.filter("rus_target = 2000").aggregate("count(*)").fetchall() == [(3,)]
        frame = results.df(columns=["point", "tur_w", "party_deviation.RUS"],
                           where="rus_target = 2000")
        assert frame["point"].tolist() == [3, 4, 5]
        table = results.table()
        assert table.num_rows == 6 and "run.seconds" not in table.column_names
        assert "run.seconds" in results.table(canonical=False).column_names
        design = results.relation("design").aggregate("count(*)").fetchall()
        assert design == [(6,)]
        # the canonical table is the join in design order: its keys are the design's
        assert table.column("key").to_pylist() == results.relation("design").order(
            "point").project("key").fetchnumpy()["key"].tolist()


def test_a_second_run_on_the_same_store_is_refused(tree):
    study = write_study(tree, STUDY.format(size=1))
    out = tree / "locked"
    out.mkdir()
    with open(out / ".lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        with pytest.raises(StoreError, match="another 'study run' is writing this store"):
            run(study, out)


def test_compaction_interrupted_between_write_and_delete_loses_and_doubles_nothing(
        tree, tmp_path, monkeypatch):
    study = write_study(tree, STUDY.format(size=9))
    out = tree / "compact"
    monkeypatch.setattr(store_module, "COMPACT_MIN_FILES", 10**6)  # no compaction in the run
    run(study, out, chunk_size=1)
    reference = canonical_bytes(out, tmp_path)
    small = sorted((out / "chunks").glob("chunk-*.parquet"))
    assert len(small) == 18
    store = Store(out)
    fp = store.manifest()["fingerprint"]

    class Crash(BaseException):
        pass

    real_unlink = Path.unlink
    calls = {"n": 0}

    def crashing_unlink(self, *args, **kwargs):
        if self.name.startswith("chunk-"):
            calls["n"] += 1
            if calls["n"] == 3:  # a kill after the merged file is in place, mid-deletion
                raise Crash
        return real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", crashing_unlink)
    with pytest.raises(Crash):
        store.compact(fp, rows=1000, min_files=2)
    monkeypatch.setattr(Path, "unlink", real_unlink)
    parts = list((out / "chunks").glob("part-*.parquet"))
    assert len(parts) == 1
    assert len(list((out / "chunks").glob("chunk-*.parquet"))) == 16  # 2 deleted, 16 left
    live = store.scan()
    assert live.files == parts and len(live.replaced) == 16
    keys = store.stored_keys()
    assert len(keys) == len(set(keys)) == 18
    assert canonical_bytes(out, tmp_path) == reference
    store.tidy(fp)
    assert sorted((out / "chunks").iterdir()) == parts
    assert canonical_bytes(out, tmp_path) == reference


def test_small_files_are_compacted_after_a_run(tree, tmp_path):
    study = write_study(tree, STUDY.format(size=9))
    out = tree / "compacted"
    run(study, out, chunk_size=1)
    files = sorted((out / "chunks").iterdir())
    assert [p.name.split("-")[0] for p in files] == ["part"]
    assert pq.read_metadata(files[0]).num_rows == 18
    meta = pq.read_schema(files[0]).metadata
    assert len(json.loads(meta[b"cfe_opt.replaces"])) == 18


def test_leftovers_of_a_kill_are_cleaned_and_a_corrupt_file_recomputed(tree, tmp_path):
    study = write_study(tree, STUDY.format(size=2))
    out = tree / "leftovers"
    run(study, out)
    reference = canonical_bytes(out, tmp_path)
    chunk = sorted((out / "chunks").glob("chunk-*.parquet"))[0]
    (out / "chunks" / ".chunk-x.parquet.123.tmp").write_bytes(b"half a file")
    data = chunk.read_bytes()
    chunk.write_bytes(data[: len(data) // 2])  # damage from outside: not readable
    again = run(study, out)
    assert again.computed == 2  # the damaged chunk's two variants, nothing else
    assert not list((out / "chunks").glob(".*.tmp"))
    assert chunk.with_suffix(".corrupt").exists()
    assert canonical_bytes(out, tmp_path) == reference


def test_a_chunk_is_in_place_only_if_it_reads_back(tree, monkeypatch):
    import pyarrow as pa

    table = pa.table({"key": ["a", "b"], "x": [1.0, 2.0]})
    real = pq.ParquetFile.read

    def garbled(self, *args, **kwargs):
        return real(self, *args, **kwargs).slice(0, 1)

    monkeypatch.setattr(pq.ParquetFile, "read", garbled)
    target = tree / "c" / "chunk.parquet"
    with pytest.raises(OSError, match="did not read back as written"):
        store_module.write_parquet_atomic(table, target)
    assert not target.exists() and not list((tree / "c").iterdir())


def test_the_canonical_table_has_a_stable_hash(tree, tmp_path):
    study = write_study(tree, STUDY.format(size=2))
    a, b = tree / "a", tree / "b"
    run(study, a, chunk_size=1)
    run(study, b, chunk_size=3)
    assert hashlib.sha256(canonical_bytes(a, tmp_path)).hexdigest() == hashlib.sha256(
        canonical_bytes(b, tmp_path)).hexdigest()
    assert os.path.getsize(tmp_path / "canonical-a.parquet") > 0


def test_a_variant_that_kills_its_worker_is_an_error_row(tree):
    from tests.study_support import CrashingEvaluator

    study = write_study(tree, """\
        name: crashes
        base: ../models/talks_1998.yaml
        axes:
          tur_w:
            field: parties.TUR.weight
            values: [0.5, 1, 2]
          rus_target:
            field: parties.RUS.positions.flank_acv.target
            values: [1380, 2000]
        """, "crashes.yaml")
    out = tree / "crashes"
    summary = run_study(study, out, workers=2, chunk_size=3, evaluator=CrashingEvaluator,
                        stream=io.StringIO())
    assert dict(summary.by_status) == {"optimal": 4, "error": 2}
    with cfe_opt.study.open(out) as results:
        rows = results.sql('SELECT tur_w, status, reason, "run.evaluator" AS ev FROM variants '
                           "ORDER BY point")
    assert rows["status"].tolist() == ["optimal"] * 4 + ["error"] * 2
    assert rows["tur_w"].tolist()[4:] == [2, 2]
    assert all(r.startswith("the worker failed while solving this variant (BrokenProcessPool")
               for r in rows["reason"][4:])
    assert set(rows["ev"]) == {"crashing"}


@pytest.mark.parametrize(("args", "message"), [
    (["study"], "cfe-opt: error: give an action: cfe-opt study run|validate|status|query|"
                "export|report|diff (see cfe-opt study --help)"),
    (["study", "status", "{tree}/nowhere"], "cfe-opt: error: {tree}/nowhere: not a study store "
     "(no manifest.json; run 'cfe-opt study run STUDY --out DIR' first)"),
    (["study", "run", "{study}", "--out", "{tree}/afile"],
     "cfe-opt: error: {tree}/afile: exists and is not a folder; give a folder for the store"),
    (["study", "run", "{study}", "--out", "{tree}/o", "--workers", "0"],
     "cfe-opt: error: --workers must be at least 1"),
    (["study", "run", "{study}", "--out", "{tree}/o", "--evaluator", "magic"],
     "cfe-opt: error: unknown evaluator 'magic' (choose {evaluators})"),
])
def test_command_line_mistakes_are_one_line_exit_2(tree, capsys, args, message):
    study = write_study(tree, STUDY.format(size=1))
    (tree / "afile").write_text("")
    from cfe_opt.study.runner import EVALUATORS

    fill = {"tree": str(tree), "study": str(study), "evaluators": ", ".join(EVALUATORS)}
    assert main([a.format(**fill) for a in args]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [message.format(**fill)]


def test_at_least_one_variant_in_a_hundred_of_every_run_is_also_solved_cold(tree):
    """The first of every 100 variants a run computes is re-solved from scratch and compared
    (``run.cold_check``): 250 variants give exactly 3 checks, all agreeing; a resumed run
    checks its own share of what it computes."""
    study = write_study(tree, STUDY.format(size=125))  # 2 targets × 125 weights
    out = tree / "cold"
    first = run(study, out, chunk_size=7)
    assert first.computed == 250 and (first.cold_checked, first.cold_disagreed) == (3, 0)
    with cfe_opt.study.open(out) as results:
        checks = results.sql('SELECT "run.cold_check" AS c FROM variants '
                             'WHERE "run.cold_check" IS NOT NULL')["c"].tolist()
    assert checks == [True, True, True]
    grown = write_study(tree, STUDY.format(size=180), "grown.yaml")
    again = run(grown, out, chunk_size=7)
    assert again.computed == 110 and again.cold_checked == 2
