"""What a report holds, whatever it is rendered to: narrative, sections, tables, figures.

A ``Document`` is built from a result folder or a study store (``solve_set``, ``output_set``,
``study_store``) and rendered by ``html``, ``markdown`` and ``excel``. Everything in it comes
from the input (no clock, no random draw), so the same input renders to the same bytes.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Table:
    name: str  # short, unique in the document: an Excel sheet's name (≤ 31 characters)
    caption: str
    frame: pd.DataFrame  # index columns shown first
    percent: tuple[str, ...] = ()  # columns that are shares (0..1), shown as percentages


@dataclass(frozen=True)
class Figure:
    name: str  # unique file-like name, e.g. package.png
    caption: str
    png: bytes


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


@dataclass
class Document:
    title: str
    subtitle: str
    kind: str  # "solve", "output set" or "study"
    narrative: list[str]  # the findings, in sentences, first thing a reader sees
    sections: list[Section]
    assumptions: list[str]
    provenance: list[tuple[str, str]]  # (what, value): command, scenario sha256, versions …
    queries: list[tuple[str, str]] = field(default_factory=list)  # (finding, SQL behind it)
    created: str = ""  # when the input was written (ISO 8601, from its record), for metadata

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures]


def figure_png(figure: Any, dpi: int = 120) -> bytes:
    """A matplotlib figure as PNG bytes (no software or date stamp: the same figure gives the
    same bytes), then closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def percent(share: float) -> str:
    """A share as a whole percentage (83%); below 1% but above 0 as '<1%'."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return ""
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 < share < 1:
        return ">99%"
    return f"{share:.0%}"
