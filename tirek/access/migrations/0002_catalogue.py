# ruff: noqa: RUF001  (Cyrillic data)
"""The university's systems (MISSION.md, tasks 4 and 6) and their roles.

Owners are people, who are not known when the database is created: staff set them in the
catalogue. Connector settings hold no secret; the LDAP bind password is read from
TIREK_LDAP_BIND_PASSWORD, the Yandex 360 SCIM token from TIREK_YANDEX360_SCIM_TOKEN.
"""

from django.db import migrations

LDAP_SETTINGS = {
    "uri": "ldap://ldap.ksu.edu.kz",
    "start_tls": True,
    "bind_dn": "cn=tirek,ou=services,dc=ksu,dc=edu,dc=kz",
    "secret_env": "TIREK_LDAP_BIND_PASSWORD",
    "base_dn": "ou=people,dc=ksu,dc=edu,dc=kz",
    "groups_dn": "ou=groups,dc=ksu,dc=edu,dc=kz",
    "disable_method": "locked_password",
}
SCIM_SETTINGS = {
    "url": "https://api360.yandex.net/directory/v1/scim/v2",
    "secret_env": "TIREK_YANDEX360_SCIM_TOKEN",
    "email_domain": "ksu.edu.kz",
}

# code, (kk, ru, en), (description kk, ru, en), kind, settings, login pattern, roles
# role: (code, kk, ru, en, target group, privileged)
SYSTEMS = [
    (
        "ldap",
        ("Университет каталогы (LDAP/AD)", "Каталог университета (LDAP/AD)",
         "University directory (LDAP/AD)"),
        ("Бірыңғай логин: пошта, Wi-Fi, компьютерлер.",
         "Единый логин: почта, Wi-Fi, компьютеры.",
         "The single login for mail, Wi-Fi and computers."),
        "ldap", LDAP_SETTINGS, "{first}.{last}",
        [
            ("staff", "Қызметкер", "Сотрудник", "Staff member", "staff", False),
            ("students", "Студент", "Студент", "Student", "students", False),
            ("wifi", "Wi-Fi", "Wi-Fi", "Wi-Fi", "wifi", False),
            ("admins", "Әкімші", "Администратор", "Administrator", "admins", True),
        ],
    ),
    (
        "platonus",
        ("Platonus", "Платонус", "Platonus"),
        ("Академиялық ақпараттық жүйе.", "Академическая информационная система.",
         "Academic information system."),
        "manual", {}, "{student_number}",
        [
            ("student", "Студент", "Студент", "Student", "student", False),
            ("teacher", "Оқытушы", "Преподаватель", "Teacher", "teacher", False),
            ("adviser", "Эдвайзер", "Эдвайзер", "Adviser", "adviser", False),
            ("registrar", "Тіркеуші офис", "Офис регистратора", "Registrar", "registrar", True),
        ],
    ),
    (
        "arta-synergy",
        ("Arta Synergy", "Arta Synergy", "Arta Synergy"),
        ("Электрондық құжат айналымы.", "Электронный документооборот.",
         "Electronic document management."),
        "manual", {}, "{f}.{last}",
        [
            ("user", "Пайдаланушы", "Пользователь", "User", "user", False),
            ("clerk", "Іс жүргізуші", "Делопроизводитель", "Clerk", "clerk", False),
            ("signer", "Қол қоюшы басшы", "Подписывающий руководитель", "Signing manager",
             "signer", True),
        ],
    ),
    (
        "rating",
        ("«Рейтинг»", "«Рейтинг»", "Rating"),
        ("Оқу жүктемесін жоспарлау және есепке алу.",
         "Планирование и учёт учебной нагрузки.", "Teaching-load planning and accounting."),
        "manual", {}, "{f}.{last}",
        [
            ("teacher", "Оқытушы", "Преподаватель", "Teacher", "teacher", False),
            ("chair-head", "Кафедра меңгерушісі", "Заведующий кафедрой", "Head of chair",
             "chair-head", False),
            ("planner", "Оқу бөлімі", "Учебный отдел", "Academic office", "planner", True),
        ],
    ),
    (
        "irbis64",
        ("ИРБИС64+", "ИРБИС64+", "IRBIS64+"),
        ("Кітапхананы автоматтандыру жүйесі.", "Система автоматизации библиотеки.",
         "Library automation system."),
        "manual", {}, "{f}.{last}",
        [
            ("reader", "Оқырман", "Читатель", "Reader", "reader", False),
            ("librarian", "Кітапханашы", "Библиотекарь", "Librarian", "librarian", False),
            ("cataloguer", "Каталогтаушы", "Каталогизатор", "Cataloguer", "cataloguer", False),
            ("administrator", "Әкімші", "Администратор", "Administrator", "admin", True),
        ],
    ),
    (
        "kabis",
        ("КАБИС", "КАБИС", "KABIS"),
        ("Педагогикалық институт кітапханасын автоматтандыру.",
         "Автоматизация библиотеки педагогического института.",
         "Library automation of the pedagogical institute."),
        "manual", {}, "{f}.{last}",
        [
            ("reader", "Оқырман", "Читатель", "Reader", "reader", False),
            ("librarian", "Кітапханашы", "Библиотекарь", "Librarian", "librarian", False),
        ],
    ),
    (
        "ojs",
        ("OJS 3", "OJS 3", "OJS 3"),
        ("Ғылыми журналдарды басқару.", "Управление научными журналами.",
         "Journal management."),
        "manual", {}, "{first}.{last}",
        [
            ("author", "Автор", "Автор", "Author", "author", False),
            ("reviewer", "Рецензент", "Рецензент", "Reviewer", "reviewer", False),
            ("editor", "Редактор", "Редактор", "Editor", "editor", False),
            ("journal-manager", "Журнал менеджері", "Менеджер журнала", "Journal manager",
             "journal-manager", True),
        ],
    ),
    (
        "dspace",
        ("DSpace", "DSpace", "DSpace"),
        ("Институционалдық репозиторий.", "Институциональный репозиторий.",
         "Institutional repository."),
        "manual", {}, "{first}.{last}",
        [
            ("submitter", "Жіберуші", "Отправитель", "Submitter", "submitter", False),
            ("reviewer", "Рецензент", "Рецензент", "Reviewer", "reviewer", False),
            ("administrator", "Әкімші", "Администратор", "Administrator", "administrator", True),
        ],
    ),
    (
        "bbb",
        ("BigBlueButton", "BigBlueButton", "BigBlueButton"),
        ("Веб-конференциялар.", "Веб-конференции.", "Web conferencing."),
        "manual", {}, "{first}.{last}",
        [
            ("attendee", "Қатысушы", "Участник", "Attendee", "attendee", False),
            ("moderator", "Модератор", "Модератор", "Moderator", "moderator", False),
        ],
    ),
    (
        "hr",
        ("Кадр жүйесі", "Кадровая система", "HR system"),
        ("Персоналды есепке алу.", "Учёт персонала.", "Personnel records."),
        "manual", {}, "{f}.{last}",
        [
            ("viewer", "Қарау", "Просмотр", "Viewer", "viewer", False),
            ("hr-officer", "Кадр маманы", "Специалист по кадрам", "HR officer", "hr-officer",
             True),
        ],
    ),
    (
        "perco",
        ("PERCo", "PERCo", "PERCo"),
        ("Кіруді бақылау жүйесі.", "Система контроля доступа.", "Access control system."),
        "manual", {}, "{f}.{last}",
        [
            ("operator", "Оператор", "Оператор", "Operator", "operator", False),
            ("security", "Күзет қызметі", "Служба охраны", "Security service", "security",
             True),
        ],
    ),
    (
        "eotinish",
        ("eOtinish", "eOtinish", "eOtinish"),
        ("Мемлекеттік өтініштер жүйесі.", "Государственная система обращений.",
         "State appeals system."),
        "manual", {}, "{f}.{last}",
        [
            ("executor", "Орындаушы", "Исполнитель", "Executor", "executor", False),
            ("controller", "Бақылаушы", "Контролёр", "Controller", "controller", True),
        ],
    ),
    (
        "yandex360",
        ("Yandex 360 поштасы", "Почта Yandex 360", "Yandex 360 mail"),
        ("Корпоративтік пошта (ksu.edu.kz).", "Корпоративная почта (ksu.edu.kz).",
         "Corporate mail (ksu.edu.kz)."),
        "scim", SCIM_SETTINGS, "{first}.{last}",
        [
            ("mailbox", "Пошта жәшігі", "Почтовый ящик", "Mailbox", "mailbox", False),
            ("mail-admin", "Пошта әкімшісі", "Администратор почты", "Mail administrator",
             "mail-admin", True),
        ],
    ),
]


