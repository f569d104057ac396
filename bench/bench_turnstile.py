"""Turnstile API under load: gunicorn with 2 workers, concurrent gates posting scanned codes.

    .venv/bin/python bench/bench_turnstile.py [--cards 300] [--seconds 15] [--clients 10] [--runs 3]

Builds a throw-away SQLite database (the default deployment) in a temporary directory with
`--cards` students and their cards (a tenth of them revoked), registers a turnstile device, then
runs gunicorn with 2 workers on 127.0.0.1 and `--clients` keep-alive HTTP clients (threads, on the
same machine) that POST codes to /api/v1/cards/turnstile/ with the device token for `--seconds`
seconds: static card codes, 30-second phone codes and a few forged ones. Prints requests/s and
p50/p99 latency per run and their medians. The goal is p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="bench-turnstile-"))


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tirek.settings",
        "TIREK_VAR_DIR": str(TMP),
        "DATABASE_URL": f"sqlite:///{TMP}/bench.sqlite3",
        # Keep each worker's database connection (as docs/deploy.md recommends in production).
        "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "60"),
        "DEBUG": "false",
        "TASKS_BACKEND": "immediate",
    }


def build(count: int) -> tuple[str, list[str]]:
    os.environ.update(env())
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    from tirek.cards import services, tokens
    from tirek.people import services as people

    unit = people.create_unit(None, code="CH", name_kk="Кафедра", kind="chair")
    for i in range(count):
        person = people.create_person(
            None, last_name=f"Студент{i}", first_name="Тест", last_name_latin=f"Student{i}"
        )
        people.add_affiliation(
            None, person, kind="student", unit=unit, group="BENCH-1", programme="6B06101 IS"
        )
    cards = services.issue_bulk(None, group="BENCH-1")
    for card in cards[: len(cards) // 10]:
        services.revoke(None, card, "lost")
    _, raw = services.register_turnstile(None, "Gate 1", "Main building")
    codes = [tokens.qr_text(bytes(c.token)) for c in cards]
    codes += [tokens.qr_text(tokens.live_token(c)) for c in cards[-50:]]
    forged = bytearray(bytes(cards[-1].token))
    forged[-1] ^= 1
    codes += [tokens.qr_text(bytes(forged))] * 5
    return raw, codes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "tirek.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env(),
        start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def load(
    url: str, token: str, codes: list[str], clients: int, seconds: float, rate: float = 0
) -> dict:
    """POST random codes to `url`; with no codes, GET it (the floor: /healthz)."""
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)
    headers = {"Authorization": f"Device {token}"}
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = [0.0]

    def run(seed: int) -> None:
        mine, bad = [], 0
        rng = random.Random(seed)
        gap = 1 / rate if rate else 0.0
        with httpx.Client(headers=headers, timeout=30) as client:
            due = time.perf_counter() + rng.random() * gap
            while time.perf_counter() < stop[0]:
                if gap:  # a gate that scans `rate` codes a second, not a saturating loop
                    time.sleep(max(0.0, due - time.perf_counter()))
                    due += gap
                t0 = time.perf_counter()
                if codes:
                    response = client.post(url, json={"code": rng.choice(codes)})
                else:
                    response = client.get(url)
                mine.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    bad += 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    with httpx.Client(headers=headers, timeout=120) as warm:
        for code in codes[:20] or [""] * 20:
            (warm.post(url, json={"code": code}) if code else warm.get(url)).raise_for_status()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    stop[0] = began + seconds
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "errors": errors[0],
    }


WRK_SCRIPT = """
local codes = {%(codes)s}
local i = 0
wrk.method = "%(method)s"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Device %(token)s"
request = function()
  if #codes == 0 then return wrk.format() end
  i = i %% #codes + 1
  return wrk.format(nil, nil, nil, '{"code":"' .. codes[i] .. '"}')
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%f %%f %%f %%d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def load_wrk(url: str, token: str, codes: list[str], clients: int, seconds: float) -> dict:
    """The same load from wrk (C, one thread): the generator takes far less of the two cores
    than Python threads, so the server's own latency shows (wrk is Debian's package `wrk`)."""
    import tempfile

    script = WRK_SCRIPT % {
        "codes": ", ".join(f'"{c}"' for c in codes),
        "method": "POST" if codes else "GET",
        "token": token,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    out = subprocess.run(  # noqa: S603
        ["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "-s", f.name, url],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    os.unlink(f.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    rps, p50, p99, errors = line.split()[1:]
    return {"rps": float(rps), "p50": float(p50), "p99": float(p99), "errors": int(errors)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--rate", type=float, default=0, help="scans a second per client (0: as fast as possible)"
    )
    parser.add_argument(
        "--generator",
        choices=["python", "wrk"],
        default="python",
        help="load generator: Python threads (default) or wrk (saturating only)",
    )
    args = parser.parse_args()
    token, codes = build(args.cards)
    port = free_port()
    server = start_gunicorn(port)
    url = f"http://127.0.0.1:{port}/api/v1/cards/turnstile/"
    try:
        pace = f"{args.rate:g} scans/s each" if args.rate else "saturating"
        print(f"{args.clients} clients ({pace}), gunicorn 2 workers, SQLite, {len(codes)} codes")
        # The floor in the same run: /healthz goes through the same middleware and one query.
        floor = f"http://127.0.0.1:{port}/healthz"
        medians = {}
        for name, target, body in (("healthz (floor)", floor, []), ("turnstile", url, codes)):
            results = []
            for n in range(args.runs):
                if args.generator == "wrk":
                    r = load_wrk(target, token, body, args.clients, args.seconds)
                else:
                    r = load(target, token, body, args.clients, args.seconds, args.rate)
                results.append(r)
                print(
                    f"{name} run {n + 1}: {r['rps']:7.0f} req/s  p50 {r['p50']:5.1f} ms  "
                    f"p99 {r['p99']:5.1f} ms  errors {r['errors']}"
                )
            medians[name] = {
                k: statistics.median(r[k] for r in results) for k in ("rps", "p50", "p99")
            }
        for name, m in medians.items():
            print(
                f"median {name}: {m['rps']:.0f} req/s, p50 {m['p50']:.1f} ms, p99 {m['p99']:.1f} ms"
            )
        ratio = medians["turnstile"]["rps"] / medians["healthz (floor)"]["rps"]
        print(f"turnstile req/s = {ratio:.0%} of the floor's; goal p99 < 20 ms")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
