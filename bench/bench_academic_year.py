"""Benchmark: a new academic year — 3,000 new students from import to accounts (issue 5).

    .venv/bin/python bench/bench_academic_year.py [--existing 2000] [--new 3000] [--repeat 3]

Builds a fresh SQLite database with 40 chairs, `--existing` students already loaded, and five
birthright policies for students: the university directory (LDAP, a real slapd started by the
script) and four manual systems (Platonus, DSpace, IRBIS64+, KABIS, switched to the manual
connector here so that no outside system is called). Then, per repeat, in a fresh process on a
fresh copy of the database and a fresh slapd, it imports a Platonus snapshot with `--new` more
students and measures each stage with one worker:

  upload      the dry run: read, validate and compare the file
  apply       write people and affiliations, one lifecycle event per joiner
  policies    the policies subscriber: accounts, grants, operations, one-time passwords
  cards       the cards subscriber (a draft card per joiner), timed apart
  ldap        the worker's code path runs every LDAP operation against slapd
  manual      the manual-work collector makes the work items

Prints the median of the repeats, the share of each stage, and the goal (< 60 s end to end).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UNITS = [f"CH-{n:02d}" for n in range(40)]
MANUAL = ["platonus", "dspace", "irbis64", "kabis"]
STAGES = ["upload", "apply", "policies", "cards", "ldap", "manual"]


def setup_django(workdir: Path) -> None:
    from bench_import import setup_django as setup_like_the_import_bench  # this directory

    os.environ["TASKS_BACKEND"] = "immediate"
    setup_like_the_import_bench(workdir)


def snapshot(count: int) -> bytes:
    from tirek.people.tests.files import student, to_csv

    return to_csv(
        [student(n, unit=UNITS[n % len(UNITS)], group=f"ИС-25-{n % 30 + 1}") for n in range(count)]
    )


def build(workdir: Path, existing: int, new: int) -> None:
    setup_django(workdir)
    from bench_import import university  # this directory

    from tirek.access.models import System, SystemRole
    from tirek.people import events
    from tirek.people.imports import services
    from tirek.policies.models import Policy

    source = university()
    events._subscribers.clear()  # last year's students are the scene, not the measure
    run = services.upload(None, source, snapshot(existing), filename="last-year.csv")
    services.apply_run(None, run)
    System.objects.filter(code__in=MANUAL).update(connector_kind="manual")
    roles = {
        "ldap": "students",
        "platonus": "student",
        "dspace": "submitter",
        "irbis64": "reader",
        "kabis": "reader",
    }
    for system, role in roles.items():
        target = SystemRole.objects.filter(system__code=system, code=role).first()
        if target is None:  # the catalogue names it differently: take the system's first role
            target = SystemRole.objects.filter(system__code=system).order_by("pk").first()
        Policy.objects.create(
            name=f"Students: {system}", role=target, affiliation_kinds=["student"]
        )
    (workdir / "new-year.csv").write_bytes(snapshot(existing + new))


def profiled(stage: str, subscriber, batch) -> None:
    """Run a subscriber on the batch; with BENCH_PROFILE=<stage>, its profile goes to stderr."""
    if os.environ.get("BENCH_PROFILE") != stage:
        subscriber(batch)
        return
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.runcall(subscriber, batch)
    pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)


def measure(workdir: Path, slapd_uri: str, password: str, base: str, groups: str) -> None:
    os.environ["TIREK_BENCH_LDAP_PW"] = password
    setup_django(workdir)
    from tirek.access import operations
    from tirek.access.models import Operation, OperationStatus, System
    from tirek.cards import lifecycle as cards_lifecycle
    from tirek.manualwork import services as manual
    from tirek.manualwork.models import WorkItem
    from tirek.people import events
    from tirek.people.imports import services
    from tirek.people.imports.models import ImportSource
    from tirek.policies import lifecycle as policies_lifecycle

    System.objects.filter(code="ldap").update(
        connector_settings={
            "uri": slapd_uri,
            "bind_dn": "cn=admin,dc=ksu,dc=edu,dc=kz",
            "secret_env": "TIREK_BENCH_LDAP_PW",
            "base_dn": base,
            "groups_dn": groups,
        },
        max_per_minute=0,
        max_concurrency=64,
    )
    source = ImportSource.objects.get(code="platonus")
    data = (workdir / "new-year.csv").read_bytes()
    events._subscribers.clear()
    t = {}
    start = time.perf_counter()
    run = services.upload(None, source, data, filename="new-year.csv")
    t["upload"] = time.perf_counter() - start
    mark = time.perf_counter()
    run = services.apply_run(None, run)
    t["apply"] = time.perf_counter() - mark
    batch = list(run.events.select_related("person", "affiliation"))
    mark = time.perf_counter()
    profiled("policies", policies_lifecycle.on_events, batch)
    t["policies"] = time.perf_counter() - mark
    mark = time.perf_counter()
    profiled("cards", cards_lifecycle.on_events, batch)
    t["cards"] = time.perf_counter() - mark
    mark = time.perf_counter()
    while operations.run_due("bench", time_budget=600).total:
        pass
    t["ldap"] = time.perf_counter() - mark
    mark = time.perf_counter()
    while manual.collect()["created"]:
        pass
    t["manual"] = time.perf_counter() - mark
    ldap_ops = Operation.objects.filter(system__code="ldap")
    print(
        json.dumps(
            {
                "times": t,
                "joiners": len(batch),
                "ldap_done": ldap_ops.filter(status=OperationStatus.DONE).count(),
                "ldap_other": ldap_ops.exclude(status=OperationStatus.DONE).count(),
                "work_items": WorkItem.objects.count(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--existing", type=int, default=2000)
    parser.add_argument("--new", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--phase", choices=["build", "measure"])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--ldap", nargs=4)
    args = parser.parse_args()
    if args.phase == "build":
        return build(args.workdir, args.existing, args.new)
    if args.phase == "measure":
        return measure(args.workdir, *args.ldap)

    from tirek.testing.slapd import Slapd

    base = Path(tempfile.mkdtemp(prefix="tirek-bench-year-"))
    me = [sys.executable, __file__, "--existing", str(args.existing), "--new", str(args.new)]
    try:
        subprocess.run([*me, "--phase", "build", "--workdir", str(base)], check=True)  # noqa: S603
        results = []
        for i in range(args.repeat):
            work = base / f"r{i}"
            work.mkdir()
            shutil.copy(base / "bench.sqlite3", work / "bench.sqlite3")
            shutil.copy(base / "new-year.csv", work / "new-year.csv")
            slapd = Slapd().start()
            try:
                ldap_args = [slapd.uri, slapd.admin_password, slapd.people_dn, slapd.groups_dn]
                out = subprocess.run(  # noqa: S603 (this script, by its own path)
                    [*me, "--phase", "measure", "--workdir", str(work), "--ldap", *ldap_args],
                    check=True,
                    stdout=subprocess.PIPE,
                    text=True,
                ).stdout
            finally:
                slapd.stop()
                slapd.cleanup()
            result = json.loads(out.strip().splitlines()[-1])
            results.append(result)
            stages = ", ".join(f"{k} {v:.1f} s" for k, v in result["times"].items())
            print(f"run {i + 1}: {stages}")
        first = results[0]
        print(
            f"\n{first['joiners']} joiners; LDAP operations done {first['ldap_done']} "
            f"(not done {first['ldap_other']}); manual work items {first['work_items']}"
        )
        medians = {s: statistics.median(r["times"][s] for r in results) for s in STAGES}
        pipeline = sum(v for k, v in medians.items() if k != "cards")
        for stage in STAGES:
            share = "" if stage == "cards" else f"{100 * medians[stage] / pipeline:5.1f} %"
            print(f"{stage:9s} {medians[stage]:7.2f} s  {share}")
        print(f"end to end (without cards): {pipeline:.1f} s  (goal < 60 s: {pipeline < 60})")
        print(f"with the cards subscriber : {pipeline + medians['cards']:.1f} s")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
