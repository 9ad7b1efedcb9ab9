"""Issue 10, through the real server (`overdue-advisor serve`, gunicorn) over loopback only.

Each test names the finding it reproduces. Slow clients are bounded in number and in time: every
socket has a timeout and every loop a fixed count.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import ARTICLE_CASE, CLI

from kb.advisor import shipped_rules

HOST = "127.0.0.1"
DEADLINE = 2  # the header and body deadlines the test server runs with, in seconds
FAST_ENV = {
    "OVERDUE_ADVISOR_HEADER_TIMEOUT": str(DEADLINE),
    "OVERDUE_ADVISOR_BODY_TIMEOUT": str(DEADLINE),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(
    log: Path,
    env: dict[str, str] | None = None,
    args: list[str] | None = None,
    wrapper: list[str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`overdue-advisor serve` on a free loopback port, with `env` added; its base URL and process."""
    port = free_port()
    full_env = {**os.environ, **FAST_ENV, **(env or {})}
    command = [*(wrapper or []), str(CLI), "serve", "--port", str(port), *(args or [])]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=full_env)
        base = f"http://{HOST}:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        try:
            yield base, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("hardening") / "server.log"
    with server(log) as (base, _):
        yield base, log


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def exchange(base: str, raw: bytes, timeout: float = 15) -> bytes:
    """Send raw bytes, read until the server closes (or `timeout`); the whole answer."""
    with socket.create_connection((HOST, port_of(base)), timeout=timeout) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        return read_all(sock)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    except (TimeoutError, ConnectionResetError):
        pass
    return b"".join(chunks)


