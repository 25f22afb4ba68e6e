"""Run a study: the variants not yet in the store, in chunks, on processes or on Dask.

The work is cut into chunks of variants (about ``CHUNK_SECONDS`` of work each, sized from the
rate measured so far; never one task per variant) and handed to an executor — a local process
pool (``concurrent.futures``, the default), a Dask ``LocalCluster`` or an existing Dask
cluster. Each worker builds its evaluator once and keeps it across chunks. Rows come back to
this process, which alone writes the store (so a remote cluster needs no shared disk): each
chunk as one Parquet file, atomically, as soon as it is back.

A variant that fails is a row (status ``invalid`` or ``error`` with its reason) and the study
goes on; a chunk whose worker died is retried variant by variant, and a variant that kills its
worker twice is recorded as ``error``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import importlib
import math
import os
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa

from cfe_opt.study.design import Design
from cfe_opt.study.layout import FAILED, STATUSES
from cfe_opt.study.load import Study, load_study
from cfe_opt.study.progress import Progress
from cfe_opt.study.store import Store, StoreError, digest_key, fingerprint, system_allocator
from cfe_opt.study.variant import MODEL_VERSION, Variant

CHUNK_SECONDS = 0.5  # the work one chunk should hold
COLD_EVERY = 100  # one variant in this many, in the order a run computes them, also solved cold
FIRST_CHUNK = 4  # variants in the first chunks, before any rate is known
MAX_CHUNK = 5000
COMPACT_EVERY = 256  # chunk files written between compactions

# Evaluators by name, as "module:class". A worker imports its evaluator; the run's own process
# does not (it schedules and writes the store), so it holds none of the model's libraries
# (SciPy, HiGHS, the solve layer): a process importing this module took 144 MB with them and
# 80 MB without; pyarrow still brings pandas in when it first converts a list (+44 MB).
EVALUATORS: dict[str, str] = {"compiled": "cfe_opt.study.compiled:CompiledEvaluator",
                              "reference": "cfe_opt.study.evaluate:ReferenceEvaluator"}
DEFAULT_EVALUATOR = "compiled"
Evaluator = str | Callable[[Study], Any]  # a "module:class" of EVALUATORS, or the class


def evaluator_class(evaluator: Evaluator) -> Callable[[Study], Any]:
    """The evaluator's class, imported if given as "module:class"."""
    if not isinstance(evaluator, str):
        return evaluator
    module, _, name = evaluator.partition(":")
    return getattr(importlib.import_module(module), name)


def _worker_key(fp: str, evaluator: Evaluator) -> str:
    """Where a worker keeps its evaluator of this study (``_WORKER``)."""
    name = (evaluator if isinstance(evaluator, str)
            else f"{evaluator.__module__}:{evaluator.__qualname__}")
    return f"{fp}:{name}"


def frame_of(study: Study) -> dict[str, Any]:
    """What every stored row depends on besides its key (see ``store.py``)."""
    return {"format": 1, "base_sha256": study.base.sha256, "model_version": MODEL_VERSION,
            "solver": study.spec.solver, "keep": study.spec.keep.model_dump(mode="json"),
            "columns": [[n, str(t)] for n, t in study.layout.columns()]}


# ---- worker side ------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _evaluator(study: Study, fp: str, evaluator: Evaluator) -> tuple[Any, pa.Schema]:
    """The worker's evaluator for this study (built on first use and kept) and the rows'
    schema. ``evaluator``: its "module:class", or the class (sent by reference)."""
    key = _worker_key(fp, evaluator)
    found = _WORKER.get(key)
    if found is None:
        found = (evaluator_class(evaluator)(study), study.layout.schema())
        _WORKER.clear()
        _WORKER[key] = found
    return found


def _rows_table(found: tuple[Any, pa.Schema], variants: list[Variant]) -> pa.Table:
    """A chunk's rows as the store's table, made where they were computed: the parent only
    writes it (a table crosses between processes as Arrow buffers, not as a dict a row)."""
    evaluator, schema = found
    return pa.Table.from_pylist(evaluator.evaluate(variants), schema=schema)


