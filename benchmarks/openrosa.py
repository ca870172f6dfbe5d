"""OpenRosa submissions per second with one client, against a real server on 127.0.0.1.

Sets up a fresh SQLite operation in a temporary folder (the Somalia demo boundaries, the
bundled form, one enumerator), starts gunicorn (one sync worker, as `README` serves the app)
in a subprocess, and sends N bundled-form submissions one after another, exactly as ODK
Collect does: a `HEAD .../submission`, then a multipart `POST` with `xml_submission_file`,
each with a distinct instanceID and site. Every answer must be 201. Prints the median over
the repetitions and the ratio to ODK Central's 143 submissions/s with one client on this
machine (the figure the OpenRosa issue states). Target: >= 430/s (3x). Also measures, in the
same run and taking turns with the real server, the floor of the stack: the same exchange
against benchmarks/openrosa_floor.py, which does no work (see there).

    .venv/bin/python -m benchmarks.openrosa [--submissions N] [--repeat R] [--no-head]
"""

import argparse
import copy
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from flask_migrate import upgrade

from benchmarks.machine import describe
from dtm import create_app
from dtm.accounts import create_user, issue_token
from dtm.extensions import db
from forms import load_bundled_site_assessment
from forms.bundled.example import example_site_assessment
from sync.openrosa import instance_xml
from tests.support import SOMALIA_ADM1, SOMALIA_ADM2

FLOOR_APP = "benchmarks.openrosa_floor:app"
CENTRAL_RATE = 143.0  # ODK Central, one client, this machine (stated in the issue)
TARGET = 3 * CENTRAL_RATE
REPO = Path(__file__).resolve().parents[1]


def prepare(folder: Path) -> tuple[str, str]:
    """A migrated SQLite operation with boundaries, the bundled form and an enumerator."""
    url = f"sqlite:///{folder / 'dtm.sqlite'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance")})
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        runner = app.test_cli_runner()
        for level, path in ((1, SOMALIA_ADM1), (2, SOMALIA_ADM2)):
            result = runner.invoke(args=["boundaries", "import", str(path), "--level", str(level)])
            assert result.exit_code == 0, result.output
        result = runner.invoke(args=["forms", "publish", "--bundled"])
        assert result.exit_code == 0, result.output
        user = create_user(db.session, "collect", "enumerator", None)
        _, token = issue_token(db.session, user)
        db.session.commit()
        db.engine.dispose()
    return url, token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    url: str, folder: Path, port: int, worker: str, app: str = "wsgi:app"
) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        SECRET_KEY=secrets.token_hex(16),
        DTM_ATTACHMENTS_DIR=str(folder / "attachments"),
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--worker-class",
            worker,
            "--log-level",
            "warning",
            app,
        ],
        cwd=REPO,
        env=env,
    )
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("the server did not start")


