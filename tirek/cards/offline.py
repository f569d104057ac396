"""What the verify page's service worker keeps for offline use.

The page's ES modules import each other by relative path (cborg from npm too), so the list of
files to keep is the import closure of cards/verify-page.js, read from the static files once per
process. The worker's cache name carries a digest of those files: a changed script changes the
worker, which makes phones fetch everything again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import posixpath
import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.templatetags.static import static

ENTRY = "cards/verify-page.js"
WORKER = Path(__file__).with_name("service_worker.js")
# Loaded by the page besides the modules (base.html's styles and scripts, the QR reader).
PAGE_ASSETS = (
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "tirek/tirek.css",
    "tirek/favicon.svg",
    "vendor/htmx/htmx.min.js",
    "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "vendor/jsqr/jsQR.js",
)
IMPORT_RE = re.compile(r"""^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.{1,2}/[^'"]+)['"]""", re.M)


def _read(path: str) -> bytes:
    found = finders.find(path)
    if found:
        with open(found, "rb") as fh:
            return fh.read()
    with staticfiles_storage.open(path) as fh:  # production without node_modules
        return fh.read()


@functools.cache
def _modules() -> tuple[tuple[str, ...], str]:
    """(module paths in import order, digest of every file the worker keeps)."""
    seen: list[str] = []
    digest = hashlib.sha256()
    todo = [ENTRY]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        text = _read(path)
        digest.update(path.encode() + b"\0" + text)
        for target in IMPORT_RE.findall(text.decode()):
            todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), target)))
    for path in PAGE_ASSETS:
        digest.update(path.encode() + b"\0" + _read(path))
    return tuple(seen), digest.hexdigest()[:16]


def worker_config(shell_url: str) -> dict:
    modules, version = _modules()
    # The entry module is loaded by its {% static %} URL (hashed in production); the modules it
    # imports by relative path resolve to the plain names, which collectstatic keeps as well.
    urls = [static(ENTRY)]
    urls += [settings.STATIC_URL.rstrip("/") + "/" + path for path in modules]
    urls = [url if url.startswith("/") else "/" + url for url in urls]
    urls += [static(path) for path in PAGE_ASSETS]
    return {
        "cache": f"tirek-verify-{version}",
        "shell": shell_url,
        "scope": shell_url,
        "assets": sorted(set(urls)),
    }


def worker_source(shell_url: str) -> str:
    config = json.dumps(worker_config(shell_url))
    return f"const CONFIG = {config}\n" + WORKER.read_text()
