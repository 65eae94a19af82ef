"""Where ``helpline export`` puts its rows: CSV files or one xlsx workbook, row by row.

Both write each row as it comes and keep none: CSV goes straight to the file, and openpyxl
in write-only mode streams each sheet to a temporary file until the workbook is saved.

Texts people typed are made safe for spreadsheets: in xlsx a text that starts with "=" is
stored as text (openpyxl would otherwise write it as a formula), characters XML cannot hold
are dropped and a cell is cut at Excel's 32,767 characters; in CSV, which has no cell
types, a typed text that starts with =, +, - or @ gets a leading apostrophe, the usual
guard against formula injection when the file is opened in Excel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from bot.files.export_rows import TYPED

EXCEL_CELL_MAX = 32_767
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Convert = Callable[[Any], Any]


class Sink(Protocol):
    """One sheet after the other: ``begin`` a sheet, ``row`` its rows; ``finish`` saves."""

    def begin(self, sheet: str, columns: Sequence[str]) -> None: ...

    def row(self, record: dict[str, Any]) -> None: ...

    def finish(self) -> None: ...

    def close(self) -> None: ...


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value


def _csv_typed(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return _csv_cell(value)


class CsvSink:
    """Each sheet to its own file: UTF-8 with a BOM, so Excel reads Chinese correctly."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self._paths = paths
        self._file: io.TextIOWrapper | None = None
        self._writer: Any = None
        self._columns: Sequence[str] = ()
        self._convert: list[Convert] = []

    def begin(self, sheet: str, columns: Sequence[str]) -> None:
        self.close()
        path = self._paths[sheet]
        self._file = path.open("w", encoding="utf-8-sig", newline="", errors="replace")
        self._writer = csv.writer(self._file)
        self._writer.writerow(columns)
        self._columns = columns
        self._convert = [_csv_typed if c in TYPED else _csv_cell for c in columns]

    def row(self, record: dict[str, Any]) -> None:
        self._writer.writerow(
            [f(record[c]) for f, c in zip(self._convert, self._columns, strict=True)]
        )

    def finish(self) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _xlsx_text(value: str) -> str:
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(value) > EXCEL_CELL_MAX:
        value = value[: EXCEL_CELL_MAX - 1] + "…"
    return value.encode("utf-8", "replace").decode("utf-8")


class XlsxSink:
    """One workbook, one sheet per ``begin``; local times as Excel dates (no zone)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._book = Workbook(write_only=True)
        self._sheet: Any = None
        self._columns: Sequence[str] = ()

    def begin(self, sheet: str, columns: Sequence[str]) -> None:
        self._sheet = self._book.create_sheet(sheet)
        self._sheet.freeze_panes = "A2"
        self._sheet.append(list(columns))
        self._columns = columns

    def _cell(self, value: Any) -> Any:
        if isinstance(value, str):
            value = _xlsx_text(value)
            if value.startswith("="):
                cell = WriteOnlyCell(self._sheet, value)
                cell.data_type = "s"  # text, never a formula
                return cell
            return value
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        return value

    def row(self, record: dict[str, Any]) -> None:
        self._sheet.append([self._cell(record[c]) for c in self._columns])

    def finish(self) -> None:
        self._book.save(str(self._path))

    def close(self) -> None:
        self._book.close()
