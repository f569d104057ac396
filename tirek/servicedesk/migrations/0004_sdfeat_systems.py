"""One catalogue of systems: tickets refer to access.System; the service desk's own Service
model goes. What the desk needs per system (owning team, status page, order) moves to
SystemProfile. Existing services are mapped to systems by code (a few codes differ); a service
with no system of that code becomes a new system, so nothing is lost; "other" becomes "no
system"."""

import django.db.models.deletion
from django.db import migrations, models

# Service code -> System code where the two catalogues named a system differently.
ALIASES = {"bigbluebutton": "bbb", "mail": "yandex360"}
OTHER = "other"

# The desk's defaults for a fresh catalogue (order on lists and on the status page); "website"
# is the target of publication requests and has no account in any connector.
DEFAULT_ORDER = [
    "platonus", "arta-synergy", "rating", "irbis64", "kabis", "ojs", "dspace", "bbb", "hr",
    "perco", "eotinish", "yandex360", "ldap", "website",
]  # fmt: skip
WEBSITE = ("website", "Университет сайты", "Сайт университета", "University website")
WEBSITE_DESCRIPTION = (
    "Университеттің ресми сайты: жаңалықтар мен беттер.",
    "Официальный сайт университета: новости и страницы.",
    "The university's official website: news and pages.",
)


def _system_for(System, code, names, active=True):
    system = System.objects.filter(code=code).first()
    if system is None:
        kk, ru, en = names
        system = System.objects.create(
            code=code, name_kk=kk, name_ru=ru, name_en=en, is_active=active,
            connector_kind="manual", approval_chain=["unit_head", "owner"],
            password_policy={"length": 12, "classes": ["lower", "upper", "digit"]},
        )  # fmt: skip
    return system


def load(apps, schema_editor):
    """The desk's profiles of the default systems (also used by tests after a flush)."""
    System = apps.get_model("access", "System")
    SystemProfile = apps.get_model("servicedesk", "SystemProfile")
    website = _system_for(System, WEBSITE[0], WEBSITE[1:])
    if not website.description_en:
        website.description_kk, website.description_ru, website.description_en = (
            WEBSITE_DESCRIPTION
        )
        website.save(update_fields=["description_kk", "description_ru", "description_en"])
    for position, code in enumerate(DEFAULT_ORDER, start=1):
        system = System.objects.filter(code=code).first()
        if system is not None:
            SystemProfile.objects.get_or_create(system=system, defaults={"position": position * 10})


def forward(apps, schema_editor):
    System = apps.get_model("access", "System")
    Service = apps.get_model("servicedesk", "Service")
    SystemProfile = apps.get_model("servicedesk", "SystemProfile")
    Ticket = apps.get_model("servicedesk", "Ticket")
    for service in Service.objects.all():
        if service.code == OTHER:
            continue  # tickets about "other" keep system = NULL
        code = ALIASES.get(service.code, service.code)
        names = (service.name_kk, service.name_ru, service.name_en)
        system = _system_for(System, code, names, service.is_active)
        team = service.teams.order_by("pk").first()
        SystemProfile.objects.update_or_create(
            system=system,
            defaults={
                "position": service.position,
                "on_status_page": service.is_active,
                "team": team,
            },
        )
        Ticket.objects.filter(service=service).update(system=system)


def backward(apps, schema_editor):
    Service = apps.get_model("servicedesk", "Service")
    SystemProfile = apps.get_model("servicedesk", "SystemProfile")
    Ticket = apps.get_model("servicedesk", "Ticket")
    codes = {v: k for k, v in ALIASES.items()}
    other, _ = Service.objects.get_or_create(code=OTHER, defaults={"name_kk": "Басқа"})
    for profile in SystemProfile.objects.select_related("system", "team"):
        system = profile.system
        service, _ = Service.objects.update_or_create(
            code=codes.get(system.code, system.code),
            defaults={
                "name_kk": system.name_kk[:100],
                "name_ru": system.name_ru[:100],
                "name_en": system.name_en[:100],
                "is_active": profile.on_status_page,
                "position": profile.position,
            },
        )
        if profile.team_id:
            profile.team.services.add(service)
    for ticket in Ticket.objects.filter(system__isnull=False).select_related("system"):
        code = codes.get(ticket.system.code, ticket.system.code)
        service = Service.objects.filter(code=code).first()
        if service is None:
            service = Service.objects.create(code=code[:32], name_kk=ticket.system.name_kk[:100])
        Ticket.objects.filter(pk=ticket.pk).update(service=service)
    Ticket.objects.filter(system__isnull=True).update(service=other)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0003_operation_waits"),
        ("servicedesk", "0003_queue_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="system",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tickets",
                to="access.system",
                verbose_name="system",
            ),
        ),
        migrations.CreateModel(
            name="SystemProfile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("on_status_page", models.BooleanField(default=True, verbose_name="on the status page")),
                ("position", models.PositiveSmallIntegerField(default=100, verbose_name="order")),
                ("system", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="desk_profile", to="access.system", verbose_name="system")),
                ("team", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="systems", to="servicedesk.team", verbose_name="owning team")),
            ],
            options={
                "verbose_name": "system of the service desk",
                "verbose_name_plural": "systems of the service desk",
                "ordering": ["position", "system__code"],
            },
        ),  # fmt: skip
        migrations.RunPython(forward, backward),
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RemoveField(model_name="team", name="services"),
        migrations.RemoveField(model_name="ticket", name="service"),
        migrations.DeleteModel(name="Service"),
    ]
