"""The demo university: units, positions, programmes and names. Only `tirek demo` uses it.

Codes are stable, so tests and other apps' demo data can refer to units by code.
"""

from __future__ import annotations

ROOT_CODE = "KRU"
IT_CODE = "BKEASB"

# (code, parent code, kind, kk, ru, en)
UNITS: list[tuple[str, str | None, str, str, str, str]] = [
    (ROOT_CODE, None, "university",
     "А. Байтұрсынов атындағы Қостанай өңірлік университеті",
     "Костанайский региональный университет имени А. Байтурсынова",
     "A. Baitursynov Kostanay Regional University"),
    # Institutes and their chairs
    ("IET", ROOT_CODE, "institute", "Инженерлік-техникалық институт",
     "Инженерно-технический институт", "Institute of Engineering and Technology"),
    ("IET-IS", "IET", "chair", "Ақпараттық жүйелер кафедрасы",
     "Кафедра информационных систем", "Chair of Information Systems"),
    ("IET-CSM", "IET", "chair", "Информатика және математика кафедрасы",
     "Кафедра информатики и математики", "Chair of Computer Science and Mathematics"),
    ("IET-EPH", "IET", "chair", "Электроэнергетика және физика кафедрасы",
     "Кафедра электроэнергетики и физики", "Chair of Power Engineering and Physics"),
    ("IET-MB", "IET", "chair", "Машина жасау кафедрасы",
     "Кафедра машиностроения", "Chair of Mechanical Engineering"),
    ("AGR", ROOT_CODE, "institute", "Аграрлық институт", "Аграрный институт",
     "Agrarian Institute"),
    ("AGR-AGRO", "AGR", "chair", "Агрономия кафедрасы", "Кафедра агрономии",
     "Chair of Agronomy"),
    ("AGR-VET", "AGR", "chair", "Ветеринариялық медицина кафедрасы",
     "Кафедра ветеринарной медицины", "Chair of Veterinary Medicine"),
    ("AGR-FOOD", "AGR", "chair", "Тамақ өнімдерінің технологиясы кафедрасы",
     "Кафедра технологии пищевых продуктов", "Chair of Food Technology"),
    ("ECO", ROOT_CODE, "institute", "Экономика институты", "Институт экономики",
     "Institute of Economics"),
    ("ECO-EC", "ECO", "chair", "Экономика кафедрасы", "Кафедра экономики",
     "Chair of Economics"),
    ("ECO-FIN", "ECO", "chair", "Есеп және қаржы кафедрасы", "Кафедра учёта и финансов",
     "Chair of Accounting and Finance"),
    ("ECO-MGT", "ECO", "chair", "Менеджмент кафедрасы", "Кафедра менеджмента",
     "Chair of Management"),
    ("PED", ROOT_CODE, "institute", "Педагогикалық институт", "Педагогический институт",
     "Pedagogical Institute"),
    ("PED-PP", "PED", "chair", "Педагогика және психология кафедрасы",
     "Кафедра педагогики и психологии", "Chair of Pedagogy and Psychology"),
    ("PED-PE", "PED", "chair", "Дене шынықтыру кафедрасы", "Кафедра физической культуры",
     "Chair of Physical Education"),
    ("PED-PRIM", "PED", "chair", "Бастауыш білім беру кафедрасы",
     "Кафедра начального образования", "Chair of Primary Education"),
    ("HUM", ROOT_CODE, "faculty", "Гуманитарлық-әлеуметтік факультет",
     "Социально-гуманитарный факультет", "Faculty of Social Sciences and Humanities"),
    ("HUM-KZ", "HUM", "chair", "Қазақ филологиясы кафедрасы",
     "Кафедра казахской филологии", "Chair of Kazakh Philology"),
    ("HUM-RU", "HUM", "chair", "Орыс филологиясы кафедрасы",
     "Кафедра русской филологии", "Chair of Russian Philology"),
    ("HUM-FL", "HUM", "chair", "Шетел тілдері кафедрасы", "Кафедра иностранных языков",
     "Chair of Foreign Languages"),
    ("HUM-HIS", "HUM", "chair", "Қазақстан тарихы кафедрасы",
     "Кафедра истории Казахстана", "Chair of the History of Kazakhstan"),
    ("LAW", ROOT_CODE, "faculty", "Заң факультеті", "Юридический факультет",
     "Faculty of Law"),
    ("LAW-CIV", "LAW", "chair", "Азаматтық құқық кафедрасы",
     "Кафедра гражданского права", "Chair of Civil Law"),
    ("LAW-CRIM", "LAW", "chair", "Қылмыстық құқық кафедрасы",
     "Кафедра уголовного права", "Chair of Criminal Law"),
    # Administration
    ("RECT", ROOT_CODE, "office", "Ректорат", "Ректорат", "Rector's Office"),
    (IT_CODE, "RECT", "department",
     "Бағдарламалық қамтамасыз етуді әзірлеу және сүйемелдеу бөлімі",
     "Отдел разработки и сопровождения программного обеспечения",
     "Software Development and Support Department"),
    ("HR", "RECT", "department", "Персоналды басқару бөлімі",
     "Отдел управления персоналом", "Human Resources Department"),
    ("ACC", "RECT", "department", "Бухгалтерлік есеп бөлімі", "Бухгалтерия",
     "Accounting Department"),
    ("REG", "RECT", "office", "Тіркеу офисі", "Офис регистратора", "Registrar's Office"),
    ("ACAD", "RECT", "department", "Оқу-әдістемелік басқармасы",
     "Учебно-методическое управление", "Academic Affairs Department"),
    ("SCI", "RECT", "department", "Ғылым және инновациялар департаменті",
     "Департамент науки и инноваций", "Department of Research and Innovation"),
    ("INTL", "RECT", "office", "Халықаралық ынтымақтастық бөлімі",
     "Отдел международного сотрудничества", "International Cooperation Office"),
    ("DOC", "RECT", "office", "Құжаттамалық қамтамасыз ету бөлімі",
     "Отдел документационного обеспечения", "Records Office"),
    ("YOUTH", "RECT", "office", "Жастар ісі бөлімі", "Отдел по делам молодёжи",
     "Youth Affairs Office"),
    ("LEGAL", "RECT", "office", "Заң бөлімі", "Юридический отдел", "Legal Office"),
    ("ESTATE", "RECT", "department", "Шаруашылық бөлімі", "Хозяйственный отдел",
     "Facilities Department"),
    ("PRESS", "RECT", "office", "Баспасөз қызметі", "Пресс-служба", "Press Office"),
    ("LIB", ROOT_CODE, "library", "Ғылыми кітапхана", "Научная библиотека",
     "Research Library"),
    ("LIB-PED", "LIB", "library", "Педагогикалық институт кітапханасы",
     "Библиотека педагогического института", "Pedagogical Institute Library"),
    ("LANG", ROOT_CODE, "centre", "Тілдерді дамыту орталығы", "Центр развития языков",
     "Language Development Centre"),
    ("DL", ROOT_CODE, "centre", "Қашықтықтан оқыту орталығы",
     "Центр дистанционного обучения", "Distance Learning Centre"),
    ("QA", ROOT_CODE, "centre", "Сапа менеджменті орталығы",
     "Центр менеджмента качества", "Quality Management Centre"),
]  # fmt: skip