def status_and_type(answer: bytes) -> tuple[int, str, dict[str, Any]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    document = json.loads(body) if headers.get("content-type") == "application/problem+json" else {}
    return status, headers.get("content-type", ""), document


def body_json(case: dict[str, Any]) -> bytes:
    return json.dumps(case).encode()


def advise_probe(base: str, timeout: float = 5) -> int:
    try:
        return requests.post(f"{base}/advise", json=ARTICLE_CASE, timeout=timeout).status_code
    except requests.RequestException:
        return 0


# ---- 1. slow clients ----


def _trickle(base: str, payload: bytes, seconds: float, stop: threading.Event) -> bytes:
    """Send `payload` a byte at a time, one every `seconds`, until the server answers or `stop`."""
    with socket.create_connection((HOST, port_of(base)), timeout=20) as sock:
        sock.settimeout(seconds)
        for byte in payload:
            if stop.is_set():
                return b""
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            try:
                data = sock.recv(65536)
                if data:
                    return data + read_all(sock)
                return b""
            except TimeoutError:
                continue
        sock.settimeout(10)
        return read_all(sock)


def test_finding_1_fifty_slow_header_clients_do_not_take_the_service_down(
    running: tuple[str, Path],
) -> None:
    base, _ = running
    stop = threading.Event()
    slow = b"POST /advise HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200
    with ThreadPoolExecutor(max_workers=50) as pool:
        clients = [pool.submit(_trickle, base, slow, 0.5, stop) for _ in range(50)]
        time.sleep(1.0)  # all fifty connected and trickling
        probes = [advise_probe(base) for _ in range(6)]
        answers = [client.result(timeout=30) for client in clients]
    stop.set()
    assert probes == [200] * 6
    # each slow client was cut off by the header deadline with a 408 problem
    statuses = [status_and_type(answer)[:2] for answer in answers if answer]
    assert len(statuses) == 50
    assert set(statuses) == {(408, "application/problem+json")}


def test_finding_1_a_slow_body_is_answered_408(running: tuple[str, Path]) -> None:
    base, _ = running
    head = (
        b"POST /advise HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 60000\r\n\r\n"
    )
    started = time.monotonic()
    with socket.create_connection((HOST, port_of(base)), timeout=20) as sock:
        sock.sendall(head)
        answer = b""
        for _ in range(int(DEADLINE * 4) + 8):  # a byte every 0.5 s, bounded
            try:
                sock.sendall(b" ")
            except OSError:
                break
            sock.settimeout(0.5)
            try:
                answer = sock.recv(65536)
                break
            except TimeoutError:
                continue
        sock.settimeout(10)
        answer += read_all(sock)
    assert status_and_type(answer)[:2] == (408, "application/problem+json")
    assert time.monotonic() - started < DEADLINE + 5


def test_finding_1_a_body_shorter_than_its_length_is_answered_408(running: tuple[str, Path]) -> None:
    base, _ = running
    raw = (
        b"POST /advise HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
        + body_json(ARTICLE_CASE)
    )
    with socket.create_connection((HOST, port_of(base)), timeout=DEADLINE + 10) as sock:
        sock.sendall(raw)  # and stays connected
        answer = read_all(sock)
    status, media, problem = status_and_type(answer)
    assert (status, media) == (408, "application/problem+json")
    assert problem["status"] == 408


def test_finding_1_a_silent_connection_is_closed_without_an_answer(running: tuple[str, Path]) -> None:
    base, _ = running
    with socket.create_connection((HOST, port_of(base)), timeout=DEADLINE + 10) as sock:
        assert read_all(sock) == b""  # closed by the server, nothing sent: a keep-alive timeout


# ---- 2. costly requests ----


def test_finding_2_thirty_thousand_bad_kinds_give_a_small_problem(running: tuple[str, Path]) -> None:
    base, _ = running
    body = {**ARTICLE_CASE, "harassment_kinds": [f"bad{i}" for i in range(30_000)]}
    data = json.dumps(body).encode()[: 64 * 1024 - 2]
    data = data[: data.rindex(b",")] + b"]}"
    response = requests.post(
        f"{base}/advise", data=data, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 400
    assert len(response.content) < 4096
    problem = response.json()
    assert problem["errors"][0]["field"] == "harassment_kinds"
    assert len(problem["errors"]) <= 10


def test_finding_2_renders_past_the_bound_are_503_with_retry_after(tmp_path: Path) -> None:
    env = {"OVERDUE_ADVISOR_MAX_RENDERS": "1"}
    with server(tmp_path / "server.log", env=env, args=["--workers", "1"]) as (base, _):

        def draw(days: int) -> requests.Response:
            query = {**ARTICLE_CASE, "days_overdue": days, "harassment_kinds": "contacts_third_parties"}
            query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items()}
            return requests.get(f"{base}/diagrams/path.svg", params=query, timeout=30)

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(draw, [0, 1, 7, 8, 30, 31, 90, 91]))
    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) <= {200, 503}
    assert 200 in statuses
    busy = [answer for answer in answers if answer.status_code == 503]
    assert busy, "eight distinct renders at once, with a bound of one, must refuse some"
    assert all(answer.headers["Retry-After"].isdigit() for answer in busy)
    assert all(answer.headers["Content-Type"] == "application/problem+json" for answer in busy)


# ---- 3. one rules version per server ----


def _worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True)
    return [int(pid) for pid in out.stdout.split()]


def _master_of(process: subprocess.Popen[bytes]) -> int:
    return process.pid  # `overdue-advisor serve` becomes the gunicorn master itself


