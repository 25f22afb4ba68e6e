"""Files written by cfe-opt are written atomically: a temporary file, then a rename."""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def csv_text(frame: pd.DataFrame) -> str:
    """A table as CSV text: index columns first, '\\n' line ends, NaN as an empty field."""
    return frame.to_csv(lineterminator="\n")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    write_atomic(path, csv_text(frame))


def json_text(data: Any) -> str:
    """Data as indented JSON text; NaN and infinities as null."""
    return json.dumps(_json_safe(data), indent=2, ensure_ascii=False) + "\n"


def write_json(data: Any, path: Path) -> None:
    write_atomic(path, json_text(data))


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


FIGURE_FORMATS = ("png", "svg", "pdf")
FIGURE_DPI = 200
_FIGURE_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
                    "pdf": {"CreationDate": None, "Creator": None, "Producer": None}}


def figure_bytes(figure: Any, kind: str = "png", dpi: int = FIGURE_DPI) -> bytes:
    """A matplotlib figure as PNG (at ``dpi``, at least 200), SVG or PDF bytes, with no
    date or software stamp, so the same figure gives the same file."""
    import io

    import matplotlib

    if kind not in FIGURE_FORMATS:
        raise ValueError(f"figure format must be one of {', '.join(FIGURE_FORMATS)}")
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "cfe-opt"}):
        figure.savefig(buffer, format=kind, dpi=max(dpi, FIGURE_DPI),
                       metadata=_FIGURE_METADATA[kind])
    return buffer.getvalue()


def write_figure(figure: Any, path: Path, dpi: int = FIGURE_DPI, close: bool = True) -> None:
    """Save a matplotlib figure atomically in the format its suffix names (.png, .svg,
    .pdf), then close it (unless ``close`` is False: the same figure in several formats)."""
    import matplotlib.pyplot as plt

    kind = Path(path).suffix.lstrip(".").lower() or "png"
    data = figure_bytes(figure, kind, dpi)
    if close:
        plt.close(figure)
    write_atomic(path, data)