def worker_cpu_seconds(server: subprocess.Popen) -> float:
    """User + system CPU time of gunicorn's worker processes so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def fsync_ms(folder: Path, count: int = 200) -> float:
    """What one durable commit costs on this disk right now: the floor per submission."""
    path = folder / "fsync-probe"
    handle = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        start = time.perf_counter()
        for _ in range(count):
            os.write(handle, b"x" * 4096)
            os.fsync(handle)
        return (time.perf_counter() - start) / count * 1000
    finally:
        os.close(handle)
        path.unlink()


def documents(count: int, start: int) -> list[bytes]:
    """Multipart bodies of `count` distinct submissions (built before the clock starts)."""
    definition = load_bundled_site_assessment()
    bodies = []
    for n in range(start, start + count):
        data = copy.deepcopy(example_site_assessment(n))
        data.update(
            site_id=f"SO-B{n:06d}",
            admin1_pcode="SO22",
            admin2_pcode="SO2201",
            location={"lat": 2.0768, "lon": 45.3268, "accuracy": 4.5},
        )
        data["origins"][0].update(origin_admin1_pcode="SO22", origin_admin2_pcode="SO2201")
        data["origins"][1].update(origin_admin1_pcode="SO11", origin_admin2_pcode="SO1101")
        xml = instance_xml(definition, data, str(uuid.uuid4()))
        bodies.append(xml)
    return bodies


BOUNDARY = "0f3c9c52-6c57-4b8e-9f7e-6a3b2f1d7e21"
HEADERS = {
    "X-OpenRosa-Version": "1.0",
    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    "User-Agent": "org.odk.collect.android/v2026.2.1 okhttp/4.12.0",
}


def multipart(xml: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="xml_submission_file"; '
            f'filename="site_assessment.xml"\r\nContent-Type: text/xml\r\n'
            f"Content-Length: {len(xml)}\r\n\r\n"
        ).encode()
        + xml
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def send_all(port: int, token: str, bodies: list[bytes], head: bool) -> float:
    """Send every submission in order on one client; returns submissions per second."""
    path = f"/openrosa/key/{token}/submission?deviceID=collect:bench"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    payloads = [multipart(b) for b in bodies]
    start = time.perf_counter()
    for payload in payloads:
        if head:
            connection.request("HEAD", path, headers=HEADERS)
            probe = connection.getresponse()
            probe.read()
            assert probe.status == 204, probe.status
        connection.request("POST", path, body=payload, headers=HEADERS)
        answer = connection.getresponse()
        body = answer.read()
        assert answer.status == 201, (answer.status, body)
    elapsed = time.perf_counter() - start
    connection.close()
    return len(bodies) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-head", action="store_true", help="POST only, no HEAD first")
    parser.add_argument(
        "--worker-class",
        default="sync",
        help="gunicorn worker class (sync, as README serves the app; or gthread)",
    )
    args = parser.parse_args()
    head = not args.no_head

    with tempfile.TemporaryDirectory(prefix="dtm-openrosa-bench-") as tmp:
        folder = Path(tmp)
        url, token = prepare(folder)
        port, floor_port = free_port(), free_port()
        server = start_server(url, folder, port, args.worker_class)
        floor = start_server(url, folder, floor_port, args.worker_class, FLOOR_APP)
        try:
            send_all(port, token, documents(50, 10_000_000), head)  # warm up
            send_all(floor_port, token, documents(50, 10_000_000), head)
            rates, floor_rates, cpu_ms, floor_cpu_ms, fsyncs = [], [], [], [], []
            for run in range(args.repeat):
                # The floor and the real server take turns, so both see the same machine.
                bodies = documents(args.submissions, run * args.submissions)
                before = worker_cpu_seconds(floor)
                floor_rates.append(send_all(floor_port, token, bodies, head))
                floor_cpu_ms.append((worker_cpu_seconds(floor) - before) / len(bodies) * 1000)
                before = worker_cpu_seconds(server)
                rates.append(send_all(port, token, bodies, head))
                cpu_ms.append((worker_cpu_seconds(server) - before) / len(bodies) * 1000)
                fsyncs.append(fsync_ms(folder))
                print(
                    f"run {run + 1}: {rates[-1]:,.0f} submissions/s (floor {floor_rates[-1]:,.0f}/s); "
                    f"server CPU {cpu_ms[-1]:.2f} ms per submission (floor "
                    f"{floor_cpu_ms[-1]:.2f} ms); one fsync {fsyncs[-1]:.2f} ms",
                    flush=True,
                )
        finally:
            for process in (server, floor):
                process.terminate()
                process.wait(timeout=30)
    median, floor_median = statistics.median(rates), statistics.median(floor_rates)
    mode = "HEAD + POST, as Collect" if head else "POST only"
    print(
        f"OpenRosa submissions, one client ({mode}), SQLite, gunicorn 1 {args.worker_class} worker: "
        f"median {median:,.0f}/s over {args.repeat} runs of {args.submissions}"
    )
    print(
        f"server CPU per submission: median {statistics.median(cpu_ms):.2f} ms; one fsync "
        f"(SQLite commits with synchronous=FULL): median {statistics.median(fsyncs):.2f} ms"
    )
    print(
        f"floor (benchmarks/openrosa_floor.py, the same exchange with no work behind it, same "
        f"run): median {floor_median:,.0f}/s, server CPU {statistics.median(floor_cpu_ms):.2f} ms "
        f"per submission; ours reaches {median / floor_median:.0%} of it "
        f"({1000 / median - 1000 / floor_median:.2f} ms per submission above it)"
    )
    print(f"load average {os.getloadavg()[0]:.1f}; {describe()}")
    print(
        f"ratio to ODK Central's {CENTRAL_RATE:.0f}/s: {median / CENTRAL_RATE:.2f}x "
        f"(target >= {TARGET:.0f}/s, 3x): {'met' if median >= TARGET else 'NOT met'}"
        + ("; the target is above the floor itself" if floor_median < TARGET else "")
    )


if __name__ == "__main__":
    main()
