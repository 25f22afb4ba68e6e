"""The results store: a folder of Parquet files that survives a kill at any moment.

Layout of ``DIR``::

    manifest.json          the study's fingerprint (what every stored row depends on)
    design.parquet         one row per design point: point, sample, axis values, mode, key
    study.yaml             a copy of the study file the design was made from
    chunks/chunk-*.parquet one file per evaluated chunk: one row per variant (by key)
    chunks/part-*.parquet  compacted chunks (each lists the chunk files it replaces)

Every file is written atomically: a temporary name in the same folder, fsync, read back and
compared, then renamed into place and the folder fsync'ed. A chunk counts as done only once its
file is in place and reads back; a kill leaves at most a temporary file (deleted on the next
open) and never a half-written chunk. Compaction writes the merged file first (naming the files
it replaces in its metadata), then deletes them; a kill in between leaves both, and the next
open deletes the replaced ones, so no row is lost or counted twice.

A store belongs to one study *frame* (base scenario, model version, solver, what is kept: the
things every stored row depends on). A study may extend the store — a larger sample, a new
axis value, a new objective mode — when every stored row is a variant of its design; anything
else is a different study, and the store refuses it rather than mix the two.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cfe_opt.errors import CfeOptError
from cfe_opt.io import write_atomic

FORMAT = "cfe-opt study store 1"
META_FINGERPRINT = b"cfe_opt.fingerprint"
META_REPLACES = b"cfe_opt.replaces"
CHUNKS = "chunks"
# rows of one compacted file at most: a Parquet footer costs memory by row group and column
# (about 1.4 kB a column chunk once read), and the writer holds the footer it is making. A
# 100,000-row file of talks_1998's 322 columns took the merging parent of a 100,000-variant run
# from 185 MB to 219; files of 25,000 rows, to 204 MB (both sampled from /proc every 0.1 s)
COMPACT_ROWS = 25_000
COMPACT_MIN_FILES = 16  # compact when at least this many small files
# rows of one row group of a compacted file: what a merge holds at once (the 100,000-variant
# parent peaked at 178 MB with 2,048 and at 172 MB with 1,024)
GROUP_ROWS = 1024
KEY_BYTES = 32  # a variant key (hex sha256) held as its digest: numpy "S32"


class StoreError(CfeOptError):
    """A store that cannot be used for this study (exit code 2)."""

    exit_code = 2


def fingerprint(frame: dict[str, Any]) -> str:
    text = json.dumps(frame, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[tuple[int, str]]:
    """A temporary file beside ``path`` (its descriptor and name) that replaces ``path`` if the
    block ends without an error (mode 644, the folder fsynced), and is removed if not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        yield fd, tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_parquet_atomic(table: pa.Table, path: Path, compression: str = "zstd") -> None:
    """Write ``table`` to ``path`` atomically; it is in place only if it reads back equal."""
    with _replacing(path) as (fd, tmp):
        with os.fdopen(fd, "wb") as handle:
            pq.write_table(table, handle, compression=compression)
            handle.flush()
            os.fsync(handle.fileno())
        # read back as one file (``pq.read_table`` would load Arrow's dataset layer, about
        # 47 MB, into a process that only writes files), memory-mapped (``_row_groups``)
        back = pq.ParquetFile(tmp, memory_map=True)
        try:
            same = back.read(use_threads=False).equals(table)
        finally:
            back.close()
        if not same:
            raise OSError(f"{path.name} did not read back as written")


def write_parquet_stream_atomic(schema: pa.Schema, tables: Callable[[], Iterator[pa.Table]],
                                path: Path) -> None:
    """Write the tables ``tables()`` yields to ``path`` atomically, each as one row group, so
    that only one of them is in memory at a time; in place only if every row group reads back
    equal to what ``tables()`` yields a second time."""
    with _replacing(path) as (fd, tmp):
        count = 0
        with os.fdopen(fd, "wb") as handle:
            with pq.ParquetWriter(handle, schema, compression="zstd") as writer:
                for table in tables():
                    if table.num_rows:
                        writer.write_table(table, row_group_size=table.num_rows)
                        count += 1
            handle.flush()
            os.fsync(handle.fileno())
        back = pq.ParquetFile(tmp, memory_map=True)
        try:
            if back.num_row_groups != count:
                raise OSError(f"{path.name} did not read back as written")
            i = 0
            for table in tables():
                if table.num_rows:
                    if not back.read_row_group(i, use_threads=False).equals(table):
                        raise OSError(f"{path.name} did not read back as written")
                    i += 1
        finally:
            back.close()


