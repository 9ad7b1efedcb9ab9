"""deploy/nginx.conf in front of the real server: answers pass, nginx's own refusals are problem JSON.

Runs nginx (installed by scripts/test) as a child on a free loopback port, with the shipped file
included as it is, only its addresses, log path and deadlines changed for the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from conftest import ARTICLE_CASE
from test_hardening_server import HOST, free_port, read_all, server, status_and_type

SHIPPED = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (scripts/test installs it)")


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("nginx")
    with server(folder / "server.log") as (base, _):
        port = free_port()
        site = SHIPPED.read_text(encoding="utf-8")
        for old, new in [
            ("server 127.0.0.1:8000;", f"server {base.removeprefix('http://')};"),
            ("listen 8080;", f"listen {HOST}:{port};"),
            ("/var/log/nginx/overdue-advisor.log", str(folder / "access.log")),
            ("client_header_timeout 10s;", "client_header_timeout 2s;"),
        ]:
            assert site.count(old) == 1, old
            site = site.replace(old, new)
        (folder / "site.conf").write_text(site, encoding="utf-8")
        kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        temp = "\n".join(f"{kind}_temp_path {folder / kind};" for kind in kinds)
        user = "user root;" if os.geteuid() == 0 else ""
        (folder / "main.conf").write_text(
            f"{user}\nworker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
            f"daemon off;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n{temp}\ninclude {folder / 'site.conf'};\n}}\n",
            encoding="utf-8",
        )
        check = subprocess.run([NGINX, "-t", "-c", str(folder / "main.conf")], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        process = subprocess.Popen([NGINX, "-c", str(folder / "main.conf")])
        front = f"http://{HOST}:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(f"{front}/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        try:
            yield front
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_answers_pass_through_the_proxy(proxied: str) -> None:
    response = requests.post(f"{proxied}/advise", json=ARTICLE_CASE, timeout=10)
    assert response.status_code == 200
    assert response.headers["X-Request-ID"]  # nginx's id, handed to the service and returned
    assert "nginx/" not in response.headers.get("Server", "")


def test_the_proxys_own_refusals_are_problems(proxied: str) -> None:
    big = requests.post(
        f"{proxied}/advise", data=b"{" + b" " * 70_000 + b"}", headers={"Content-Type": "application/json"}
    )
    assert (big.status_code, big.headers["Content-Type"]) == (413, "application/problem+json")
    assert big.json()["status"] == 413
    refused = requests.post(f"{proxied}/advise", json=[], timeout=10)
    assert (refused.status_code, refused.headers["Content-Type"]) == (400, "application/problem+json")


def _slow(port: int) -> bytes:
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        for _ in range(8):
            time.sleep(0.5)
            try:
                sock.sendall(b"X")
            except OSError:
                break
        return read_all(sock)


def test_slow_clients_are_cut_off_and_others_served(proxied: str) -> None:
    port = int(proxied.rsplit(":", 1)[1])
    with ThreadPoolExecutor(max_workers=20) as pool:
        slow = [pool.submit(_slow, port) for _ in range(20)]
        time.sleep(0.5)
        probes = [
            requests.post(f"{proxied}/advise", json=ARTICLE_CASE, timeout=5).status_code for _ in range(5)
        ]
        answers = [client.result(timeout=30) for client in slow]
    assert probes == [200] * 5
    # nginx ends a request whose headers are late (408, closing the connection without a body)
    assert all(answer == b"" or status_and_type(answer)[0] == 408 for answer in answers)
