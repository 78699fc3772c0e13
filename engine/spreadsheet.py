"""Cells of the spreadsheets Zhunru exports, written so that text from outside stays text.

Text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is what a spreadsheet reads as
a formula (OWASP "CSV injection"); a complaint's respondent written ``=HYPERLINK(...)`` must open as those
characters, not as a live link. openpyxl stores any string beginning with ``=`` as a formula, so every
export writes its rows through `append_row` (Excel) or `csv_value` (CSV) here, never directly.
"""
import re
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


# Control characters XML 1.0 cannot carry (openpyxl's ILLEGAL_CHARACTERS_RE; not imported, so that CSV
# exports need not load openpyxl).
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _clean(value: Any) -> Any:
    # One of them would make openpyxl refuse the whole workbook.
    return _ILLEGAL.sub("\ufffd", value) if isinstance(value, str) else value


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append one row to an openpyxl worksheet; text that looks like a formula is stored as a string cell
    with Excel's quote prefix (shown as written, and still text when the cell is edited)."""
    values = [_clean(v) for v in values]
    sheet.append(values)
    for cell, value in zip(sheet[sheet.max_row], values, strict=False):
        if is_formula_like(value):
            cell.value = value
            cell.data_type = "s"
            cell.quotePrefix = True


def csv_value(value: Any) -> Any:
    """A value for a CSV file opened in a spreadsheet: text that looks like a formula gets a leading quote."""
    return f"'{value}" if is_formula_like(value) else value


def csv_row(row: dict[str, Any]) -> dict[str, Any]:
    return {key: csv_value(value) for key, value in row.items()}


def titled_sheet(name: str, title: str, columns: list[tuple[str, int]]) -> tuple[Any, Any]:
    """A workbook in the layout ledgers are kept in by hand: a bold title merged across the columns, then a
    bold header row with each column's width; rows follow from the third line, the first two stay in view."""
    from openpyxl import Workbook  # only the Excel exports need it
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = name
    append_row(sheet, [title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    append_row(sheet, [heading for heading, _ in columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for index, (_, width) in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = width
    sheet.freeze_panes = "A3"
    return book, sheet
