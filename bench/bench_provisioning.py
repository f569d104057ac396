"""Benchmark: onboarding new students into LDAP (and SCIM) through Tirek, against the raw tools.

    .venv/bin/python bench/bench_provisioning.py [--students 10000] [--scim-users 2000] [--repeat 3]

LDAP. A SQLite database (a file, as installed) holds the new students. Each repeat starts a
fresh slapd (the test fixture's: Debian's slapd, mdb, data on disk) for each contender, so both
write into an empty database of the same server:
  - Tirek, end to end: `access.services.onboard` (accounts, logins, one-time passwords, one
    create operation each, audited), then `access.operations.run_due`, the code the worker's
    `access.run_operations` job runs (claims, LDAP adds, results and the batch audit events);
  - raw: `ldapadd -x` of an LDIF with the same entries (same DNs and attributes, hashed
    passwords) into the same slapd.
The goal (issue 4): Tirek's time within 2x of ldapadd's.

SCIM. scim2-server runs in its own process (as a real service would); each repeat starts a
fresh one for each contender: Tirek's onboarding plus its SCIM connector, against plain httpx
POSTs of the same users.

Prints the median of the repeats and the ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(workdir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tirek.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DEBUG"] = "false"  # as in production: no query log
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_students(count: int, tag: str) -> list:
    from tirek.people.models import Person

    Person.objects.bulk_create(
        (
            Person(
                last_name=f"Студентов{i % 97}",
                first_name=f"Студент{i}",
                first_name_latin=f"Student{i}",
                last_name_latin=f"Studentov{i % 97}",
                email=f"student{i}.{tag.lower()}@ksu.edu.kz",
                platonus_id=f"{tag}{i:06d}",
            )
            for i in range(count)
        ),
        batch_size=1000,
    )
    return list(Person.objects.filter(platonus_id__startswith=tag).order_by("pk"))


def new_system(kind: str, settings: dict) -> object:
    from tirek.access.models import System

    code = f"bench{kind}{secrets.token_hex(3)}"
    return System.objects.create(
        code=code,
        name_kk=code,
        connector_kind=kind,
        connector_settings=settings,
        login_pattern="s{student_number}",
    )


def run_tirek(system, people) -> tuple[float, float, int]:
    """Onboard `people` into `system` and carry out the operations; (onboard s, execute s)."""
    from tirek.access import operations, services
    from tirek.access.models import Operation

    t0 = time.perf_counter()
    services.onboard(None, system, people)
    t1 = time.perf_counter()
    done = 0
    while True:
        outcome = operations.run_due("bench", time_budget=3600)
        done += len(outcome.done)
        if not outcome.total:
            break
        if outcome.retry or outcome.attention:
            raise SystemExit(f"operations failed: {Operation.objects.exclude(status='done')[:3]}")
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, done


# -- LDAP -----------------------------------------------------------------------------------------


def ldif_for(people, connector) -> str:
    """The entries Tirek would write, as LDIF for ldapadd (passwords hashed like Tirek's)."""
    import io

    import ldif

    from tirek.access import logins
    from tirek.connectors.base import AccountData
    from tirek.connectors.ldap import ssha

    out = io.StringIO()
    writer = ldif.LDIFWriter(out, cols=10_000)
    for person in people:
        login = logins.base_login("s{student_number}", person)
        data = AccountData(
            login=login,
            given_name=person.first_name_latin,
            family_name=person.last_name_latin,
            display_name=f"{person.first_name_latin} {person.last_name_latin}",
            email=person.email,
            person_key=f"tirek-{person.pk}",
        )
        attrs = connector._entry_attrs(data)
        attrs["userPassword"] = [ssha(secrets.token_urlsafe(12))]
        writer.unparse(connector.dn_for(login), attrs)
    return out.getvalue()


def count_entries(slapd) -> int:
    import ldap

    conn = slapd.connect()
    try:
        return len(conn.search_s(slapd.people_dn, ldap.SCOPE_ONELEVEL, "(uid=*)", ["1.1"]))
    finally:
        conn.unbind_s()


def bench_ldap(people, repeat: int, workdir: Path, nosync: bool = False) -> dict:
    from tirek.connectors.ldap import LDAPConnector
    from tirek.testing.slapd import Slapd

    results = {"ldapadd": [], "tirek": [], "onboard": [], "execute": []}
    for n in range(repeat):
        # Raw: a fresh slapd, ldapadd of the same entries.
        slapd = Slapd(nosync=nosync).start()
        try:
            settings = {"uri": slapd.uri, "base_dn": slapd.people_dn}
            path = workdir / "students.ldif"
            path.write_text(ldif_for(people, LDAPConnector(settings)))
            t0 = time.perf_counter()
            subprocess.run(  # noqa: S603 (Debian's ldapadd, fixed arguments)
                ["/usr/bin/ldapadd", "-x", "-H", slapd.uri, "-D", slapd.admin_dn, "-w",
                 slapd.admin_password, "-f", str(path)],
                check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            results["ldapadd"].append(time.perf_counter() - t0)
            assert count_entries(slapd) == len(people)
        finally:
            slapd.cleanup()
        # Tirek: a fresh slapd, a fresh system, the same people.
        slapd = Slapd(nosync=nosync).start()
        try:
            os.environ["TIREK_BENCH_LDAP_PW"] = slapd.admin_password
            system = new_system(
                "ldap",
                {
                    "uri": slapd.uri,
                    "bind_dn": slapd.admin_dn,
                    "secret_env": "TIREK_BENCH_LDAP_PW",
                    "base_dn": slapd.people_dn,
                    "groups_dn": slapd.groups_dn,
                },
            )
            onboard, execute, done = run_tirek(system, people)
            assert done == len(people), done
            assert count_entries(slapd) == len(people)
        finally:
            slapd.cleanup()
        results["onboard"].append(onboard)
        results["execute"].append(execute)
        results["tirek"].append(onboard + execute)
        print(
            f"  LDAP run {n + 1}: ldapadd {results['ldapadd'][-1]:.2f} s, Tirek "
            f"{onboard + execute:.2f} s (onboard {onboard:.2f} + execute {execute:.2f})",
            flush=True,
        )
    return results


# -- SCIM -----------------------------------------------------------------------------------------


class ScimProcess:
    def __init__(self) -> None:
        self.token = secrets.token_urlsafe(16)
        self.proc = subprocess.Popen(  # noqa: S603 (this interpreter, our own module)
            [sys.executable, "-m", "tirek.connectors.scim_server", "--token", self.token],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.url = self.proc.stdout.readline().strip()

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def scim_bodies(people) -> list[dict]:
    from tirek.access import logins
    from tirek.connectors.base import AccountData
    from tirek.connectors.scim import SCIMConnector

    conn = SCIMConnector({})
    bodies = []
    for person in people:
        data = AccountData(
            login=logins.base_login("s{student_number}", person),
            given_name=person.first_name_latin,
            family_name=person.last_name_latin,
            display_name=f"{person.first_name_latin} {person.last_name_latin}",
            email=person.email,
            person_key=f"tirek-{person.pk}",
        )
        user = conn._user(data, secrets.token_urlsafe(12))
        bodies.append(user.model_dump(mode="json", exclude_none=True, by_alias=True))
    return bodies


def bench_scim(people, repeat: int) -> dict:
    import httpx

    results = {"posts": [], "tirek": [], "execute": []}
    bodies = scim_bodies(people)
    for n in range(repeat):
        server = ScimProcess()
        try:
            headers = {
                "Authorization": f"Bearer {server.token}",
                "Content-Type": "application/scim+json",
            }
            with httpx.Client(base_url=server.url + "/", headers=headers, timeout=30) as http:
                t0 = time.perf_counter()
                for body in bodies:
                    http.post("Users", json=body).raise_for_status()
                results["posts"].append(time.perf_counter() - t0)
        finally:
            server.stop()
        server = ScimProcess()
        try:
            os.environ["TIREK_BENCH_SCIM_TOKEN"] = server.token
            system = new_system("scim", {"url": server.url, "secret_env": "TIREK_BENCH_SCIM_TOKEN"})
            onboard, execute, done = run_tirek(system, people)
            assert done == len(people), done
        finally:
            server.stop()
        results["tirek"].append(onboard + execute)
        results["execute"].append(execute)
        print(
            f"  SCIM run {n + 1}: POSTs {results['posts'][-1]:.2f} s, Tirek "
            f"{onboard + execute:.2f} s (execute {execute:.2f})",
            flush=True,
        )
    return results


def main() -> None:
    import signal

    # SIGTERM runs the cleanups (slapd and scim2-server processes) as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--scim-users", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-scim", action="store_true")
    parser.add_argument("--skip-ldap", action="store_true")
    parser.add_argument(
        "--nosync",
        action="store_true",
        help="also measure LDAP with slapd's disk syncs off (shows Tirek's own overhead)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tirek-bench-prov-") as tmp:
        workdir = Path(tmp)
        setup_django(workdir)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        med = statistics.median
        modes = [False, True] if args.nosync else [False]
        for nosync in modes if not args.skip_ldap else []:
            people = make_students(args.students, "N" if nosync else "L")
            r = bench_ldap(people, args.repeat, workdir, nosync=nosync)
            n = args.students
            what = "slapd without disk syncs" if nosync else "default slapd (mdb, syncs)"
            print(
                f"LDAP, {n} new students, {what}, median of {args.repeat}:\n"
                f"  ldapadd        {med(r['ldapadd']):7.2f} s  {n / med(r['ldapadd']):7.0f}/s\n"
                f"  Tirek          {med(r['tirek']):7.2f} s  {n / med(r['tirek']):7.0f}/s"
                f"  (onboard {med(r['onboard']):.2f} s, execute {med(r['execute']):.2f} s)\n"
                f"  ratio Tirek / ldapadd: {med(r['tirek']) / med(r['ldapadd']):.2f}"
                f"  (goal <= 2.00)",
                flush=True,
            )
        if not args.skip_scim:
            people = make_students(args.scim_users, "C")
            r = bench_scim(people, args.repeat)
            n = args.scim_users
            print(
                f"SCIM, {n} users, median of {args.repeat}:\n"
                f"  plain POSTs    {med(r['posts']):7.2f} s  {n / med(r['posts']):7.0f}/s\n"
                f"  Tirek          {med(r['tirek']):7.2f} s  {n / med(r['tirek']):7.0f}/s"
                f"  (execute only: {n / med(r['execute']):.0f} operations/s)\n"
                f"  ratio Tirek / POSTs: {med(r['tirek']) / med(r['posts']):.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
