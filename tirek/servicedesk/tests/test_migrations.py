"""The move from the desk's own Service model to access.System keeps every ticket's system."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("servicedesk", "0003_queue_indexes"), ("access", "0003_operation_waits")]
AFTER = [("servicedesk", "0004_sdfeat_systems")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_services_are_mapped_to_systems_by_code():
    # Rows are made here, not taken from the data migrations: an earlier transactional test
    # may have flushed them.
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Service, Ticket, Team = (old.get_model("servicedesk", m) for m in ("Service", "Ticket", "Team"))
    user_model = old.get_model(*_user_model_label())
    user = user_model.objects.create(username="migr")
    team = Team.objects.create(name="Library")
    kabis = Service.objects.get_or_create(code="kabis", defaults={"name_kk": "КАБИС"})[0]
    team.services.add(kabis)
    mail = Service.objects.get_or_create(code="mail", defaults={"name_kk": "Yandex 360 mail"})[0]
    lab = Service.objects.create(code="lab-cluster", name_kk="Кластер", name_en="Lab cluster")
    other = Service.objects.get_or_create(code="other", defaults={"name_kk": "Other"})[0]
    numbers = {}
    for i, service in enumerate((kabis, mail, lab, other), start=1):
        t = Ticket.objects.create(
            number=f"TKT-MIG-{i}", kind="incident", status="new", requester=user,
            subject="x", service=service, opened_at="2026-11-23T10:00:00+05:00",
        )  # fmt: skip
        numbers[service.code] = t.number

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Ticket = new.get_model("servicedesk", "Ticket")
    SystemProfile = new.get_model("servicedesk", "SystemProfile")
    system_of = {code: Ticket.objects.get(number=n).system for code, n in numbers.items()}
    assert system_of["kabis"].code == "kabis"
    assert system_of["mail"].code == "yandex360"  # aliased
    assert system_of["lab-cluster"].code == "lab-cluster"  # unmapped: kept as a new system
    assert system_of["lab-cluster"].name_en == "Lab cluster"
    assert system_of["other"] is None  # "other" is no system
    profile = SystemProfile.objects.get(system__code="kabis")
    assert profile.team.name == "Library"
    assert SystemProfile.objects.filter(system__code="website").exists()
    Ticket.objects.filter(number__startswith="TKT-MIG-").delete()


def _user_model_label() -> tuple[str, str]:
    from django.conf import settings

    app, model = settings.AUTH_USER_MODEL.split(".")
    return app, model