def key_digests(keys: list[str]) -> np.ndarray:
    """Hex variant keys as 32-byte digests (numpy ``S32``): a fraction of the memory of a set
    of Python strings, sorted and matched by numpy."""
    return np.frombuffer(bytes.fromhex("".join(keys)), dtype=f"S{KEY_BYTES}").copy()


def digest_key(digest: bytes) -> str:
    """A digest of ``key_digests`` back as its hex key (numpy drops trailing zero bytes)."""
    return digest.ljust(KEY_BYTES, b"\0").hex()


@dataclass
class LiveFiles:
    """The row files in force: chunks and parts not replaced by a compaction."""

    files: list[Path]
    replaced: list[Path]  # left over by an interrupted compaction: to delete
    corrupt: list[Path]  # could not be read: set aside, their rows recomputed
    rows: dict[Path, int] = field(default_factory=dict)  # each readable file's rows
    fingerprints: dict[Path, str] = field(default_factory=dict)  # and its study's fingerprint


class Store:
    """A study's folder. Open with ``Store(path)``; ``prepare`` before running."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.chunks = self.root / CHUNKS

    # ---- reading ------------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        return (self.root / "manifest.json").is_file()

    def _setup_leftovers_only(self) -> bool:
        """The folder holds nothing, or only what a setup killed before its manifest was
        written leaves (the design, the study file, an empty ``chunks`` folder): no row is ever
        written before the manifest, so such a folder is begun again, not refused."""
        for path in self.root.iterdir():
            if path.name.startswith("."):
                continue
            if path.name in ("design.parquet", "study.yaml") and path.is_file():
                continue
            if path == self.chunks and path.is_dir() and not any(path.iterdir()):
                continue
            return False
        return True

    def manifest(self) -> dict[str, Any]:
        path = self.root / "manifest.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StoreError(f"{self.root}: not a study store (no manifest.json; run "
                             "'cfe-opt study run STUDY --out DIR' first)") from None
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path}: unreadable manifest ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise StoreError(f"{path}: not a cfe-opt study store manifest")
        return data

    def scan(self) -> LiveFiles:
        """Find the files in force (reads only Parquet footers)."""
        if not self.chunks.is_dir():
            return LiveFiles([], [], [])
        names = sorted(p for p in self.chunks.glob("*.parquet") if not p.name.startswith("."))
        replaced: set[str] = set()
        readable: list[Path] = []
        corrupt: list[Path] = []
        rows: dict[Path, int] = {}
        fingerprints: dict[Path, str] = {}
        for path in names:
            try:
                footer = pq.read_metadata(path)
            except (OSError, pa.ArrowException):
                corrupt.append(path)
                continue
            meta = footer.metadata or {}
            readable.append(path)
            rows[path] = footer.num_rows
            fingerprints[path] = meta.get(META_FINGERPRINT, b"").decode()
            if META_REPLACES in meta:
                replaced.update(json.loads(meta[META_REPLACES].decode()))
        live = [p for p in readable if p.name not in replaced]
        gone = [p for p in readable if p.name in replaced]
        return LiveFiles(live, gone, corrupt, rows, fingerprints)

    def tidy(self, expected_fingerprint: str | None = None) -> LiveFiles:
        """Finish what a kill interrupted: delete temporary files and replaced chunks, set
        unreadable files aside (``*.corrupt``). Returns the files in force."""
        if self.chunks.is_dir():
            for tmp in self.chunks.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    tmp.unlink()
        for tmp in self.root.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
        live = self.scan()
        for path in live.replaced:
            with contextlib.suppress(OSError):
                path.unlink()
        for path in live.corrupt:
            with contextlib.suppress(OSError):
                os.replace(path, path.with_suffix(".corrupt"))
        if expected_fingerprint is not None:
            for path in live.files:
                if live.fingerprints[path] != expected_fingerprint:
                    raise StoreError(f"{path}: a row file of another study (fingerprint "
                                     "differs from the manifest); the store is not usable")
        if live.replaced or live.corrupt:
            _fsync_dir(self.chunks)
        return LiveFiles(live.files, [], live.corrupt, live.rows, live.fingerprints)

    def stored_keys(self, files: Iterable[Path] | None = None) -> list[str]:
        files = self.scan().files if files is None else files
        keys: list[str] = []
        for path in files:
            keys.extend(pq.read_table(path, columns=["key"]).column("key").to_pylist())
        return keys

    def stored_digests(self, files: Iterable[Path] | None = None) -> np.ndarray:
        """The keys of the stored rows as digests (``key_digests``), one file read at a time."""
        files = self.scan().files if files is None else files
        parts = [key_digests(group.column("key").to_pylist())
                 for p in files for group in _row_groups(p, ["key"])]
        return np.concatenate(parts) if parts else np.empty(0, dtype=f"S{KEY_BYTES}")

    def read_design(self) -> pa.Table:
        path = self.root / "design.parquet"
        if not path.is_file():
            raise StoreError(f"{self.root}: no design.parquet (the store was never prepared)")
        return pq.read_table(path)

    def read_rows(self, files: Iterable[Path] | None = None) -> pa.Table | None:
        files = list(self.scan().files if files is None else files)
        if not files:
            return None
        return pa.concat_tables([pq.read_table(p) for p in files])

    # ---- writing ------------------------------------------------------------------------
    def prepare(self, frame: dict[str, Any], schema: pa.Schema,
                design: Callable[[], Iterator[pa.Table]], study_text: bytes,
                summary: dict[str, Any]) -> tuple[LiveFiles, np.ndarray, np.ndarray]:
        """Create the store, or check that this study may use it; write the (possibly grown)
        design, streamed from ``design()`` (batches of the design table with ``schema``).
        Returns the files in force, the design's keys in design order and the distinct stored
        keys (both as digests, ``key_digests``): a few dozen bytes per design point, never the
        design as a table or a set of strings."""
        fp = fingerprint(frame)
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"{self.root}: exists and is not a folder")
        if self.exists:
            manifest = self.manifest()
            if manifest.get("fingerprint") != fp:
                raise StoreError(f"{self.root} holds a different study: "
                                 f"{_frame_difference(manifest.get('frame', {}), frame)}; "
                                 "use a new --out folder (or delete this one)")
            live = self.tidy(fp)
            stored = np.unique(self.stored_digests(live.files))
        else:
            if self.root.is_dir() and not self._setup_leftovers_only():
                raise StoreError(f"{self.root}: folder is not empty and holds no study store; "
                                 "give a new or empty --out folder")
            manifest = {}
            live, stored = LiveFiles([], [], []), np.empty(0, dtype=f"S{KEY_BYTES}")
        keys: list[np.ndarray] = []

        def batches() -> Iterator[pa.Table]:
            keys.clear()
            for table in design():
                keys.append(key_digests(table.column("key").to_pylist()))
                yield table

        staged = self.root / ".design.parquet.staged.tmp"  # a kill leaves a leftover
        try:
            write_parquet_stream_atomic(schema, batches, staged)
            design_keys = (np.concatenate(keys) if keys
                           else np.empty(0, dtype=f"S{KEY_BYTES}"))
            keys.clear()
            foreign = int((~np.isin(stored, design_keys)).sum()) if len(stored) else 0
            if foreign:
                raise StoreError(
                    f"{self.root} holds a different study: {foreign:,} of its "
                    f"{len(stored):,} stored variants are not in this study's design (a changed "
                    "seed, distribution, method, axis value or axis order?); a study may only "
                    "grow a store (a larger sample, new axis values or objective modes); use a "
                    "new --out folder (or delete this one)")
            self.chunks.mkdir(parents=True, exist_ok=True)
            digest = _file_sha256(staged)
            design_path = self.root / "design.parquet"
            if (manifest.get("design_sha256") == digest and design_path.is_file()
                    and _file_sha256(design_path) == digest
                    and _read_or_none(self.root / "study.yaml") == study_text):
                return live, design_keys, stored  # the same study again: nothing to rewrite
            os.replace(staged, design_path)
            _fsync_dir(self.root)
        finally:
            with contextlib.suppress(OSError):
                staged.unlink()
        write_atomic(self.root / "study.yaml", study_text)
        manifest = {"format": FORMAT, "fingerprint": fp, "frame": frame, **summary,
                    "design_points": len(design_keys),
                    "variants": len(np.unique(design_keys)), "design_sha256": digest}
        write_atomic(self.root / "manifest.json",
                     json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return live, design_keys, stored

    def write_chunk(self, table: pa.Table, fp: str) -> Path:
        """One chunk of rows (sorted by key), atomically; the file name is its keys' digest."""
        table = table.sort_by("key")
        keys = table.column("key").to_pylist()
        digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:24]
        table = table.replace_schema_metadata({META_FINGERPRINT: fp.encode()})
        path = self.chunks / f"chunk-{digest}.parquet"
        # not compressed: a chunk file lives until it is compacted (with zstd), and dictionary
        # encoding already makes it small (a 170-row, 318-column chunk: 128 kB, zstd 127 kB);
        # written and read back in 10 + 6 ms instead of 15 + 9
        write_parquet_atomic(table, path, compression="none")
        return path

    def compact(self, fp: str, rows: int | None = None, min_files: int | None = None) -> int:
        """Merge small row files into files of up to ``rows`` rows (when at least
        ``min_files`` are small); returns how many files were merged."""
        rows = COMPACT_ROWS if rows is None else rows
        min_files = COMPACT_MIN_FILES if min_files is None else min_files
        live = self.tidy(fp)
        small = []
        for path in live.files:
            n = live.rows[path]
            if n < rows // 2:
                small.append((path, n))
        if len(small) < min_files:
            return 0
        merged = 0
        batch: list[tuple[Path, int]] = []
        total = 0
        for item in [*small, (None, 0)]:
            path, n = item
            if path is None or (batch and total + n > rows):
                if len(batch) >= 2:
                    self._merge([p for p, _ in batch], fp)
                    merged += len(batch)
                batch, total = [], 0
            if path is not None:
                batch.append((path, n))
                total += n
        return merged

    def _merge(self, files: list[Path], fp: str) -> None:
        """Merge ``files`` into one, streamed: row groups of ``GROUP_ROWS`` rows, one at a time
        in memory (the files in name order, each file's rows in its order)."""
        # named by the files it merges, in order: each is named by its own rows' keys
        name = hashlib.sha256("".join(p.name + "\n" for p in files).encode())
        schema = pq.read_schema(files[0]).with_metadata({
            META_FINGERPRINT: fp.encode(),
            META_REPLACES: json.dumps([p.name for p in files]).encode()})

        def groups() -> Iterator[pa.Table]:
            held: list[pa.Table] = []
            rows = 0
            for path in files:
                for group in _row_groups(path):
                    held.append(group.replace_schema_metadata(schema.metadata))
                    rows += group.num_rows
                    while rows >= GROUP_ROWS:
                        merged = pa.concat_tables(held)
                        yield merged.slice(0, GROUP_ROWS)
                        held, rows = [merged.slice(GROUP_ROWS)], rows - GROUP_ROWS
            if rows:
                yield pa.concat_tables(held)

        write_parquet_stream_atomic(schema, groups,
                                    self.chunks / f"part-{name.hexdigest()[:24]}.parquet")
        for path in files:  # the merged file is in place: the parts may go
            with contextlib.suppress(OSError):
                path.unlink()
        _fsync_dir(self.chunks)
        pa.default_memory_pool().release_unused()  # give the merge's buffers back