def _init_process_worker(study: Study, fp: str, evaluator: Evaluator,
                         parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    _evaluator(study, fp, evaluator)


def _watch_parent(parent: int) -> None:
    """Leave when the study run that started this worker is gone (killed)."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass


def _process_chunk(variants: list[Variant], fp: str, evaluator: Evaluator) -> pa.Table:
    return _rows_table(_WORKER[_worker_key(fp, evaluator)], variants)


def evaluate_chunk(study: Study, fp: str, evaluator: Evaluator,
                   variants: list[Variant]) -> pa.Table:
    """A chunk's rows (Dask task; also the in-process path)."""
    return _rows_table(_evaluator(study, fp, evaluator), variants)


def _warm(study: Study, fp: str, evaluator: Evaluator) -> None:
    """Build this worker's evaluator ahead of its first chunk (Dask's ``client.run``)."""
    _evaluator(study, fp, evaluator)


# ---- executors --------------------------------------------------------------------------------

class _Inline:
    """One worker: this process."""

    workers = 1
    budget = 1

    def __init__(self, study: Study, fp: str, evaluator: Evaluator) -> None:
        self.args = (study, fp, evaluator)

    def submit(self, variants: list[Variant]) -> Future:
        future: Future = Future()
        try:
            future.set_result(evaluate_chunk(*self.args, variants))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def wait_any(self, futures: set) -> set:
        return set(futures)

    def close(self) -> None:
        pass


# what a worker needs to read its study and evaluate, imported once by the fork server: a
# worker forked from it starts at once (importing while it reads its study kept the parent
# waiting, worker after worker: 3.4 s each on talks_1998)
PRELOAD = ["cfe_opt.study.compiled", "cfe_opt.study.load", "cfe_opt.solve.highs",
           "cfe_opt.solve.kept_basis"]


def start_forkserver() -> None:
    """Start the fork server (if it is not running), which imports ``PRELOAD`` while the run
    reads its study and prepares the store: the workers' imports no longer hold up the first
    chunk (a 5,000-variant study's parent waited 1.3 s for them)."""
    import multiprocessing
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()


class _Pool:
    """Local worker processes (forkserver: clean processes, quick to start)."""

    def __init__(self, study: Study, fp: str, evaluator: Evaluator,
                 workers: int) -> None:
        import multiprocessing

        self.workers = workers
        self.budget = 2 * workers
        self.fp, self.evaluator = fp, evaluator
        self.context = multiprocessing.get_context("forkserver")
        start_forkserver()
        self.init_args = (study, fp, evaluator, os.getpid())
        self.pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self.context,
                                   initializer=_init_process_worker, initargs=self.init_args)

    def submit(self, variants: list[Variant]) -> Future:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self.pool.submit(_process_chunk, variants, self.fp, self.evaluator)
        except BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new()
            return self.pool.submit(_process_chunk, variants, self.fp, self.evaluator)

    def wait_any(self, futures: set) -> set:
        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        return done

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _Dask:
    """A Dask distributed cluster: an existing one (``tcp://…``) or a LocalCluster."""

    def __init__(self, study: Study, fp: str, evaluator: Evaluator,
                 address: str, workers: int) -> None:
        import logging

        from distributed import Client, LocalCluster

        self.cluster = None
        if address == "local":
            import dask

            # no statistical profiler in the workers: it samples their threads' stacks every
            # 10 ms, which a solve that is mostly Python pays for
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                            processes=True, dashboard_address=None,
                                            silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(address, timeout=20)
            except (OSError, TimeoutError, ValueError) as exc:
                raise StoreError(f"--dask {address}: cannot reach the Dask scheduler ({exc})"
                                 ) from None
        self.workers = max(1, sum(w.get("nthreads", 1) for w in
                                  self.client.scheduler_info()["workers"].values()))
        self.budget = 2 * self.workers
        self.study = self.client.scatter(study, broadcast=True)
        self.fp, self.evaluator = fp, evaluator
        # each worker imports and builds its evaluator now, as a local worker does when the
        # fork server starts it (a Dask worker imports nothing ahead: the first chunks of a
        # 10,000-variant run waited about 0.8 s for it); a worker that cannot build it fails
        # its chunks, each recorded with its reason
        with contextlib.suppress(Exception):
            self.client.run(_warm, study, fp, evaluator)

    def submit(self, variants: list[Variant]) -> Any:
        return self.client.submit(evaluate_chunk, self.study, self.fp, self.evaluator,
                                  variants, pure=False)

    def wait_any(self, futures: set) -> set:
        from distributed import wait as dask_wait

        done, _ = dask_wait(list(futures), return_when="FIRST_COMPLETED")
        return set(done)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()


# ---- the run ----------------------------------------------------------------------------------

