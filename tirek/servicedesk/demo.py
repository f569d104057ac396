"""Service desk data for `tirek demo`: a team that owns the main systems, a status page, four
months of resolved and rated tickets (so that Figures has something to show), and open work of
every kind in the states a real queue holds — new, in progress with a conversation, waiting for
the requester, overdue, a major incident with its reports, publication requests in review and
returned for changes.

Everything goes through the desk's services (SLA clocks, numbers, audit), with the clock set back
where a ticket is old, and without e-mail: the people are made up.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from tirek.access.models import System
from tirek.servicedesk import notifications, services
from tirek.servicedesk.models import Kind, Status, Ticket

# Owned by the demo team and shown on the status page, in this order.
STATUS_PAGE_SYSTEMS = ["platonus", "arta-synergy", "ldap", "yandex360", "website", "dspace", "bbb"]

# What people of a university write about (subject, description, system code or None).
FAILURES = [
    ("Платонус не открывается", "С утра при входе ошибка 502.", "platonus"),
    ("Не сохраняются оценки в журнале", "Нажимаю «Сохранить», оценки пропадают.", "platonus"),
    ("Arta Synergy: документ не уходит на согласование", "Висит в черновиках.", "arta-synergy"),
    ("Пошта келмейді", "Кеше түстен бері хаттар келмейді.", "yandex360"),
    ("BigBlueButton: нет звука у студентов", "Во время лекции студенты не слышат.", "bbb"),
    ("DSpace: не загружается PDF диссертации", "Файл 40 МБ, загрузка обрывается.", "dspace"),
    ("Сайт университета медленно открывается", "Главная страница грузится 20 секунд.", "website"),
    ("Принтер в 214 аудитории не печатает", "Горит оранжевый индикатор.", None),
]
REQUESTS = [
    ("Установить Office на новый компьютер", "Кабинет 105, инв. № 4471.", "install"),
    ("Сброс пароля в Платонусе", "Забыл пароль после отпуска.", "account"),
    ("Консультация по электронному журналу", "Как выставить рубежный контроль?", "consult"),
    ("Оқытушыларға Arta Synergy бойынша оқыту", "Кафедра 12 адам.", "training"),
    ("Настроить рассылку кафедры в Yandex 360", "Адрес для всех преподавателей.", "configure"),
]
QUESTIONS = [
    ("Как подключиться к Wi-Fi университета?", "В общежитии не видит сеть KRU."),
    ("Где взять инструкцию по OJS?", "Хочу подать статью в журнал."),
]


def _at(days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in the working day `days_ago` days back, in the university's zone."""
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    while day.weekday() >= 5:  # people report on working days
        day -= dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def create_demo_tickets(seed: int = 2026) -> int:
    """Make the demo's tickets; none when there already are some. Returns how many were made."""
    if Ticket.objects.exists():
        return 0
    users = {u.username: u for u in get_user_model().objects.filter(person__isnull=False)}
    needed = ("head", "staff", "unithead", "employee", "faculty", "student")
    if any(name not in users for name in needed):
        return 0
    head, staff = users["head"], users["staff"]
    requesters = [users[n] for n in ("employee", "faculty", "student", "unithead")]
    systems = {s.code: s for s in System.objects.all()}
    rng = random.Random(seed)
    before = Ticket.objects.count()
    with notifications.silenced():
        team = services.save_team(head, None, name=_("Information systems"), members=[staff, head])
        for position, code in enumerate(STATUS_PAGE_SYSTEMS, start=1):
            if code in systems:
                services.set_system_profile(
                    head, systems[code], team=team, on_status_page=True, position=position
                )
        _history(rng, requesters, staff, systems)
        _published(rng, users["unithead"], staff)
        _open_work(users, systems)
    return Ticket.objects.count() - before


def _history(rng: random.Random, requesters, staff, systems) -> None:
    """Resolved, closed and rated tickets over the last four months."""
    for n in range(48):
        days_ago = rng.randrange(7, 120)
        opened = _at(days_ago, rng.randrange(9, 17), rng.choice((0, 15, 30, 45)))
        requester = rng.choice(requesters[:3])
        if n % 3 == 0:
            subject, description, request_type = rng.choice(REQUESTS)
            kw = {"kind": Kind.SERVICE_REQUEST, "request_type": request_type}
        elif n % 7 == 0:
            subject, description = rng.choice(QUESTIONS)
            kw = {"kind": Kind.QUESTION}
        else:
            subject, description, code = rng.choice(FAILURES)
            kw = {"kind": Kind.INCIDENT, "system": systems.get(code) if code else None}
            kw["urgency"] = rng.choice((1, 2, 2, 3))
        ticket = services.submit(
            requester, subject=subject, description=description, now=opened, **kw
        )
        services.assign(staff, ticket, assignee=staff)
        started = opened + dt.timedelta(minutes=rng.randrange(10, 240))
        services.transition(staff, ticket, Status.IN_PROGRESS, now=started)
        # Most are solved within hours; some take days (and a few miss their target).
        took = dt.timedelta(hours=rng.choice((1, 2, 3, 5, 8, 20, 30, 70)))
        services.transition(
            staff,
            ticket,
            Status.RESOLVED,
            comment_text=_("Done, please check."),
            now=started + took,
        )
        if rng.random() < 0.7:
            services.rate(requester, ticket, rng.choice((5, 5, 5, 4, 4, 3, 2)))
        if rng.random() < 0.5:
            services.transition(requester, ticket, Status.CLOSED, now=started + took)