@contextlib.contextmanager
def system_allocator() -> Iterator[None]:
    """Arrow's buffers from the C heap for the block (then its default pool again). A study
    run's parent writes and reads thousands of small tables; the default pool (mimalloc) kept
    what they freed: the parent of a 100,000-variant run of ``talks_1998`` peaked at 250 MB
    with it and at 216 MB with this (186 and 174 MB for 1,000 variants)."""
    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(before)


def _row_groups(path: Path, columns: list[str] | None = None) -> Iterator[pa.Table]:
    """A Parquet file's row groups, one at a time. The file is memory-mapped: read through
    buffers, 40 chunk files of (a) left 2 MB more resident each time in a run's process (a
    100,000-variant run's final compaction peaked at 180 MB, and at 168 MB mapped)."""
    source = pq.ParquetFile(path, memory_map=True)
    try:
        for i in range(source.num_row_groups):
            yield source.read_row_group(i, columns=columns, use_threads=False)
    finally:
        source.close()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _frame_difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    labels = {"base_sha256": "the base scenario changed", "model_version":
              "the cfe-opt model version changed", "solver": "the solver changed",
              "keep": "what rows keep (keep:) changed", "columns": "the row columns changed",
              "format": "the store format changed"}
    changed = [labels.get(k, f"{k} changed") for k in sorted(set(old) | set(new))
               if old.get(k) != new.get(k)]
    if "base_sha256" in [k for k in old if old.get(k) != new.get(k)]:
        changed[changed.index(labels["base_sha256"])] = (
            f"the base scenario changed (sha256 {str(old.get('base_sha256'))[:12]} → "
            f"{str(new.get('base_sha256'))[:12]})")
    return ", ".join(changed) or "its fingerprint differs"