@dataclass
class RunSummary:
    study: str
    out: Path
    design_points: int
    variants: int  # distinct variants of the design
    already_done: int
    computed: int
    by_status: Counter = field(default_factory=Counter)  # this run's rows
    rebuilt: int = 0
    cold_checked: int = 0  # variants also solved cold, to check the warm answer
    cold_disagreed: int = 0
    seconds: float = 0.0
    files: int = 0
    interrupted: bool = False

    @property
    def failed(self) -> int:
        return sum(self.by_status[s] for s in FAILED)

    def text(self) -> str:
        if not self.computed and not self.interrupted:
            return (f"{self.study}: nothing to do — all {self.variants:,} variants are already "
                    f"in {self.out}")
        rate = self.computed / self.seconds if self.seconds > 0 else 0.0
        counts = ", ".join(f"{self.by_status[s]:,} {s}" for s in STATUSES if self.by_status[s])
        head = "interrupted" if self.interrupted else "done"
        return (f"{self.study}: {head} — {self.computed:,} variants computed in "
                f"{self.seconds:,.1f} s ({rate:,.1f}/s): {counts or 'none'}; "
                f"{self.already_done + self.computed:,}/{self.variants:,} variants in "
                f"{self.out} ({self.files:,} row files); {self.rebuilt:,} needed a model "
                "rebuild" + (f"; {self.cold_checked:,} re-solved cold, "
                             f"{self.cold_disagreed:,} disagreeing" if self.cold_checked
                             else "") + ("; run again to resume" if self.interrupted else ""))


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    if root.exists() and not root.is_dir():
        raise StoreError(f"{root}: exists and is not a folder; give a folder for the store")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{root}: cannot make the store folder ({exc.strerror or exc})"
                         ) from None
    handle = open(root / ".lock", "a+")  # noqa: SIM115 - held for the run
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"{root}: another 'study run' is writing this store") from None
        yield
    finally:
        handle.close()


def todo_points(design_keys: np.ndarray, stored: np.ndarray) -> np.ndarray:
    """The design points to evaluate, in design order: the first point of each variant (by
    key) not stored. ``design_keys``: the keys of the points in design order; ``stored``: the
    distinct stored keys (digests, see ``store.key_digests``)."""
    distinct, first = np.unique(design_keys, return_index=True)
    if len(stored):
        first = first[~np.isin(distinct, stored, assume_unique=True)]
    return np.sort(first)


def _todo(design: Design, points: np.ndarray, keys: np.ndarray) -> Iterator[Variant]:
    """The variants of ``points`` (sorted design point numbers), walking the design once;
    ``keys``: their keys' digests, in the same order (computed once, when the design was
    written). The first of every ``COLD_EVERY`` is marked to be also solved cold: at least 1%
    of what the run computes, whatever its size."""
    if not len(points):
        return
    at = 0
    wanted = int(points[0])
    for point, (_draw, _values, variant) in enumerate(design.points(keys=False)):
        if point == wanted:
            yield dataclasses.replace(variant, key=digest_key(keys[at]),
                                      cold_check=at % COLD_EVERY == 0)
            at += 1
            if at == len(points):
                return
            wanted = int(points[at])


def run_study(study_path: str | Path, out: str | Path, workers: int | None = None,
              dask: str | None = None, chunk_size: int | None = None,
              evaluator: Evaluator = DEFAULT_EVALUATOR,
              stream: IO[str] | None = None,
              bar: bool | None = None) -> RunSummary:
    """Run (or resume, or extend) the study in ``study_path`` into the store ``out``.

    ``evaluator``: a name of ``EVALUATORS`` or an evaluator class (importable by the workers).
    """
    stream = stream if stream is not None else sys.stderr
    if isinstance(evaluator, str):
        if evaluator not in EVALUATORS:
            raise StoreError(f"unknown evaluator '{evaluator}' (choose "
                             f"{', '.join(EVALUATORS)})")
        evaluator_name, evaluator = evaluator, EVALUATORS[evaluator]
    else:
        evaluator_name = getattr(evaluator, "name", evaluator.__name__)
    if workers is not None and workers < 1:
        raise StoreError("--workers must be at least 1")
    if chunk_size is not None and chunk_size < 1:
        raise StoreError("--chunk-size must be at least 1")
    if dask is None and (workers or default_workers()) > 1:
        start_forkserver()  # its imports overlap with reading the study
    study = load_study(study_path)
    design = Design.of(study)
    store = Store(out)
    frame = frame_of(study)
    fp = fingerprint(frame)
    with _locked(store.root), system_allocator():
        # the design is streamed to the store; what stays in memory is a digest per point
        live, design_keys, stored = store.prepare(
            frame, design.schema(), design.batches, study.file.path.read_bytes(),
            {"study": study.name, "study_file": str(study.file.path.resolve())})
        todo = todo_points(design_keys, stored)
        todo_keys = design_keys[todo]
        variants = len(np.unique(design_keys))
        summary = RunSummary(study=study.name, out=store.root, design_points=len(design_keys),
                             variants=variants, already_done=variants - len(todo), computed=0,
                             files=len(live.files))
        del design_keys, stored
        remaining = len(todo)
        if remaining == 0:
            return summary
        schema = study.layout.schema()
        workers = workers or default_workers()
        if dask is not None:
            executor: Any = _Dask(study, fp, evaluator, dask, workers)
        elif workers == 1:
            executor = _Inline(study, fp, evaluator)
        else:
            executor = _Pool(study, fp, evaluator, workers)
        progress = Progress(remaining, study.name, stream, bar)
        try:
            _drive(executor, _todo(design, todo, todo_keys), remaining, chunk_size, schema,
                   store, fp, study, progress, summary,
                   evaluator_name)
        except KeyboardInterrupt:
            summary.interrupted = True
        finally:
            progress.close()
            executor.close()
        summary.seconds = progress.elapsed
        if not summary.interrupted:
            store.compact(fp)
        summary.files = len(store.scan().files)
        if summary.interrupted:
            raise _Interrupted(summary)
    return summary


