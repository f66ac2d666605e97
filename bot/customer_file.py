"""The customer archive's import/export file: CSV (UTF-8, with a header) or the first sheet of an XLSX,
columns as in ``core.archive_flow.COLUMNS`` (Chinese or English headers)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.safe_text import guarded, unguarded
from core.archive_flow import COLUMNS, HEADER_KEYS
from core.customers import CustomerRecord

Rows = list[tuple[int, dict[str, str]]]


class FileProblem(Exception):
    """The file cannot be read as an archive table (the message is Chinese, for the person importing)."""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 13800138000 read by Excel as a number
    return unguarded(str(value).strip())  # the quote ``to_csv`` put before a would-be formula


def _rows(table: Iterable[Sequence[object]]) -> Rows:
    """Rows as {column key: text}, numbered as in the spreadsheet (the header is row 1); blank rows skipped."""
    lines = iter(table)
    header = next(lines, None)
    if header is None:
        raise FileProblem("文件是空的。")
    keys = [HEADER_KEYS.get(_cell(h).casefold()) for h in header]
    if "name" not in keys:
        raise FileProblem("第 1 行:缺少“名称”(name)列。")
    out: Rows = []
    for number, line in enumerate(lines, start=2):
        values = {k: _cell(v) for k, v in zip(keys, line, strict=False) if k is not None}
        if any(values.values()):
            out.append((number, values))
    return out


def read_rows(path: Path) -> Rows:
    """The rows of a CSV or XLSX file; FileProblem when it is neither or cannot be read."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            try:
                return _rows(book.worksheets[0].iter_rows(values_only=True))
            finally:
                book.close()
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            raise FileProblem(f"第 {line} 行:不是 UTF-8 编码的文字,请把 {path.name} 另存为 UTF-8 的 CSV。") from None
        return _rows(csv.reader(io.StringIO(text, newline="")))
    except FileProblem:
        raise
    except OSError as e:
        raise FileProblem(f"无法读取 {path}: {e.strerror}") from None
    except Exception as e:  # openpyxl raises many kinds on a damaged or foreign file
        raise FileProblem(f"无法读取 {path}: {e}") from None


def to_csv(records: Iterable[CustomerRecord]) -> str:
    """The archive as CSV with Chinese headers (several contacts: their fields joined with ';'); a cell that would
    start a formula (``=``, ``+``, ``-``, ``@``) gets a single quote in front, which the import takes off."""
    buf = io.StringIO()
    # CRLF ends a row (RFC 4180, as Excel writes), so a carriage return inside a cell is quoted with it and
    # cannot start a new row (whose first cell could be a formula).
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([zh for _, zh, _ in COLUMNS])
    for r in records:
        cells = [
            r.name,
            "、".join(r.aliases),
            r.owner,
            "是" if r.key else "否",
            r.legal_name,
            r.tax_id,
            r.address,
            ";".join(c.name for c in r.contacts),
            ";".join(c.phone for c in r.contacts),
            ";".join(c.email for c in r.contacts),
            ";".join(c.title for c in r.contacts),
            r.credit_note,
        ]
        w.writerow([guarded(cell) for cell in cells])
    return buf.getvalue()
