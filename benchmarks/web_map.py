"""The coordinators' map of 50,000 sites in headless Chromium, on SQLite or PostGIS.

    python -m benchmarks.web_map                                      # SQLite, temp file
    python -m benchmarks.web_map --database-url postgresql://.../db   # PostGIS (emptied!)

Builds a fresh, migrated database with the Somalia admin 1 and 2 layers and 50,000 sites
over two rounds, bulk-inserted as benchmarks/summaries.py does (its `generate`), serves the
real app over HTTP on 127.0.0.1 (werkzeug, threaded, in this process) and opens /map as a
signed-in coordinator in Debian's Chromium through Playwright.

Measured, medians of --repeat runs (the machine is shared and noisy), from navigation to
"usable": every marker of the round is in the cluster tree, the clusters are drawn and the
map answers (the page sets #map-status[data-state=ready]), then a zoom-in is drawn:
* cold: a new browser context (no HTTP cache) and the server's built answer dropped, so
  the server reads the round's current assessments and builds the compact site arrays;
* warm: a new page in the same context: the browser revalidates (ETag, 304) and the server
  only checks the fingerprint;
* a filter change (site type) re-clustering the markers in the page.
Target: the map loads and is usable in under 3 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import orjson
from flask_migrate import upgrade
from werkzeug.serving import make_server

from benchmarks.summaries import generate
from dtm import create_app
from dtm.accounts import create_user
from dtm.api import maps
from dtm.extensions import db
from geodata.models import Base
from geodata.sitemap import site_map
from geodata.store import open_store
from geodata.summaries import rebuild_region_totals
from tests.collect.browser import CHROMIUM, launch_options

SITES = 50_000
ROUNDS = 2
PASSWORD = "bench-password"
READY = "#map-status[data-state=ready]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL/PostGIS URL (its tables are dropped)")
    parser.add_argument("--sites", type=int, default=SITES)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-web-map-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(folder)})
    with app.app_context():
        if url.startswith("postgresql"):
            Base.metadata.drop_all(db.engine)
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        session = db.session
        backend = open_store(session).backend
        started = time.perf_counter()
        generate(session, args.sites, args.rounds)
        rebuild_region_totals(session)
        create_user(session, "coordinator", "coordinator", PASSWORD)
        session.commit()
        print(
            f"{backend}: {args.sites:,} sites x {args.rounds} rounds generated in "
            f"{time.perf_counter() - started:.0f} s"
        )
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            body = orjson.dumps(site_map(session, args.rounds))
            timings.append(time.perf_counter() - started)
            session.rollback()
        print(
            f"server: site_map + JSON of round {args.rounds}: median "
            f"{statistics.median(timings) * 1000:.0f} ms, {len(body) / 1e6:.1f} MB"
        )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        measure_browser(base, args.repeat, args.sites)
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()
    if not args.database_url:
        shutil.rmtree(folder, ignore_errors=True)


def measure_browser(base: str, repeat: int, n_sites: int) -> None:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM:
        raise SystemExit("Chromium not found: apt-get install chromium, or set CHROMIUM_PATH")
    cold, warm, filtered = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(**launch_options())
        for _ in range(repeat):
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.set_default_timeout(120_000)
            sign_in(page, base)  # lands on a site page: nothing of the map is cached
            maps._built.clear()  # the server builds the answer again
            cold.append(open_map(page, base, n_sites))
            page.close()
            page = context.new_page()
            page.set_default_timeout(120_000)
            warm.append(open_map(page, base, n_sites))
            started = time.perf_counter()
            page.evaluate("delete window.dtmMapReady")
            page.get_by_label("Site type", exact=True).select_option("camp")
            page.wait_for_function("window.dtmMapReady !== undefined")
            filtered.append(time.perf_counter() - started)
            context.close()
        browser.close()
    for name, values in (("cold", cold), ("warm", warm), ("filter change", filtered)):
        print(
            f"browser, {name}: median {statistics.median(values):.2f} s "
            f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"
        )


def sign_in(page, base: str) -> None:
    page.goto(base + "/login?next=/sites/SO-000001")
    page.get_by_label("User name").fill("coordinator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#history")


def open_map(page, base: str, n_sites: int) -> float:
    """Seconds from navigation to a usable map: all markers clustered, then a zoom drawn."""
    started = time.perf_counter()
    page.goto(base + "/map")
    page.wait_for_selector(READY)
    ready = page.evaluate("window.dtmMapReady")
    assert ready["listed"] == n_sites, ready  # every site of the round is on the map
    # Where the time went, in ms since the page's module started (about when the page's
    # scripts had loaded): data fetched and parsed, markers made, all clustered.
    print(
        f"  page: data {ready['fetched']} ms, markers {ready['made']} ms, "
        f"clustered {ready['ms']} ms; {ready['shown']:,} of {ready['listed']:,} sites have a point"
    )
    page.locator(".leaflet-control-zoom-in").click()
    page.wait_for_selector(".leaflet-zoom-anim", state="detached")
    page.wait_for_selector(".marker-cluster")
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
