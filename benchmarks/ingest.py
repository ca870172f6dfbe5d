"""Ingest throughput through the HTTP sync endpoint, end to end.

Starts a real server (gunicorn, one worker) in a subprocess on a fresh store (Somalia
boundaries and the bundled form), then one client posts batches of 500 valid assessments:
validation, dedupe, locating and storing included. Three passes per repetition:

* new sites: every item creates its site (a first round);
* existing sites: the next round for the same sites;
* duplicates: the second pass sent again (every item answers `duplicate`).

Before the clock starts, two rounds for 500 other sites warm the server up (see `warm_up`).

Target: 5,000 items/s or more on SQLite. Reference: ODK Central's backend on this machine
sustained about 143 submissions/s with one client (94/s with 8).

    .venv/bin/python -m benchmarks.ingest [--backend sqlite|postgis] [--sites N] [--repeat R]
                                          [--clients C] [--workers W]

With `--clients 2 --workers 2` two uploaders send their share of the batches at the same
time to two gunicorn workers (the machine has 2 cores): on SQLite, items are validated
outside the write lock, so one worker validates while the other writes.

PostGIS needs a server on 127.0.0.1:5432 (user postgres); the benchmark creates and drops
its own database, `dtm_bench_ingest` unless `--database NAME` says otherwise (not the
exports benchmark's `dtm_bench`, which takes long to fill and is kept between runs).
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.machine import describe  # noqa: E402
from benchmarks.openrosa import worker_cpu_seconds  # noqa: E402
from dtm.demo.assessments import DemoSite, demo_items, demo_rounds  # noqa: E402

BATCH = 500
ODK_CENTRAL_ONE_CLIENT = 143


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgis"], default="sqlite")
    parser.add_argument("--sites", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=1, help="concurrent uploaders")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn worker processes")
    parser.add_argument(
        "--database",
        default="dtm_bench_ingest",
        help="PostGIS only: the database to create and drop (every run starts empty)",
    )
    args = parser.parse_args()

    rates = {"new sites": [], "existing sites": [], "duplicates": []}
    cpu = {name: [] for name in rates}  # the app server's CPU seconds per item
    for repetition in range(args.repeat):
        with Server(args.backend, args.workers, args.database) as server:
            first, second = make_rounds(server, args.sites, seed=repetition)
            warm_up(server, args.workers, seed=1000 + repetition)
            for name, items, expected in (
                ("new sites", first, "created"),
                ("existing sites", second, "created"),
                ("duplicates", second, "duplicate"),
            ):
                before = worker_cpu_seconds(server.process)
                rates[name].append(post_concurrently(server, items, expected, args.clients))
                cpu[name].append((worker_cpu_seconds(server.process) - before) / len(items))
    print(
        f"backend: {args.backend}; {args.sites:,} items per pass in batches of {BATCH}; "
        f"{args.clients} client(s), {args.workers} gunicorn worker(s); "
        f"{args.repeat} repetitions (fresh store each); load average "
        f"{os.getloadavg()[0]:.1f}; {describe()}"
    )
    for name, values in rates.items():
        median = statistics.median(values)
        per_item = statistics.median(cpu[name])
        print(
            f"{name:>15}: median {median:>8,.0f} items/s  "
            f"(runs: {', '.join(f'{v:,.0f}' for v in values)}; "
            f"{median / ODK_CENTRAL_ONE_CLIENT:.0f}x ODK Central's 143/s); "
            f"app server CPU {per_item * 1e6:,.0f} µs per item = "
            f"{1 / per_item:,.0f} items/s per core"
        )
    if args.backend == "postgis":
        print("(PostGIS: the CPU figure is gunicorn's alone; PostgreSQL's own work is not in it)")
        return  # the target is SQLite's; PostGIS is measured beside it, not held to it
    slowest = min(statistics.median(rates["new sites"]), statistics.median(rates["existing sites"]))
    print(
        "target 5,000 items/s (SQLite, valid items, new and existing sites): "
        + ("met" if slowest >= 5000 else "NOT met")
    )


def warm_up(server, workers: int, seed: int) -> None:
    """Two rounds for 500 other sites, sent before the clock starts, in small batches so
    that every worker gets some. A fresh worker's first batches pay about 100 ms of
    one-off setup (SQLAlchemy's mappers, the locator's index, statement compilation): a
    long-running server pays it once, not once per 5,000 items."""
    first, second = make_rounds(server, BATCH, seed=seed)
    size = BATCH // (4 * workers)
    for items in (first, second):
        for i in range(0, len(items), size):
            post_all(server, items[i : i + size], "created")


def make_rounds(server, count: int, seed: int):
    """Two rounds of valid assessments for `count` synthetic sites inside Somalia."""
    import geopandas as gpd
    import shapely

    from tests.support import SOMALIA_ADM2

    districts = gpd.read_file(SOMALIA_ADM2)
    parents = dict(zip(districts.ADM2_PCODE, districts.ADM1_PCODE, strict=True))
    rng = np.random.default_rng(seed)
    sites = []
    geoms = list(districts.geometry)
    for n in range(count):
        k = int(rng.integers(len(geoms)))
        point = geoms[k].representative_point()
        lon = point.x + float(rng.normal(0, 0.01))
        lat = point.y + float(rng.normal(0, 0.01))
        if not shapely.contains_xy(geoms[k], lon, lat):
            lon, lat = point.x, point.y
        sites.append(
            DemoSite(
                f"B{seed}-{n:06d}",
                f"Bench site {n}",
                "camp",
                lon,
                lat,
                districts.ADM1_PCODE[k],
                districts.ADM2_PCODE[k],
            )
        )
    rounds = demo_rounds(2)
    items = demo_items(sites, rounds, parents, server.form_version, seed=seed)
    return items[0], items[1]


def post_concurrently(server, items: list[dict], expected: str, clients: int) -> float:
    """Items per second with `clients` uploaders, each sending every clients-th batch."""
    if clients == 1:
        return post_all(server, items, expected)
    batches = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
    shares = [[item for batch in batches[k::clients] for item in batch] for k in range(clients)]
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda share: post_all(server, share, expected), shares))
    return len(items) / (time.perf_counter() - start)


def post_all(server, items: list[dict], expected: str) -> float:
    bodies = [
        json.dumps(
            {"device_id": "bench", "sent_at": "2026-11-23T08:00:00Z", "items": items[i : i + BATCH]}
        ).encode()
        for i in range(0, len(items), BATCH)
    ]
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    start = time.perf_counter()
    for body in bodies:
        connection.request(
            "POST",
            "/api/v1/sync/submissions",
            body=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {server.token}"},
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}: {answer}")
        wrong = [r for r in answer["results"] if r["status"] != expected]
        if wrong:
            raise SystemExit(f"expected {expected}, got {wrong[0]}")
    elapsed = time.perf_counter() - start
    connection.close()
    return len(items) / elapsed


class Server:
    """A fresh store and a gunicorn worker serving it on a free port."""

    def __init__(self, backend: str, workers: int = 1, database: str = "dtm_bench_ingest"):
        self.backend = backend
        self.database = database
        self.workers = workers
        self.folder = Path(tempfile.mkdtemp(prefix="dtm-bench-"))

    def __enter__(self):
        if self.backend == "sqlite":
            url = f"sqlite:///{self.folder / 'bench.sqlite'}"
        else:
            url = f"postgresql://postgres@127.0.0.1:5432/{self.database}"
            _psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            _psql(f'CREATE DATABASE "{self.database}"')
            _psql("CREATE EXTENSION postgis", database=self.database)
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-only",
            "DTM_SYNC_MAX_BYTES": str(32 * 1024 * 1024),
        }
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]

        def run(*arguments):
            return subprocess.run(
                [*flask, *arguments],
                cwd=REPO,
                env=self.env,
                check=True,
                capture_output=True,
                text=True,
            )

        run("db", "upgrade")
        from tests.support import SOMALIA_ADM1, SOMALIA_ADM2

        run("boundaries", "import", str(SOMALIA_ADM1), "--level", "1")
        run("boundaries", "import", str(SOMALIA_ADM2), "--level", "2")
        published = run("forms", "publish", "--bundled").stdout
        self.form_version = published.split("version ")[1].split(":")[0]
        run("users", "create", "bench", "--role", "enumerator", "--no-password")
        self.token = run("tokens", "issue", "bench").stdout.strip()
        self.port = _free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(self.workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "300",
                "wsgi:app",
            ],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.backend == "postgis":
            _psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def _psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-q", "-c", sql],
        check=True,
        capture_output=True,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    main()
