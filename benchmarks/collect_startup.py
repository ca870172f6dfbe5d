"""First offline start of the enumerator app in headless Chromium (Debian's, via Playwright).

Serves the real app on 127.0.0.1 over a fresh SQLite store holding the demo operation (Somalia
boundaries, 240 sites) and the bundled form, signs in once online (service worker installed,
forms and sites in IndexedDB), then goes offline and measures, several times each:

* reload: `page.reload()` offline until the site list of the home screen is usable;
* restart: a new browser on the same profile, offline, from `goto /collect/` until usable
  (browser launch itself excluded).

Prints the medians and their ratio to the 2 s target (below 1 is better).

    .venv/bin/python -m benchmarks.collect_startup [--repeat N]
"""

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from dtm import create_app
from dtm.demo import load_demo
from dtm.extensions import db
from tests.collect.browser import CHROMIUM, launch_options, sign_in

TARGET_SECONDS = 2.0
READY = "[data-site]"


def serve(folder: Path):
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{folder / 'dtm.sqlite'}", "INSTANCE_PATH": str(folder)}
    )
    with app.app_context():
        upgrade()
        credentials = load_demo(db.session)  # boundaries, 240 sites, the bundled form, users
        db.session.commit()
    enumerator = next(c for c in credentials if c.role == "enumerator")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}", enumerator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if not CHROMIUM:
        raise SystemExit("Chromium not found: apt-get install chromium, or set CHROMIUM_PATH")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server, base, enumerator = serve(folder)
        profile = folder / "profile"
        reloads, restarts = [], []
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(str(profile), **launch_options())
            page = context.pages[0] if context.pages else context.new_page()
            sign_in(page, base, enumerator.username, enumerator.password)
            sites = page.locator(READY).count()
            context.set_offline(True)
            for _ in range(args.repeat):
                start = time.perf_counter()
                response = page.reload()
                page.locator(READY).first.wait_for()
                reloads.append(time.perf_counter() - start)
                assert response.from_service_worker
            context.close()
            for _ in range(args.repeat):
                context = p.chromium.launch_persistent_context(
                    str(profile), offline=True, **launch_options()
                )
                page = context.pages[0] if context.pages else context.new_page()
                start = time.perf_counter()
                response = page.goto(base + "/collect/")
                page.locator(READY).first.wait_for()
                restarts.append(time.perf_counter() - start)
                assert response.from_service_worker
                context.close()
        server.shutdown()
    for name, runs in (("offline reload", reloads), ("offline restart", restarts)):
        median = statistics.median(runs)
        print(
            f"{name:16} median {median * 1000:7.0f} ms over {len(runs)} runs "
            f"(min {min(runs) * 1000:.0f}, max {max(runs) * 1000:.0f}); "
            f"ratio to the {TARGET_SECONDS:.0f} s target {median / TARGET_SECONDS:.2f}"
        )
    print(f"home screen listing {sites} of 240 sites (the list shows at most 30)")


if __name__ == "__main__":
    main()
