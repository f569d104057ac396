"""The watched inbox: HR and Platonus exports dropped in a folder are imported by the worker.

    <IMPORT_INBOX>/<source code>/students-2026-11-26.csv

Each file older than `min_age` (so that a copy still being written is left alone) becomes a
run. A clean run is applied; a run with errors, a rejected file or one stopped by the leaver
guard waits on the imports page for a person to decide. The file then moves to `done/` or
`held/` beside it; the run keeps its own copy and checksum either way.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings

from tirek.people.imports import services
from tirek.people.imports.models import ImportSource, RunStatus, RunTrigger

SUFFIXES = {".csv", ".txt", ".xlsx"}


def inbox_root() -> Path:
    default = Path(settings.MEDIA_ROOT).parent / "inbox"
    return Path(getattr(settings, "IMPORT_INBOX", None) or default)


def scan(min_age: float = 10.0) -> list[str]:
    """Import every waiting file once; returns one line per file for the job's output."""
    lines = []
    now = time.time()
    for source in ImportSource.objects.filter(is_active=True, inbox_enabled=True):
        folder = inbox_root() / source.code
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.suffix.lower() not in SUFFIXES:
                continue
            if now - path.stat().st_mtime < min_age:
                continue
            lines.append(_one(source, path))
    return lines


def _one(source: ImportSource, path: Path) -> str:
    run = services.upload(
        None, source, path.read_bytes(), filename=path.name, trigger=RunTrigger.INBOX
    )
    outcome = run.status
    if run.status == RunStatus.READY:
        try:
            run = services.apply_run(None, run)
            outcome = run.status
        except services.ImportRefused as exc:  # the data changed between dry run and apply
            outcome = f"refused ({exc.code})"
    target = path.parent / ("done" if run.status == RunStatus.APPLIED else "held")
    target.mkdir(exist_ok=True)
    path.replace(target / f"{run.pk}-{path.name}")
    return f"{source.code}/{path.name}: run {run.pk} {outcome}"