# (code, category, kk, ru, en)
POSITIONS: list[tuple[str, str, str, str, str]] = [
    ("RECTOR", "management", "Басқарма төрағасы – ректор", "Председатель правления – ректор",
     "Rector"),
    ("VICE-RECTOR", "management", "Проректор", "Проректор", "Vice-Rector"),
    ("DIRECTOR", "management", "Институт директоры", "Директор института",
     "Director of Institute"),
    ("DEAN", "management", "Декан", "Декан", "Dean"),
    ("HEAD-CHAIR", "management", "Кафедра меңгерушісі", "Заведующий кафедрой",
     "Head of Chair"),
    ("HEAD-DEPT", "management", "Бөлім басшысы", "Руководитель отдела", "Head of Department"),
    ("PROF", "faculty", "Профессор", "Профессор", "Professor"),
    ("ASSOC-PROF", "faculty", "Қауымдастырылған профессор", "Ассоциированный профессор",
     "Associate Professor"),
    ("SEN-LECT", "faculty", "Аға оқытушы", "Старший преподаватель", "Senior Lecturer"),
    ("LECT", "faculty", "Оқытушы", "Преподаватель", "Lecturer"),
    ("ASSIST", "faculty", "Ассистент", "Ассистент", "Assistant Lecturer"),
    ("ENGINEER-PROG", "staff", "Инженер-бағдарламашы", "Инженер-программист",
     "Software Engineer"),
    ("SYSADMIN", "staff", "Жүйелік әкімші", "Системный администратор",
     "System Administrator"),
    ("SPECIALIST", "staff", "Маман", "Специалист", "Specialist"),
    ("METHODIST", "staff", "Әдіскер", "Методист", "Methodologist"),
    ("ACCOUNTANT", "staff", "Бухгалтер", "Бухгалтер", "Accountant"),
    ("LIBRARIAN", "staff", "Кітапханашы", "Библиотекарь", "Librarian"),
    ("LAB", "staff", "Зертханашы", "Лаборант", "Laboratory Assistant"),
    ("EXPERT", "staff", "Сарапшы", "Эксперт", "Expert"),
]  # fmt: skip

