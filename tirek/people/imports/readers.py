"""Reading an import file into a header and rows of text, whatever its format.

CSV files come from Excel and 1C on Windows in UTF-8 (with or without a byte order mark),
Windows-1251 or KZ-1048. Windows-1251 has no Kazakh letters (ә ғ қ ң ө ұ ү һ і), so a Kazakh
file saved by Windows is KZ-1048; the two code pages differ in 16 bytes, all of them Kazakh
letters in KZ-1048 and rare Serbian/Macedonian/Ukrainian ones in Windows-1251, so the presence
of any of those bytes means KZ-1048. The delimiter is the one of , ; TAB | that splits the
header into the most columns and the next lines into as many. XLSX is read with openpyxl in
read-only mode (streamed, so memory stays flat) from the first sheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from tirek.people.imports.errors import ImportFileError

MAX_BYTES = 50 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
# The bytes where KZ-1048 has Kazakh letters and Windows-1251 something else.
_KZ1048_BYTES = re.compile(rb"[\x8d\x8e\x9d\x9e\xa1\xa2\xa3\xa5\xaa\xaf\xb4\xba\xbc\xbd\xbe\xbf]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
csv.field_size_limit(1024 * 1024)


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (line or row number in the file, cells)
    format: str
    encoding: str = ""
    delimiter: str = ""
    notes: list[str] = field(default_factory=list)


def read_table(
    data: bytes, *, file_format: str = "auto", encoding: str = "auto", delimiter: str = ""
) -> Table:
    """Header and rows of `data`; raises ImportFileError when the file cannot be read."""
    if not data or not data.strip():
        raise ImportFileError("empty")
    if len(data) > MAX_BYTES:
        raise ImportFileError("too_large", limit=MAX_BYTES // (1024 * 1024))
    is_zip = data[:4] == b"PK\x03\x04"
    if file_format == "xlsx" or (file_format == "auto" and is_zip):
        return read_xlsx(data)
    if is_zip:
        raise ImportFileError("unsupported_format")
    return read_csv(data, encoding=encoding, delimiter=delimiter)


# --- CSV ---------------------------------------------------------------------------------


def detect_encoding(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    _check_mixed(data)
    return "kz1048" if _KZ1048_BYTES.search(data) else "cp1251"


def _check_mixed(data: bytes) -> None:
    """A file that is not UTF-8 as a whole but has whole lines of UTF-8 Cyrillic is two files
    pasted together; reading it in any one encoding would garble half of the names."""
    utf8_line = other_line = 0
    for number, line in enumerate(data.splitlines(), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other_line = other_line or number
        else:
            utf8_line = utf8_line or number
        if utf8_line and other_line:
            raise ImportFileError("mixed_encoding", line=utf8_line, other=other_line)


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError("bad_encoding", line=line, encoding=encoding) from None
    except LookupError:
        raise ImportFileError("bad_encoding", line=1, encoding=encoding) from None


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the header into most columns, consistently below it."""
    header, sample = lines[0], lines[1:20]
    best, best_score = ",", (0, 0)
    for candidate in DELIMITERS:
        width = len(next(csv.reader([header], delimiter=candidate)))
        if width < 2:
            continue
        agree = sum(
            1 for line in sample if len(next(csv.reader([line], delimiter=candidate))) == width
        )
        score = (agree, width)
        if score > best_score:
            best, best_score = candidate, score
    return best


def read_csv(data: bytes, *, encoding: str = "auto", delimiter: str = "") -> Table:
    if b"\x00" in data:
        raise ImportFileError("binary")
    enc = detect_encoding(data) if encoding in ("", "auto") else encoding
    if enc == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
        enc = "utf-8-sig"
    text = _decode(data, enc)
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(_CONTROL.findall(text[:65536])) > 8:
        raise ImportFileError("binary")
    head_lines = [line for line in text[:65536].splitlines() if line.strip()][:20]
    if not head_lines:
        raise ImportFileError("no_header")
    guessed = sniff_delimiter(head_lines)
    delim = delimiter or guessed
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("no_header") from None
    except csv.Error as exc:
        raise ImportFileError("bad_csv", line=1, detail=str(exc)) from None
    header = [h.strip() for h in header]
    if len(header) < 2 and delimiter and guessed != delimiter:
        raise ImportFileError("one_column", delimiter=repr(delimiter), guess=repr(guessed))

    def rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportFileError("bad_csv", line=reader.line_num, detail=str(exc)) from None
            if not any(c.strip() for c in cells):
                continue
            yield reader.line_num, cells

    return Table(header=header, rows=rows(), format="csv", encoding=enc, delimiter=delim)


# --- XLSX --------------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula stays its text ("=cmd|..."), stored as plain text and
        # never evaluated; exports neutralise it again.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = workbook.worksheets[0] if workbook.worksheets else None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, TypeError):
        raise ImportFileError("bad_xlsx") from None
    except Exception:  # openpyxl raises many kinds on a broken package
        raise ImportFileError("bad_xlsx") from None
    if sheet is None:
        raise ImportFileError("no_sheet")
    try:
        values = sheet.iter_rows(values_only=True)
        header_row = next(values, None)
    except Exception:
        raise ImportFileError("bad_xlsx") from None
    if header_row is None or not any(v is not None for v in header_row):
        raise ImportFileError("no_header")
    header = [_cell_text(v).strip() for v in header_row]
    while header and not header[-1]:
        header.pop()

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, row in enumerate(values, start=2):
                cells = [_cell_text(v) for v in row[: len(header)]]
                if any(c.strip() for c in cells):
                    yield number, cells
        except ImportFileError:
            raise
        except Exception:
            raise ImportFileError("bad_xlsx") from None
        finally:
            workbook.close()

    return Table(header=header, rows=rows(), format="xlsx")


def preview(table: Table, limit: int = 10) -> list[list[str]]:
    """The first `limit` rows, for the mapping editor."""
    out = []
    for _number, cells in table.rows:
        out.append(cells)
        if len(out) >= limit:
            break
    return out
