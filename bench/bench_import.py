"""Benchmark: a 20,000-row Platonus student snapshot, 5% changed and 1% leaving, on SQLite.

    .venv/bin/python bench/bench_import.py [--rows 20000] [--repeat 3]

Builds a fresh SQLite database, loads the first snapshot (all joiners), then, in a fresh
process per repeat and on a fresh copy of that database, measures the dry run (upload) and the
apply of the second snapshot: seconds, rows/s and the process's peak resident memory
(ru_maxrss: everything the process ever held, Python and Django included). Prints the median
of the repeats. The reference the issue names is the goal: dry run + apply < 10 s, < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
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
STATUSES_LEAVING = ["отчислен", "выпускник"]


def setup_django(workdir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tirek.settings")
    import django

    django.setup()


def rows_for(count: int, *, changed: float = 0.0, leaving: float = 0.0, seed: int = 7):
    from tirek.people.tests.files import student

    rng = random.Random(seed)
    out = []
    ids = list(range(count))
    leave = set(rng.sample(ids, int(count * leaving)))
    change = set(rng.sample([i for i in ids if i not in leave], int(count * changed)))
    absent = set(list(leave)[: len(leave) // 2])  # half vanish, half get a leaving status
    for n in ids:
        if n in absent:
            continue
        unit = UNITS[n % len(UNITS)]
        group = f"ИС-{22 + n % 4}-{n % 9 + 1}"
        status = "обучается"
        if n in leave:
            status = STATUSES_LEAVING[n % 2]
        if n in change:
            kind = n % 3
            if kind == 0:
                group = group + "А"
            elif kind == 1:
                unit = UNITS[(n + 1) % len(UNITS)]
        row = student(n, unit=unit, group=group, status=status)
        if n in change and n % 3 == 2:
            row[3] = row[3] + "-Мария"  # a corrected first name
        out.append(row)
    return out


def university():
    """Migrate, make the university with its 40 chairs and the Platonus student source (also
    the set-up of bench_academic_year.py); returns the source."""
    from django.core.management import call_command

    from tirek.people import services as people
    from tirek.people.imports.models import ImportSource
    from tirek.people.tests.files import STUDENT_MAPPING

    call_command("migrate", verbosity=0)
    root = people.create_unit(None, code="KRU", name_kk="Университет", kind="university")
    for code in UNITS:
        people.create_unit(None, code=code, name_kk=f"Кафедра {code}", kind="chair", parent=root)
    return ImportSource.objects.create(
        code="platonus",
        name="Platonus",
        origin="platonus",
        affiliation_kind="student",
        mapping=STUDENT_MAPPING,
    )


def build(workdir: Path, count: int) -> None:
    setup_django(workdir)
    from tirek.people import events
    from tirek.people.imports import services
    from tirek.people.tests.files import to_csv

    source = university()

    events._subscribers.clear()  # the first load only sets the scene
    started = time.perf_counter()
    run = services.upload(None, source, to_csv(rows_for(count)), filename="first.csv")
    services.apply_run(None, run)
    print(f"setup: first snapshot of {count} joiners in {time.perf_counter() - started:.1f} s")
    second = to_csv(rows_for(count, changed=0.05, leaving=0.01))
    (workdir / "second.csv").write_bytes(second)


def measure(workdir: Path) -> None:
    setup_django(workdir)
    from tirek.people import events
    from tirek.people.imports import services
    from tirek.people.imports.models import ImportSource

    source = ImportSource.objects.get(code="platonus")
    data = (workdir / "second.csv").read_bytes()
    # Subscribers of other apps (cards, accounts) run after the commit; they are timed apart.
    subscribers = list(events._subscribers)
    events._subscribers.clear()
    t0 = time.perf_counter()
    run = services.upload(None, source, data, filename="second.csv")
    t1 = time.perf_counter()
    run = services.apply_run(None, run, confirm_leavers=True)
    t2 = time.perf_counter()
    batch = list(run.events.select_related("person", "affiliation"))
    for callback in subscribers:
        events.subscribe(callback)
    events.dispatch(batch)
    t3 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"rows": run.rows, "dry": t1 - t0, "apply": t2 - t1, "peak_mb": peak_mb}
            | {"subscribers": t3 - t2, "subscriber_names": [repr(c) for c in subscribers]}
            | {"counts": run.counts, "events": run.events.count()}
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--phase", choices=["build", "measure"], default=None)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if args.phase == "build":
        return build(args.workdir, args.rows)
    if args.phase == "measure":
        return measure(args.workdir)

    base = Path(tempfile.mkdtemp(prefix="tirek-bench-"))
    try:
        me = [sys.executable, __file__, "--rows", str(args.rows)]
        subprocess.run([*me, "--phase", "build", "--workdir", str(base)], check=True)  # noqa: S603
        results = []
        for i in range(args.repeat):
            work = base / f"r{i}"
            work.mkdir()
            shutil.copy(base / "bench.sqlite3", work / "bench.sqlite3")
            shutil.copy(base / "second.csv", work / "second.csv")
            out = subprocess.run(  # noqa: S603 (this script, by its own path)
                [*me, "--phase", "measure", "--workdir", str(work)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results.append(json.loads(out.strip().splitlines()[-1]))
        rows = results[0]["rows"]
        dry = statistics.median(r["dry"] for r in results)
        apply = statistics.median(r["apply"] for r in results)
        peak = statistics.median(r["peak_mb"] for r in results)
        print(f"second snapshot: {rows} rows, counts {results[0]['counts']}")
        print(f"lifecycle events: {results[0]['events']}")
        print(f"dry run : {dry:6.2f} s  {rows / dry:8.0f} rows/s   (median of {args.repeat})")
        print(f"apply   : {apply:6.2f} s  {rows / apply:8.0f} rows/s")
        print(f"total   : {dry + apply:6.2f} s  (goal < 10 s: {dry + apply < 10})")
        subs = statistics.median(r["subscribers"] for r in results)
        print(f"after commit, subscribers {results[0]['subscriber_names']}: {subs:.2f} s")
        print(f"peak RSS: {peak:6.0f} MB  (goal < 300 MB: {peak < 300})")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