# chair code -> (group prefix, programme)
PROGRAMMES: dict[str, tuple[str, str]] = {
    "IET-IS": ("ИС", "6B06101 Ақпараттық жүйелер"),
    "IET-CSM": ("ИНФ", "6B06102 Информатика"),
    "IET-EPH": ("ЭЭ", "6B07101 Электроэнергетика"),
    "IET-MB": ("МАШ", "6B07201 Машина жасау"),
    "AGR-AGRO": ("АГР", "6B08101 Агрономия"),
    "AGR-VET": ("ВЕТ", "6B09101 Ветеринариялық медицина"),
    "AGR-FOOD": ("ТПП", "6B07202 Тамақ өнімдерінің технологиясы"),
    "ECO-EC": ("ЭК", "6B04101 Экономика"),
    "ECO-FIN": ("ФИН", "6B04102 Қаржы"),
    "ECO-MGT": ("МЕН", "6B04103 Менеджмент"),
    "PED-PP": ("ПП", "6B01101 Педагогика және психология"),
    "PED-PE": ("ФК", "6B01401 Дене шынықтыру және спорт"),
    "PED-PRIM": ("НО", "6B01301 Бастауыш оқытудың педагогикасы мен әдістемесі"),
    "HUM-KZ": ("КФ", "6B01701 Қазақ тілі мен әдебиеті"),
    "HUM-RU": ("РФ", "6B01702 Орыс тілі мен әдебиеті"),
    "HUM-FL": ("ИЯ", "6B01703 Шетел тілі: екі шетел тілі"),
    "HUM-HIS": ("ИСТ", "6B01601 Тарих"),
    "LAW-CIV": ("ЮР", "6B04201 Құқықтану"),
    "LAW-CRIM": ("ПО", "6B04202 Құқық қорғау қызметі"),
}

KAZAKH_MALE = [
    "Ерлан", "Нұрлан", "Асқар", "Дәурен", "Ерболат", "Қайрат", "Мұрат", "Бауыржан",
    "Әділет", "Ғалым", "Жандос", "Айбек", "Нұрсұлтан", "Ерасыл", "Темірлан", "Әлихан",
    "Санжар", "Ерұлан", "Мұхтар", "Талғат", "Серік", "Бекзат", "Ілияс", "Азамат", "Қуаныш",
    "Еркебұлан", "Жасұлан", "Өркен", "Төлеген", "Шыңғыс", "Үсен", "Жиһан", "Арман", "Дархан",
]  # fmt: skip
KAZAKH_FEMALE = [
    "Айгүл", "Гүлнұр", "Әйгерім", "Динара", "Жанар", "Меруерт", "Аружан", "Сәуле",
    "Гүлмира", "Ақбота", "Назерке", "Балнұр", "Мөлдір", "Жұлдыз", "Томирис", "Дана", "Айым",
    "Іңкәр", "Ұлжан", "Гүлжан", "Әсел", "Салтанат", "Аяулым", "Қарлығаш", "Перизат",
    "Жиһанша", "Шынар", "Күләш", "Ботагөз",
]  # fmt: skip
# Male forms; the female form adds "а" to -ов/-ев/-ин.
KAZAKH_SURNAMES = [
    "Әбілов", "Жұмабаев", "Сейітов", "Қасымов", "Нұрғалиев", "Омаров", "Тоқтаров",
    "Бекмұхамбетов", "Ахметов", "Серікбаев", "Құрманов", "Мұқанов", "Ысқақов", "Әлиев",
    "Жақыпов", "Төлеуов", "Иманғалиев", "Байтұрсынов", "Оспанов", "Сәрсенбаев", "Үмбетов",
    "Шаһанов", "Жаңабаев", "Теңізбаев", "Өтепов", "Күзембаев", "Ізбасаров", "Қожахметов",
    "Мәлікұлы",
]  # fmt: skip
RUSSIAN_MALE = [
    "Александр", "Сергей", "Андрей", "Дмитрий", "Алексей", "Евгений", "Владимир", "Игорь",
    "Николай", "Павел", "Виктор", "Олег", "Михаил", "Иван", "Максим", "Юрий",
]  # fmt: skip
RUSSIAN_FEMALE = [
    "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Анна", "Мария",
    "Екатерина", "Юлия", "Оксана", "Людмила", "Галина", "Вера", "Дарья", "Алёна",
]  # fmt: skip
RUSSIAN_SURNAMES = [
    "Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Лебедев", "Козлов", "Никитин", "Захаров",
    "Сорокин", "Белов", "Ткаченко", "Бондаренко", "Шевченко", "Ким", "Шмидт", "Гребенюк",
]  # fmt: skip
# father's name -> (son's, daughter's) patronymic
RUSSIAN_PATRONYMICS = {
    "Александр": ("Александрович", "Александровна"),
    "Сергей": ("Сергеевич", "Сергеевна"),
    "Андрей": ("Андреевич", "Андреевна"),
    "Дмитрий": ("Дмитриевич", "Дмитриевна"),
    "Алексей": ("Алексеевич", "Алексеевна"),
    "Евгений": ("Евгеньевич", "Евгеньевна"),
    "Владимир": ("Владимирович", "Владимировна"),
    "Игорь": ("Игоревич", "Игоревна"),
    "Николай": ("Николаевич", "Николаевна"),
    "Павел": ("Павлович", "Павловна"),
    "Виктор": ("Викторович", "Викторовна"),
    "Олег": ("Олегович", "Олеговна"),
    "Михаил": ("Михайлович", "Михайловна"),
    "Иван": ("Иванович", "Ивановна"),
    "Юрий": ("Юрьевич", "Юрьевна"),
}


def female_surname(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ёв", "ин")):
        return surname + "а"
    return surname  # Ткаченко, Ким, Шмидт, Мәлікұлы do not change


def kazakh_patronymic(father: str, sex: str) -> str:
    return father + ("ұлы" if sex == "M" else "қызы")