def _publication(
    unithead, subject: str, wanted: dt.date, *, now=None, section: str = "", **texts: str
) -> Ticket:
    """A publication request of the unit head for the university site (news by default)."""
    return services.submit(
        unithead,
        kind=Kind.PUBLICATION,
        subject=subject,
        publication={
            "target_site": "ksu.edu.kz",
            "section": section or "Жаңалықтар / Новости",
            "wanted_date": wanted,
            **texts,
        },
        now=now,
    )


def _published(rng: random.Random, unithead, staff) -> None:
    """Publication requests of past months: published (one of them late) and confirmed."""
    for n, (title, days_ago, late) in enumerate(
        (
            ("Ашық есік күні / День открытых дверей", 100, False),
            ("Итоги сессии института", 70, False),
            ("Грант кафедры информационных систем", 40, True),
            ("Қабылдау комиссиясының хабарландыруы", 15, False),
        )
    ):
        submitted = _at(days_ago, 11)
        wanted = submitted.date() + dt.timedelta(days=3)
        ticket = _publication(
            unithead, title, wanted, now=submitted, title_ru=title, text_ru="Текст публикации."
        )
        services.transition(staff, ticket, Status.IN_REVIEW, now=submitted + dt.timedelta(hours=2))
        published = timezone.make_aware(
            dt.datetime.combine(wanted + dt.timedelta(days=2 if late else -1), dt.time(15))
        )
        services.transition(
            staff,
            ticket,
            Status.PUBLISHED,
            published_url=f"https://ksu.edu.kz/news/{2026 - n}-{rng.randrange(100, 999)}",
            now=published,
        )
        services.transition(unithead, ticket, Status.CONFIRMED, now=published)


def _open_work(users, systems) -> None:
    staff = users["staff"]
    employee, faculty, student, unithead = (
        users["employee"],
        users["faculty"],
        users["student"],
        users["unithead"],
    )
    now = timezone.now()
    # New, nobody on it yet.
    services.submit(
        employee,
        kind=Kind.INCIDENT,
        subject="Arta Synergy: документ не уходит на согласование",
        description="Приказ № 214 висит в черновиках, кнопка «Отправить» не работает.",
        system=systems.get("arta-synergy"),
        urgency=1,
    )
    # In progress, with a conversation.
    journal = services.submit(
        faculty,
        kind=Kind.INCIDENT,
        subject="Не сохраняются оценки в журнале",
        description="Группа ИС-24-1, дисциплина «Базы данных»: после сохранения оценки пропадают.",
        system=systems.get("platonus"),
        now=now - dt.timedelta(hours=3),
    )
    services.assign(staff, journal, assignee=staff)
    services.comment(staff, journal, "Проверяем. Какой браузер вы используете?")
    services.comment(faculty, journal, "Chrome, последняя версия.")
    services.comment(staff, journal, "Ошибка воспроизводится, написали в Платонус.", internal=True)
    # Waiting for the requester: its clock is paused.
    wifi = services.submit(
        student,
        kind=Kind.QUESTION,
        subject="Как подключиться к Wi-Fi университета?",
        description="В общежитии телефон не видит сеть KRU.",
    )
    services.assign(staff, wifi, assignee=staff)
    services.transition(
        staff,
        wifi,
        Status.WAITING,
        comment_text="Какая модель телефона? Видите ли вы сеть KRU-Guest?",
    )
    # Overdue: opened a week and a half ago, still open.
    services.submit(
        employee,
        kind=Kind.SERVICE_REQUEST,
        request_type="install",
        subject="Установить Office на новый компьютер",
        description="Кабинет 105, инв. № 4471.",
        now=_at(10, 10),
    )
    # A major incident: mail is down for several people at once.
    reports = [
        services.submit(
            who,
            kind=Kind.INCIDENT,
            subject=subject,
            description=description,
            system=systems.get("yandex360"),
            now=now - dt.timedelta(minutes=minutes),
        )
        for who, subject, description, minutes in (
            (employee, "Не приходят письма", "С 9 утра ни одного письма.", 90),
            (faculty, "Почта не работает", "Письма студентам возвращаются.", 60),
        )
    ]
    major = services.declare_major_incident(
        staff, reports, subject="Yandex 360: письма не доставляются"
    )
    services.inform_major(
        staff, major, "Проблема на стороне Yandex 360, ждём восстановления. Письма не потеряются."
    )
    # Publication requests of a head of unit: one in review, one returned for changes.
    today = timezone.localdate()
    conference = _publication(
        unithead,
        "Объявление о конференции «Цифровой университет»",
        today + dt.timedelta(days=3),
        title_kk="«Цифрлық университет» конференциясы",
        text_kk="Инженерлік-техникалық институт 15 желтоқсанда конференция өткізеді.",
        title_ru="Конференция «Цифровой университет»",
        text_ru="Инженерно-технический институт 15 декабря проводит конференцию.",
    )
    services.transition(staff, conference, Status.IN_REVIEW)
    schedule = _publication(
        unithead,
        "Расписание консультаций кафедры",
        today + dt.timedelta(days=7),
        section="Кафедры",
        title_ru="Расписание консультаций",
        text_ru="Консультации проводятся по вторникам.",
    )
    services.transition(
        staff,
        schedule,
        Status.RETURNED,
        comment_text="Добавьте, пожалуйста, текст на казахском языке и номера аудиторий.",
    )
