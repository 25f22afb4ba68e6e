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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cfe_opt.errors import CfeOptError
from cfe_opt.io import write_atomic

FORMAT = "cfe-opt study store 1"
META_FINGERPRINT = b"cfe_opt.fingerprint"
META_REPLACES = b"cfe_opt.replaces"
CHUNKS = "chunks"
COMPACT_ROWS = 200_000  # rows of one compacted file at most
COMPACT_MIN_FILES = 16  # compact when at least this many small files


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


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` atomically; it is in place only if it reads back equal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
            handle.flush()
            os.fsync(handle.fileno())
        back = pq.read_table(tmp)
        if not back.equals(table):
            raise OSError(f"{path.name} did not read back as written")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass
class LiveFiles:
    """The row files in force: chunks and parts not replaced by a compaction."""

    files: list[Path]
    replaced: list[Path]  # left over by an interrupted compaction: to delete
    corrupt: list[Path]  # could not be read: set aside, their rows recomputed


class Store:
    """A study's folder. Open with ``Store(path)``; ``prepare`` before running."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.chunks = self.root / CHUNKS

    # ---- reading ------------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        return (self.root / "manifest.json").is_file()

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
        for path in names:
            try:
                meta = pq.read_schema(path).metadata or {}
            except (OSError, pa.ArrowException):
                corrupt.append(path)
                continue
            readable.append(path)
            if META_REPLACES in meta:
                replaced.update(json.loads(meta[META_REPLACES].decode()))
        live = [p for p in readable if p.name not in replaced]
        gone = [p for p in readable if p.name in replaced]
        return LiveFiles(live, gone, corrupt)

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
                meta = pq.read_schema(path).metadata or {}
                if meta.get(META_FINGERPRINT, b"").decode() != expected_fingerprint:
                    raise StoreError(f"{path}: a row file of another study (fingerprint "
                                     "differs from the manifest); the store is not usable")
        if live.replaced or live.corrupt:
            _fsync_dir(self.chunks)
        return LiveFiles(live.files, [], live.corrupt)

    def stored_keys(self, files: Iterable[Path] | None = None) -> list[str]:
        files = self.scan().files if files is None else files
        keys: list[str] = []
        for path in files:
            keys.extend(pq.read_table(path, columns=["key"]).column("key").to_pylist())
        return keys

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
    def prepare(self, frame: dict[str, Any], design: pa.Table, design_keys: set[str],
                study_text: bytes, summary: dict[str, Any]) -> tuple[LiveFiles, set[str]]:
        """Create the store, or check that this study may use it; write the (possibly grown)
        design. Returns the files in force and the keys already done."""
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
            done = set(self.stored_keys(live.files))
            foreign = done - design_keys
            if foreign:
                raise StoreError(
                    f"{self.root} holds a different study: {len(foreign):,} of its "
                    f"{len(done):,} stored variants are not in this study's design (a changed "
                    "seed, distribution, method, axis value or axis order?); a study may only "
                    "grow a store (a larger sample, new axis values or objective modes); use a "
                    "new --out folder (or delete this one)")
        else:
            if self.root.is_dir() and any(p for p in self.root.iterdir()
                                          if not p.name.startswith(".")):
                raise StoreError(f"{self.root}: folder is not empty and holds no study store; "
                                 "give a new or empty --out folder")
            live, done = LiveFiles([], [], []), set()
        self.chunks.mkdir(parents=True, exist_ok=True)
        if self._unchanged(design, study_text):
            return live, done  # the same study again: nothing to rewrite
        write_parquet_atomic(design, self.root / "design.parquet")
        write_atomic(self.root / "study.yaml", study_text)
        manifest = {"format": FORMAT, "fingerprint": fp, "frame": frame, **summary,
                    "design_sha256": hashlib.sha256(
                        (self.root / "design.parquet").read_bytes()).hexdigest()}
        write_atomic(self.root / "manifest.json",
                     json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return live, done

    def _unchanged(self, design: pa.Table, study_text: bytes) -> bool:
        try:
            same_text = (self.root / "study.yaml").read_bytes() == study_text
            return same_text and self.exists and pq.read_table(
                self.root / "design.parquet").equals(design)
        except (OSError, pa.ArrowException):
            return False

    def write_chunk(self, table: pa.Table, fp: str) -> Path:
        """One chunk of rows (sorted by key), atomically; the file name is its keys' digest."""
        table = table.sort_by("key")
        keys = table.column("key").to_pylist()
        digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:24]
        table = table.replace_schema_metadata({META_FINGERPRINT: fp.encode()})
        path = self.chunks / f"chunk-{digest}.parquet"
        write_parquet_atomic(table, path)
        return path

    def compact(self, fp: str, rows: int | None = None, min_files: int | None = None) -> int:
        """Merge small row files into files of up to ``rows`` rows (when at least
        ``min_files`` are small); returns how many files were merged."""
        rows = COMPACT_ROWS if rows is None else rows
        min_files = COMPACT_MIN_FILES if min_files is None else min_files
        live = self.tidy(fp)
        small = []
        for path in live.files:
            n = pq.read_metadata(path).num_rows
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
        table = pa.concat_tables([pq.read_table(p) for p in files]).sort_by("key")
        keys = table.column("key").to_pylist()
        digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:24]
        table = table.replace_schema_metadata({
            META_FINGERPRINT: fp.encode(),
            META_REPLACES: json.dumps([p.name for p in files]).encode()})
        write_parquet_atomic(table, self.chunks / f"part-{digest}.parquet")
        for path in files:  # the merged file is in place: the parts may go
            with contextlib.suppress(OSError):
                path.unlink()
        _fsync_dir(self.chunks)


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