def test_finding_3_the_rules_are_read_once_and_a_broken_edit_changes_nothing(
    tmp_path: Path, service_tmp: Path
) -> None:
    rules = service_tmp / "rules"
    shutil.copytree(shipped_rules(), rules)
    with server(tmp_path / "server.log", args=["--rules", str(rules)]) as (base, process):
        version = requests.get(f"{base}/version", timeout=5).json()["kb_version"]
        kb_yaml = next(rules.glob("*.yaml"))
        kb_yaml.write_text(kb_yaml.read_text(encoding="utf-8") + "\n# edited in place\n", encoding="utf-8")
        master = _master_of(process)
        old = _worker_pids(master)
        os.kill(old[0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
            len(_worker_pids(master)) < 2 or old[0] in _worker_pids(master)
        ):
            time.sleep(0.2)
        seen = {requests.get(f"{base}/version", timeout=5).json()["kb_version"] for _ in range(40)}
        assert seen == {version}
        # a broken edit and SIGHUP: the server goes on, with the same rules
        kb_yaml.write_text("{ not: yaml: [", encoding="utf-8")
        os.kill(master, signal.SIGHUP)
        time.sleep(3)
        assert process.poll() is None
        seen = {requests.get(f"{base}/version", timeout=5).json()["kb_version"] for _ in range(40)}
        assert seen == {version}
        assert advise_probe(base) == 200


# ---- 4. errors and framing ----

CHUNKED_HEAD = (
    b"POST /advise HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)
MALFORMED_CHUNKS = [
    b"zz\r\n{}\r\n0\r\n\r\n",  # size not hex
    b"2\r\n{}XX0\r\n\r\n",  # no CRLF after the data
    b"2;\x01=1\r\n{}\r\n0\r\n\r\n",  # bad extension
    b"-2\r\n{}\r\n0\r\n\r\n",  # negative size
    b"2\r\n{}\r\n0\r\nX\r\n",  # bad trailer
    b"fffffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",  # absurd size
    b"2 \r\n{}\r\n0\r\n\r\n",  # whitespace in the size
]


@pytest.mark.parametrize("chunks", MALFORMED_CHUNKS)
def test_finding_4_malformed_chunked_bodies_are_400_problems(
    running: tuple[str, Path], chunks: bytes
) -> None:
    base, log = running
    status, media, problem = status_and_type(exchange(base, CHUNKED_HEAD + chunks))
    assert (status, media) == (400, "application/problem+json")
    assert problem["status"] == 400
    assert '"level": "error"' not in log.read_text()


def test_finding_4_a_chunked_body_over_64_kib_is_413(running: tuple[str, Path]) -> None:
    base, _ = running
    chunk = b" " * 8192
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(9)) + b"0\r\n\r\n"
    status, media, _ = status_and_type(exchange(base, CHUNKED_HEAD + body))
    assert (status, media) == (413, "application/problem+json")


def test_finding_4_a_declared_body_over_64_kib_is_413(running: tuple[str, Path]) -> None:
    base, _ = running
    response = requests.post(
        f"{base}/advise", data=b"{" + b" " * 70_000 + b"}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(60)) + b"\r\n", 431),
        (b"POST /advise HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n", 400),
        (b"POST /advise HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 400),
    ],
)
def test_finding_4_errors_of_the_http_server_are_problems(
    running: tuple[str, Path], raw: bytes, expected: int
) -> None:
    base, _ = running
    status, media, problem = status_and_type(exchange(base, raw))
    assert (status, media) == (expected, "application/problem+json")
    assert problem["status"] == expected


def test_finding_4_options_is_a_405_problem(running: tuple[str, Path]) -> None:
    base, _ = running
    response = requests.options(f"{base}/advise", timeout=5)
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Allow"] == "POST"


def test_finding_4_duplicate_keys_are_refused_naming_the_key(running: tuple[str, Path]) -> None:
    base, _ = running
    data = (
        b'{"days_overdue": 7, "days_overdue": 8, "harassment": false, '
        b'"hardship": "none", "credit_reported": "no"}'
    )
    response = requests.post(f"{base}/advise", data=data, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "days_overdue", "message": "given more than once"}]


# ---- 6. logs and headers ----


def test_finding_6_logs_hold_no_request_line_fact_address_or_forged_line(running: tuple[str, Path]) -> None:
    base, log = running
    exchange(base, b"GET /diagrams/path.svg?days_overdue=7&harassment=true\x01 HTTP/1.1\r\nHost: x\r\n\r\n")
    requests.get(f"{base}/missing%0a{{\"event\":\"forged\"}}", timeout=5)
    requests.get(f"{base}/diagrams/path.svg?days_overdue=77777&hardship=long_term", timeout=10)
    time.sleep(0.5)
    lines = log.read_text().splitlines()
    assert lines
    for line in lines:
        record = json.loads(line)  # every line is one JSON object: nothing forged a line
        assert record.get("event") in ("request", "log")
        assert "days_overdue" not in line and "77777" not in line and "long_term" not in line
        assert "127.0.0.1" not in line.replace(f"127.0.0.1:{port_of(base)}", "")
    requests_logged = [json.loads(line) for line in lines if '"event": "request"' in line]
    assert {"method", "route", "status", "duration_ms", "request_id"} <= set(requests_logged[-1])


