"""Progress of a study run: a bar on a terminal (tqdm), plain log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from cfe_opt.study.layout import FAILED

LOG_EVERY_SECONDS = 5.0


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class NullStream:
    """A stream that keeps nothing (``--quiet``, a pinned variant's run): not a terminal."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class Progress:
    """Counts rows as chunks come back; shows done/total, rate, ETA, infeasible and failed."""

    def __init__(self, total: int, label: str, stream: IO[str] | None = None,
                 bar: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.label = label
        self.done = 0
        self.infeasible = 0
        self.failed = 0
        self.start = time.perf_counter()
        self.last_log = self.start
        use_bar = bar if bar is not None else bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar: Any = None
        if use_bar and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, unit="variant", file=self.stream,
                            dynamic_ncols=True, smoothing=0.1)

    def update(self, statuses: list[str]) -> None:
        self.done += len(statuses)
        self.infeasible += sum(s == "infeasible" for s in statuses)
        self.failed += sum(s in FAILED for s in statuses)
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.infeasible} infeasible, {self.failed} failed",
                                     refresh=False)
            self.bar.update(len(statuses))
            return
        now = time.perf_counter()
        if now - self.last_log >= LOG_EVERY_SECONDS or self.done == self.total:
            self.last_log = now
            self.log_line()

    def rate(self) -> float:
        elapsed = time.perf_counter() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def log_line(self) -> None:
        rate = self.rate()
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        share = 100.0 * self.done / self.total if self.total else 100.0
        eta_text = _duration(eta) if eta == eta else "?"
        print(f"{self.label}: {self.done:,}/{self.total:,} variants ({share:.0f}%), "
              f"{rate:,.1f}/s, ETA {eta_text}, {self.infeasible:,} infeasible, "
              f"{self.failed:,} failed", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start
