"""Builders for import test files (the broken-file corpus is made here, byte by byte)."""

from __future__ import annotations

import datetime as dt
import io

from tirek.people.iin import make_iin

STUDENT_HEADER = [
    "Platonus ID",
    "ИИН",
    "Фамилия",
    "Имя",
    "Отчество",
    "Дата рождения",
    "Подразделение",
    "Группа",
    "Курс",
    "Статус",
]
STUDENT_MAPPING = {
    "source_id": "Platonus ID",
    "iin": "ИИН",
    "last_name": "Фамилия",
    "first_name": "Имя",
    "patronymic": "Отчество",
    "birth_date": "Дата рождения",
    "unit": "Подразделение",
    "group": "Группа",
    "study_year": "Курс",
    "status": "Статус",
}
LAST_NAMES = ["Жұмабаев", "Әбілқасымова", "Нұрғалиев", "Сейітқали", "Иванов", "Өтепова"]
FIRST_NAMES = ["Дәурен", "Айгерім", "Қуаныш", "Ұлжан", "Сергей", "Гүлнұр"]


def student(n: int, *, unit: str = "CH-A1", group: str = "ИС-24-1", status: str = "обучается"):
    sex = "M" if n % 2 == 0 else "F"
    born = dt.date(2004, 1, 1) + dt.timedelta(days=n % 700)
    return [
        f"P{n:06d}",
        make_iin(born, sex, n),
        LAST_NAMES[n % len(LAST_NAMES)],
        FIRST_NAMES[n % len(FIRST_NAMES)],
        "Серікұлы" if sex == "M" else "Серікқызы",
        born.strftime("%d.%m.%Y"),
        unit,
        group,
        "2",
        status,
    ]


def to_csv(rows, *, header=STUDENT_HEADER, delimiter=";", encoding="utf-8") -> bytes:
    import csv

    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def to_xlsx(rows, *, header=STUDENT_HEADER) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
