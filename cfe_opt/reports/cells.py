"""A table's cells as text, in the one number format, for the text renderers (HTML, Markdown)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cfe_opt.reports.document import Table, percent
from cfe_opt.text import fmt

FOLD_ROWS = 25  # longer tables are folded (HTML: a <details> block)


@dataclass(frozen=True)
class Cells:
    caption: str
    header: list[tuple[str, bool]]  # (column, numeric)
    rows: list[list[tuple[str, bool]]]
    folded: bool


def cells(table: Table, fold: int = FOLD_ROWS) -> Cells:
    frame = table.frame
    flat = frame.reset_index() if _named_index(frame) else frame
    numeric = [pd.api.types.is_numeric_dtype(flat[c]) and not pd.api.types.is_bool_dtype(flat[c])
               for c in flat.columns]
    rows = []
    for values in flat.itertuples(index=False, name=None):
        row = []
        for column, value, is_number in zip(flat.columns, values, numeric, strict=True):
            text = percent(value) if column in table.percent else fmt(value)
            row.append((text, is_number))
        rows.append(row)
    header = [(str(c).replace("_", " "), n) for c, n in zip(flat.columns, numeric, strict=True)]
    return Cells(table.caption, header, rows, folded=len(rows) > fold)


def _named_index(frame: pd.DataFrame) -> bool:
    return any(name is not None for name in frame.index.names)