def test_finding_6_request_id_is_returned_and_headers_are_safe(running: tuple[str, Path]) -> None:
    base, _ = running
    answer = requests.post(
        f"{base}/advise", json=ARTICLE_CASE, headers={"X-Request-ID": "abc-123"}, timeout=5
    )
    assert answer.headers["X-Request-ID"] == "abc-123"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Server"] == "gunicorn"  # no version
    generated = requests.get(f"{base}/healthz", headers={"X-Request-ID": "bad id\x7f"}, timeout=5)
    assert generated.headers["X-Request-ID"] != "bad id\x7f"
    problem = requests.post(f"{base}/advise", json=[], timeout=5)
    assert problem.headers["X-Content-Type-Options"] == "nosniff"
    diagram = requests.get(f"{base}{answer.json()['diagram_url']}", timeout=30)
    assert diagram.status_code == 200 and "no-store" in diagram.headers["Cache-Control"]
    for page in ("/docs", "/review", "/review/laws"):
        assert "Content-Security-Policy" in requests.get(f"{base}{page}", timeout=30).headers


# ---- metrics and readiness ----


def test_metrics_count_every_worker_and_show_the_rules(running: tuple[str, Path]) -> None:
    base, _ = running
    for _ in range(20):
        requests.post(f"{base}/advise", json=ARTICLE_CASE, timeout=5)
    requests.post(f"{base}/advise", json=[], timeout=5)  # refused by the app
    exchange(base, CHUNKED_HEAD + MALFORMED_CHUNKS[0])  # refused by the server before the app runs
    text = requests.get(f"{base}/metrics", timeout=5).text
    version = requests.get(f"{base}/version", timeout=5).json()["kb_version"]
    assert f'overdue_advisor_rules_info{{kb_version="{version}"' in text
    counted = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith('overdue_advisor_requests_total{method="POST",route="/advise",status="200"}')
    ]
    assert counted and counted[0] >= 20
    for name in (
        "overdue_advisor_request_duration_seconds_bucket",
        "overdue_advisor_engine_evaluations_total",
        "overdue_advisor_renders_in_flight",
        "overdue_advisor_refused_requests_total",
    ):
        assert name in text, name
    assert 'overdue_advisor_refused_requests_total{reason="invalid"}' in text
    assert 'overdue_advisor_refused_requests_total{reason="malformed"}' in text
    assert requests.get(f"{base}/readyz", timeout=5).json()["status"] == "ready"


# ---- 7. operations ----


def test_finding_7_no_shared_control_socket_and_gunicorn_cmd_args_honoured(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_RUNTIME_DIR": str(home), "GUNICORN_CMD_ARGS": "--workers 3"}
    with server(tmp_path / "server.log", env=env) as (base, process):
        assert advise_probe(base) == 200
        deadline = time.monotonic() + 20
        while len(_worker_pids(process.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_worker_pids(process.pid)) == 3
        assert not list(home.rglob("*.ctl"))


def test_finding_7_a_read_only_root_serves(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to mount a read-only root")
    # a private mount namespace where / (and so /tmp and $HOME) is read-only; /dev/shm stays writable
    read_only = 'mount --make-rprivate / && mount -o remount,bind,ro / && exec "$@"'
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", read_only, "sh", "true"],
        capture_output=True,
    )
    if probe.returncode != 0:
        pytest.skip("no private mount namespace with a read-only root here")
    wrapper = ["unshare", "-m", "sh", "-c", read_only, "sh"]
    with server(tmp_path / "server.log", wrapper=wrapper) as (base, _):
        assert advise_probe(base) == 200
        assert requests.get(f"{base}/metrics", timeout=5).status_code == 200