class _Interrupted(KeyboardInterrupt):
    def __init__(self, summary: RunSummary) -> None:
        super().__init__(summary.text())
        self.summary = summary


def _drive(executor: Any, todo: Iterator[Variant], remaining: int, fixed: int | None,
           schema: pa.Schema, store: Store, fp: str, study: Study, progress: Progress,
           summary: RunSummary, evaluator_name: str) -> None:
    in_flight: dict[Any, list[Variant]] = {}
    retries: list[list[Variant]] = []  # variants of chunks whose worker failed, one by one
    failures: Counter = Counter()
    seconds_per_variant: deque[float] = deque(maxlen=200)  # the recent rate sizes chunks
    budget = executor.budget
    written = 0
    exhausted = False

    def size() -> int:
        if fixed is not None:
            return fixed
        if not seconds_per_variant:
            return FIRST_CHUNK
        mean = sum(seconds_per_variant) / len(seconds_per_variant)
        wanted = max(1, round(CHUNK_SECONDS / max(mean, 1e-6)))
        left = remaining - summary.computed
        spread = max(1, math.ceil(left / budget))  # keep every worker busy to the end
        return max(1, min(wanted, spread, MAX_CHUNK))

    def next_chunk() -> list[Variant]:
        nonlocal exhausted
        if retries:
            return retries.pop(0)
        chunk: list[Variant] = []
        if not exhausted:
            want = size()
            for variant in todo:
                chunk.append(variant)
                if len(chunk) >= want:
                    break
            else:
                exhausted = True
        return chunk

    isolating = False  # after a worker failure: one chunk at a time, to find the culprit

    while True:
        if isolating and not retries and not in_flight:
            isolating = False
        while len(in_flight) < (1 if isolating else budget):
            chunk = next_chunk()
            if not chunk:
                break
            in_flight[executor.submit(chunk)] = chunk
        if not in_flight:
            break
        for future in executor.wait_any(set(in_flight)):
            chunk = in_flight.pop(future)
            try:
                table = future.result()
            except Exception as exc:
                isolating = True
                if len(chunk) > 1:
                    retries.extend([v] for v in chunk)
                    continue
                failures[chunk[0].key] += 1
                if failures[chunk[0].key] < 2:
                    retries.append(chunk)
                    continue
                rows = [_worker_failure(chunk[0], study, exc)]
                rows[0].update({"run.evaluator": evaluator_name, "run.rebuilt": True,
                                "run.seconds": 0.0})
                table = pa.Table.from_pylist(rows, schema=schema)
            store.write_chunk(table, fp)
            written += 1
            statuses = table.column("status").to_pylist()
            summary.computed += table.num_rows
            summary.by_status.update(statuses)
            summary.rebuilt += sum(bool(r) for r in table.column("run.rebuilt").to_pylist())
            checks = [c for c in table.column("run.cold_check").to_pylist() if c is not None]
            summary.cold_checked += len(checks)
            summary.cold_disagreed += sum(1 for c in checks if not c)
            seconds_per_variant.extend(float(s or 0.0)
                                       for s in table.column("run.seconds").to_pylist())
            progress.update(statuses)
            if written % COMPACT_EVERY == 0:
                store.compact(fp)


def _worker_failure(variant: Variant, study: Study, exc: Exception) -> dict[str, Any]:
    """The row of a variant that killed its worker twice (the evaluation modules imported here
    only then)."""
    from cfe_opt.study.evaluate import ReferenceEvaluator, failure_row

    return failure_row(variant, study.layout, ReferenceEvaluator(study).meta, "error",
                       f"the worker failed while solving this variant "
                       f"({type(exc).__name__}: {exc})")
