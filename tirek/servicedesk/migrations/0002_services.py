"""The university's systems that tickets are about (a later access.System may replace them)."""

from django.db import migrations

SERVICES = [
    # code, Kazakh, Russian, English
    ("platonus", "Platonus", "Platonus", "Platonus"),
    ("arta-synergy", "Arta Synergy", "Arta Synergy", "Arta Synergy"),
    ("rating", "Рейтинг", "Рейтинг", "Rating"),
    ("irbis64", "ИРБИС64+", "ИРБИС64+", "IRBIS64+"),
    ("kabis", "КАБИС", "КАБИС", "KABIS"),
    ("ojs", "OJS 3 (журналдар)", "OJS 3 (журналы)", "OJS 3 (journals)"),
    ("dspace", "DSpace (репозиторий)", "DSpace (репозиторий)", "DSpace (repository)"),
    ("bigbluebutton", "BigBlueButton", "BigBlueButton", "BigBlueButton"),
    ("hr", "Кадр жүйесі", "Кадровая система", "HR system"),
    ("perco", "PERCo (өткізу жүйесі)", "PERCo (СКУД)", "PERCo (access control)"),
    ("eotinish", "eOtinish", "eOtinish", "eOtinish"),
    ("mail", "Яндекс 360 пошта", "Почта Яндекс 360", "Yandex 360 mail"),
    ("ldap", "LDAP/AD (есептік жазбалар)", "LDAP/AD (учётные записи)", "LDAP/AD (accounts)"),
    ("website", "Университет сайты", "Сайт университета", "University website"),
    ("other", "Басқа", "Другое", "Other"),
]


def load(apps, schema_editor):
    Service = apps.get_model("servicedesk", "Service")
    for position, (code, kk, ru, en) in enumerate(SERVICES, start=1):
        Service.objects.update_or_create(
            code=code,
            defaults={"name_kk": kk, "name_ru": ru, "name_en": en, "position": position * 10},
        )


def unload(apps, schema_editor):
    Service = apps.get_model("servicedesk", "Service")
    Service.objects.filter(code__in=[s[0] for s in SERVICES], tickets__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
