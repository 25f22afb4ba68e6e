"""Figures (matplotlib). Every plotting function takes an optional ``ax`` and returns it.

Figures are drawn with the non-interactive Agg backend unless a backend was chosen already, so
they work on machines with no screen.
"""

from __future__ import annotations

import matplotlib

_HEADLESS_OK = ("agg", "pdf", "svg", "ps", "cairo", "module://matplotlib_inline.backend_inline")
if matplotlib.get_backend().lower() not in _HEADLESS_OK:
    matplotlib.use("Agg")
