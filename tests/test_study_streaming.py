"""What keeps a study run's memory flat in the number of variants: the design written in
batches whose columns are typed from the axes (not from the batch), the points to run found
from key digests, compaction streamed in row groups — each giving what the whole-table code
gave."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cfe_opt.study import store as store_module
from cfe_opt.study.design import Design
from cfe_opt.study.load import load_study
from cfe_opt.study.runner import run_study, todo_points
from cfe_opt.study.store import Store, key_digests
from tests.study_support import make_tree, write_study

MIXED = """\
name: mixed numbers
base: ../models/talks_1998.yaml
axes:
  rus_target:
    field: parties.RUS.positions.flank_acv.target
    values: [1380, 1500.5, 2000]
  tur_w:
    field: parties.TUR.weight
    values: [1, 2]
"""


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path)


def test_design_batches_are_typed_from_the_axes_not_the_batch(tree):
    design = Design.of(load_study(write_study(tree, MIXED)))
    batches = list(design.batches(size=2))
    assert [b.num_rows for b in batches] == [2, 2, 2]
    # the first batch holds only whole targets (1380, 1380): still a float column, as the
    # axis has 1500.5; the weights are all whole: an integer column
    assert all(b.schema.field("rus_target").type == pa.float64() for b in batches)
    assert all(b.schema.field("tur_w").type == pa.int64() for b in batches)
    table = design.table()
    assert table.column("rus_target").to_pylist() == [1380.0, 1380.0, 1500.5, 1500.5,
                                                      2000.0, 2000.0]
    assert table.column("tur_w").to_pylist() == [1, 2, 1, 2, 1, 2]
    assert table.column("point").to_pylist() == list(range(6))
    keys = [v.key for _, _, v in design.points()]
    assert table.column("key").to_pylist() == keys


def test_the_points_to_run_are_first_occurrences_of_keys_not_stored():
    hexes = [f"{i:064x}" for i in range(4)]
    # design order: k2 k0 k2 k1 k3 k0; stored: k1
    design = key_digests([hexes[i] for i in (2, 0, 2, 1, 3, 0)])
    stored = key_digests([hexes[1]])
    assert todo_points(design, stored).tolist() == [0, 1, 4]
    assert todo_points(design, key_digests([])).tolist() == [0, 1, 3, 4]
    assert todo_points(design, np.unique(design)).tolist() == []


def test_a_key_digest_is_the_hex_key(tmp_path):
    key = "ab" * 32
    assert key_digests([key]).tolist() == [bytes.fromhex(key)]
    with pytest.raises(ValueError):
        key_digests(["not hex" + "0" * 57])


def test_compaction_streams_row_groups_and_keeps_every_row(tree, tmp_path, monkeypatch):
    import cfe_opt.study

    study = write_study(tree, MIXED)
    a, b = tree / "a", tree / "b"
    monkeypatch.setattr(store_module, "COMPACT_MIN_FILES", 10**6)  # no compaction in the run
    run_study(study, a, workers=1, chunk_size=1, stream=io.StringIO())
    run_study(study, b, workers=1, chunk_size=6, stream=io.StringIO())
    store = Store(a)
    fp = store.manifest()["fingerprint"]
    # a chunk file is written uncompressed (it lives until compacted), a merged one with zstd
    compressions = {pq.read_metadata(p).row_group(0).column(k).compression
                    for p in store.scan().files for k in range(3)}
    assert compressions == {"UNCOMPRESSED"}
    monkeypatch.setattr(store_module, "GROUP_ROWS", 4)
    assert store.compact(fp, rows=1000, min_files=2) == 6
    [part] = store.scan().files
    meta = pq.read_metadata(part)
    assert {meta.row_group(0).column(k).compression for k in range(3)} == {"ZSTD"}
    assert meta.num_rows == 6 and [meta.row_group(i).num_rows for i in range(2)] == [4, 2]
    assert sorted(store.stored_keys()) == sorted(Store(b).stored_keys())
    canonical = []
    for out in (a, b):
        with cfe_opt.study.open(out) as results:
            canonical.append(results.write_canonical(tmp_path / f"{out.name}.parquet")
                             .read_bytes())
    assert canonical[0] == canonical[1]


def test_a_merged_file_is_in_place_only_if_it_reads_back(tmp_path, monkeypatch):
    table = pa.table({"key": ["a", "b", "c"], "x": [1.0, 2.0, 3.0]})
    real = pq.ParquetFile.read_row_group

    def garbled(self, i, *args, **kwargs):
        return real(self, i, *args, **kwargs).slice(0, 1)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", garbled)
    target = tmp_path / "c" / "part.parquet"
    with pytest.raises(OSError, match="did not read back as written"):
        store_module.write_parquet_stream_atomic(
            table.schema, lambda: iter([table.slice(0, 2), table.slice(2)]), target)
    assert not target.exists() and not list((tmp_path / "c").iterdir())


def test_the_variants_to_run_carry_the_keys_the_design_was_written_with(tree):
    """A run walks the design without hashing it again: each variant's key comes from the
    digests kept when the design was written, and is the key hashing would give (a digest
    ending in zero bytes, which numpy's S32 drops, included)."""
    from cfe_opt.study.runner import _todo

    design = Design.of(load_study(write_study(tree, MIXED)))
    variants = [v for _, _, v in design.points()]
    digests = key_digests([v.key for v in variants])
    picked = np.array([0, 2, 5])
    got = list(_todo(design, picked, digests[picked]))
    assert [v.key for v in got] == [variants[i].key for i in picked]
    assert [v.changes for v in got] == [variants[i].changes for i in picked]
    trailing = "ab" * 30 + "0000"
    assert store_module.digest_key(key_digests([trailing])[0]) == trailing


def test_an_export_is_streamed_in_row_groups_and_equals_the_table(tree, tmp_path):
    """`study export` writes the canonical table in row groups (never the whole table in
    memory): the same rows as the table, in design order, groups of exactly the size asked
    but the last, and the same bytes from two exports."""
    import cfe_opt.study

    out = tree / "exported"
    run_study(write_study(tree, MIXED), out, workers=1, chunk_size=2, stream=io.StringIO())
    with cfe_opt.study.open(out) as results:
        whole = results.table(canonical=True).replace_schema_metadata(None)
        first = results.write_canonical(tmp_path / "one.parquet", rows_per_group=4)
        second = results.write_canonical(tmp_path / "two.parquet", rows_per_group=4)
    meta = pq.read_metadata(first)
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [4, 2]
    assert pq.read_table(first).equals(whole)
    assert first.read_bytes() == second.read_bytes()


def test_the_run_s_own_process_loads_no_evaluation_library(tree):
    """The process that schedules the chunks and writes the store imports neither the
    evaluator nor what it needs (HiGHS, SciPy, the solve layer) nor Arrow's dataset layer: the
    workers do. Checked in a fresh process after a real two-worker run."""
    import subprocess
    import sys

    study = write_study(tree, MIXED)
    code = (
        "import io, sys\n"
        "from cfe_opt.study.runner import run_study\n"
        "if __name__ == '__main__':\n"
        f"    s = run_study({str(study)!r}, {str(tree / 'out')!r}, workers=2, "
        "stream=io.StringIO())\n"
        "    print(s.computed, s.by_status['optimal'])\n"
        "    print(sorted(m for m in ('highspy', 'scipy', 'cfe_opt.solve', "
        "'cfe_opt.study.compiled', 'cfe_opt.study.evaluate', 'pyarrow.dataset') "
        "if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=300)
    assert done.stdout.splitlines() == ["6 6", "[]"]
