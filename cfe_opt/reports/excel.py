"""A report as an Excel workbook (XlsxWriter): a Summary sheet (findings, assumptions,
queries, provenance), one sheet per table (styled header row, frozen header and index
columns, number formats, filters, widths to fit), and a Figures sheet with the figures
inserted. Deterministic: the workbook's dates are the input's (XlsxWriter stamps its zip
entries with a fixed date), so the same document gives the same bytes."""

from __future__ import annotations

import io
import math
import re
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from cfe_opt.reports.document import Document, Table
from cfe_opt.reports.html import png_size

SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
WHOLE = "#,##0"
DECIMAL = "#,##0.00##"
SMALL = "0.0000"
PERCENT = "0%"


def _sheet_name(name: str, used: set[str]) -> str:
    base = SHEET_CHARS.sub("_", name)[:31] or "table"
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _created(document: Document) -> datetime:
    try:
        stamp = datetime.fromisoformat(document.created)
    except ValueError:
        return datetime(2000, 1, 1, tzinfo=UTC)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def render_excel(document: Document, source: str) -> bytes:
    import xlsxwriter

    from cfe_opt.version import package_version

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "nan_inf_to_errors": False,
                                        "strings_to_numbers": False,
                                        "strings_to_formulas": False,
                                        "strings_to_urls": False})
    created = _created(document).replace(tzinfo=None)
    book.set_properties({"title": document.title, "subject": document.subtitle,
                         "author": "cfe-opt", "company": "", "created": created,
                         "comments": f"cfe-opt {package_version()} from {source}"})
    book.set_custom_property("cfe-opt version", package_version())
    formats = {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "heading": book.add_format({"bold": True, "font_size": 11, "font_color": "#0072B2"}),
        "header": book.add_format({"bold": True, "bg_color": "#E8EEF5", "bottom": 2,
                                   "bottom_color": "#8FA8C4", "text_wrap": True,
                                   "valign": "top"}),
        "index": book.add_format({"bold": True}),
        "text": book.add_format({"text_wrap": True, "valign": "top"}),
        "mono": book.add_format({"font_name": "Consolas", "font_size": 9, "valign": "top"}),
        WHOLE: book.add_format({"num_format": WHOLE}),
        DECIMAL: book.add_format({"num_format": DECIMAL}),
        SMALL: book.add_format({"num_format": SMALL}),
        PERCENT: book.add_format({"num_format": PERCENT}),
    }
    used: set[str] = set()
    _summary(book.add_worksheet(_sheet_name("Summary", used)), document, formats)
    for table in document.tables():
        _table(book.add_worksheet(_sheet_name(table.name, used)), table, formats)
    if document.figures():
        _figures(book.add_worksheet(_sheet_name("Figures", used)), document, formats)
    book.close()
    return buffer.getvalue()


def _summary(sheet: object, document: Document, formats: dict) -> None:
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 110)
    sheet.write(0, 0, document.title, formats["title"])
    sheet.write(1, 0, document.subtitle)
    row = 3
    row = _paragraphs(sheet, row, "Findings", document.narrative, formats)
    if document.assumptions:
        row = _paragraphs(sheet, row + 2, "What the result rests on", document.assumptions,
                          formats)
    if document.queries:
        row += 2
        sheet.write(row, 0, "The queries behind the findings", formats["heading"])
        for finding, sql in document.queries:
            row += 1
            sheet.write(row, 0, finding, formats["text"])
            sheet.write(row, 1, sql, formats["mono"])
    row += 2
    sheet.write(row, 0, "Provenance", formats["heading"])
    for what, value in document.provenance:
        row += 1
        sheet.write_string(row, 0, what)
        sheet.write_string(row, 1, value, formats["mono"])


def _number_format(series: pd.Series, share: bool) -> str | None:
    if share:
        return PERCENT
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return None
    values = series.dropna().astype(float)
    if len(values) and (values == values.round()).all():
        return WHOLE
    if len(values) and values.abs().max() < 10:
        return SMALL
    return DECIMAL


def _cell(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        import numpy as np

        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return None if math.isnan(float(value)) else float(value)
    except ImportError:  # pragma: no cover
        pass
    return value


def _table(sheet: object, table: Table, formats: dict) -> None:
    frame = table.frame
    named = any(n is not None for n in frame.index.names)
    flat = frame.reset_index() if named else frame
    index_columns = len(frame.index.names) if named else 0
    for j, column in enumerate(flat.columns):
        sheet.write_string(0, j, str(column), formats["header"])
        series = flat[column]
        number = _number_format(series, column in table.percent)
        texts = [str(v) for v in series.dropna().tolist()][:200]
        width = min(60, max([len(str(column)), *[len(t) for t in texts]], default=8) + 2)
        cell_format = formats[number] if number else (
            formats["index"] if j < index_columns else None)
        sheet.set_column(j, j, width, cell_format)
        for i, value in enumerate(series.tolist(), start=1):
            value = _cell(value)
            if value is None:
                sheet.write_blank(i, j, None, cell_format)
            elif isinstance(value, bool):
                sheet.write_boolean(i, j, value, cell_format)
            elif isinstance(value, int | float):
                sheet.write_number(i, j, value, cell_format)
            else:
                sheet.write_string(i, j, str(value), cell_format)
    sheet.freeze_panes(1, index_columns)
    if len(flat.columns):
        sheet.autofilter(0, 0, max(len(flat), 1), len(flat.columns) - 1)


def _figures(sheet: object, document: Document, formats: dict) -> None:
    row = 0
    for figure in document.figures():
        sheet.write(row, 0, figure.caption, formats["heading"])
        width, height = png_size(figure.png)
        sheet.insert_image(row + 1, 0, figure.name, {"image_data": io.BytesIO(figure.png),
                                                     "object_position": 3})
        row += 3 + math.ceil(height / 20)
        del width


def _paragraphs(sheet: Any, row: int, heading: str, lines: list[str],
                formats: dict[str, Any]) -> int:
    """A heading at ``row`` and each line under it across both columns, each row as tall as
    its text needs; returns the last row written."""
    sheet.write(row, 0, heading, formats["heading"])
    for line in lines:
        row += 1
        sheet.merge_range(row, 0, row, 1, line, formats["text"])
        sheet.set_row(row, 15 * max(1, math.ceil(len(line) / 140)))
    return row
