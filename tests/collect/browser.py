"""Helpers for driving the enumerator app in Debian's Chromium through Playwright.

Shared by tests/collect/test_collect_app.py and benchmarks/collect_startup.py. Chromium is
Debian's (`apt-get install chromium`), never a Playwright download; see
../shared/reference/offline-sync.md section 3 for what works here and why these flags.
"""

import io
import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

from tests.support import REPO

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # required when running as root (CI containers)
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts" / "collect"
PASSWORD = "correct-horse"


def launch_options(**extra) -> dict:
    return {"executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS, **extra}


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/collect/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("[data-site]").first.wait_for()  # forms and sites are on the device
    # The service worker controls the page once it has precached the app.
    wait_until(
        page, "navigator.serviceWorker.controller !== null", timeout=90
    )  # slow under a loaded CI machine
    page.get_by_text("Ready to work offline").wait_for()


def wait_until(page, expression: str, arg=None, timeout: float = 30):
    """Poll a JavaScript expression (or function of `arg`) until it is truthy.

    Playwright's wait_for_function evaluates its predicate with eval() inside the page,
    which the app's Content-Security-Policy forbids; page.evaluate goes through the
    DevTools protocol and is allowed, so we poll with it instead of weakening the policy.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.1)


def open_site(page, site_id: str) -> None:
    page.get_by_label("Find a site (name or code)").fill(site_id)
    page.locator(f"[data-site='{site_id}']").click()
    page.get_by_role("button", name="Finalize").wait_for()


def field(page, path: str):
    """The block of one question (its label, input and messages) by answer path."""
    return page.locator(f'[data-path="{path}"]')


def wait_saved(page) -> None:
    wait_until(
        page,
        "document.querySelector('.saved')?.textContent.startsWith('Saved') "
        "&& document.querySelector('.saved').dataset.revision",
    )


def finalize(page) -> str:
    """Finalize the open record; returns its id (read from the outbox list)."""
    record_id = page.evaluate("location.hash.split('/').pop()")
    page.get_by_role("button", name="Finalize").click()
    page.wait_for_selector("body[data-screen='home']")
    page.locator(f"li[data-id='{record_id}']").wait_for()
    return record_id


def outbox_states(page) -> dict[str, str]:
    """{record id: state} of every record the home screen lists (draft, queued, ... sent)."""
    return page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('li[data-id]')]"
        ".map(li => [li.dataset.id, li.dataset.state]))"
    )


def wait_all_sent(page, ids, timeout: float = 30) -> None:
    wait_until(
        page,
        "ids => ids.every(id => document.querySelector(`li[data-id='${id}']`)?.dataset.state"
        " === 'sent')",
        list(ids),
        timeout,
    )


def idb_count(page, store: str) -> int:
    """Records in one of the app's IndexedDB stores, read directly (not through the UI)."""
    return page.evaluate(
        """store => new Promise((resolve, reject) => {
             const open = indexedDB.open('dtm-collect');
             open.onsuccess = () => {
               const request = open.result.transaction(store).objectStore(store).count();
               request.onsuccess = () => { resolve(request.result); open.result.close(); };
               request.onerror = () => reject(request.error);
             };
             open.onerror = () => reject(open.error);
           })""",
        store,
    )


class SyncFaults:
    """WSGI middleware in front of the app under test: fails or cuts sync uploads on demand.

    `unreachable` cuts every upload before the app sees it (no network). `fail_next` uploads get a 500 before reaching the app (nothing stored). `drop_next`
    uploads are stored and committed by the real app, then the connection is shut without
    an answer, the case that makes a client resend what the server already has. `log`
    records each upload: (outcome, item ids, result statuses).
    """

    def __init__(self, app):
        self.wrapped = app.wsgi_app
        self.fail_next = 0
        self.drop_next = 0
        self.unreachable = False  # cut every sync upload unanswered and unstored
        self.log: list[tuple[str, list[str], list[str]]] = []
        self.requests: list[str] = []  # every request's path and query, in order
        self.lock = threading.Lock()
        app.wsgi_app = self

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING")
        self.requests.append(environ["PATH_INFO"] + (f"?{query}" if query else ""))
        if (
            environ["PATH_INFO"] != "/api/v1/sync/submissions"
            or environ["REQUEST_METHOD"] != "POST"
        ):
            return self.wrapped(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        ids = [item.get("id") for item in json.loads(body or b"{}").get("items", [])]
        environ["wsgi.input"] = _Replay(body)
        if self.unreachable:
            self.log.append(("cut", ids, []))
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            start_response("503 SERVICE UNAVAILABLE", [("Content-Type", "text/plain")])
            return [b"unreachable"]
        with self.lock:
            fail = self.fail_next > 0
            drop = not fail and self.drop_next > 0
            self.fail_next -= int(fail)
            self.drop_next -= int(drop)
        if fail:
            self.log.append(("500", ids, []))
            start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "application/json")])
            return [b'{"error": {"code": "internal_error", "message": "injected", "details": {}}}']
        answer: list = []

        def capture(status, headers, exc_info=None):
            answer[:] = [status, headers]
            return lambda data: None

        chunks = b"".join(self.wrapped(environ, capture))  # the app has committed by now
        statuses = _statuses(chunks)
        start_response(*answer)
        if drop:
            self.log.append(("dropped", ids, statuses))
            # Cut the connection before a byte of the answer leaves: the browser sees a
            # network error although the batch is stored.
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
        else:
            self.log.append((answer[0].split()[0], ids, statuses))
        return [chunks]


class _Replay:
    """The request body again, for the app behind the middleware that already read it."""

    def __init__(self, body: bytes):
        self.stream = io.BytesIO(body)

    def read(self, *args):
        return self.stream.read(*args)

    def readline(self, *args):
        return self.stream.readline(*args)


def _statuses(body: bytes) -> list[str]:
    try:
        return [r["status"] for r in json.loads(body)["results"]]
    except (ValueError, KeyError, TypeError):
        return []


class Gate:
    """WSGI middleware in front of the app under test: holds chosen requests until released.

    `hold(match)` returns a `Hold`: each request for which `match(environ)` is true waits on
    its server thread (so the browser sees a slow server) until `release()`; `arrived` is set
    when the first one comes. Sees the service worker's requests too.
    """

    def __init__(self, app):
        self.wrapped = app.wsgi_app
        self.holds: list[Hold] = []
        app.wsgi_app = self

    def hold(self, match) -> "Hold":
        self.holds.append(Hold(match))
        return self.holds[-1]

    def release_all(self) -> None:
        for hold in self.holds:
            hold.release()

    def __call__(self, environ, start_response):
        for hold in self.holds:
            if not hold.released.is_set() and hold.match(environ):
                hold.arrived.set()
                hold.released.wait(timeout=120)
        return self.wrapped(environ, start_response)


class Hold:
    def __init__(self, match):
        self.match = match
        self.arrived = threading.Event()
        self.released = threading.Event()

    def wait_arrived(self, timeout: float = 30) -> None:
        if not self.arrived.wait(timeout):
            raise AssertionError(f"no held request arrived in {timeout} s")

    def release(self) -> None:
        self.released.set()