def load(apps, schema_editor):
    System = apps.get_model("access", "System")
    SystemRole = apps.get_model("access", "SystemRole")
    for code, names, descriptions, kind, settings, pattern, roles in SYSTEMS:
        system, _ = System.objects.get_or_create(
            code=code,
            defaults={
                "name_kk": names[0],
                "name_ru": names[1],
                "name_en": names[2],
                "description_kk": descriptions[0],
                "description_ru": descriptions[1],
                "description_en": descriptions[2],
                "connector_kind": kind,
                "connector_settings": settings,
                "login_pattern": pattern,
                "approval_chain": ["unit_head", "owner"],
                "password_policy": {"length": 12, "classes": ["lower", "upper", "digit"]},
            },
        )
        for role_code, kk, ru, en, group, privileged in roles:
            SystemRole.objects.get_or_create(
                system=system,
                code=role_code,
                defaults={
                    "name_kk": kk,
                    "name_ru": ru,
                    "name_en": en,
                    "target_group": group,
                    "is_privileged": privileged,
                },
            )


def unload(apps, schema_editor):
    System = apps.get_model("access", "System")
    codes = [s[0] for s in SYSTEMS]
    apps.get_model("access", "SystemRole").objects.filter(system__code__in=codes).delete()
    System.objects.filter(code__in=codes, accounts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
