"""Hot reload under the real server: new rules served after a checked reload, broken ones refused
while the loaded rules keep answering (issue 11)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from kb.advisor import shipped_rules
from webapi.reload import pidfile

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def served(tmp_path: Path, service_tmp: Path) -> Iterator[tuple[str, Path, dict[str, str], int, Path]]:
    # the rules and the pidfile where the server can reach them, as the service account when root
    rules = service_tmp / "rules"
    shutil.copytree(shipped_rules(), rules)
    port = free_port()
    env = {**os.environ, "OVERDUE_ADVISOR_TMP_DIR": str(service_tmp)}
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        command = [sys.executable, "-m", "kb", "serve", "--rules", str(rules), "--port", str(port)]
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: requests.get(f"{base}/readyz", timeout=2).status_code == 200, process, log)
            yield base, rules, env, port, log
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def wait_for(condition: object, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():  # type: ignore[operator]
                return
        except requests.RequestException:
            pass
        if process.poll() is not None:
            pytest.fail(f"server stopped:\n{log.read_text(errors='replace')}")
        time.sleep(0.3)
    pytest.fail(f"timed out:\n{log.read_text(errors='replace')}")


def version(base: str) -> str:
    return str(requests.get(f"{base}/version", timeout=5).json()["kb_version"])


def reload(rules: Path, env: dict[str, str], port: int) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "kb", "reload", "--rules", str(rules), "--port", str(port)]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False
    )


def test_reload_serves_checked_rules_and_refuses_broken_ones(
    served: tuple[str, Path, dict[str, str], int, Path],
) -> None:
    base, rules, env, port, log = served
    first = version(base)
    kb = rules / "kb.yaml"
    kb.write_text(
        kb.read_text(encoding="utf-8").replace("version: 1.0.0", "version: 1.0.1"), encoding="utf-8"
    )
    asked = reload(rules, env, port)
    assert asked.returncode == 0, asked.stderr
    # every worker now answers with the new rules (old workers finish and stop)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and {version(base) for _ in range(6)} != {version_of(rules)}:
        time.sleep(0.5)
    second = version(base)
    assert second != first and second.startswith("1.0.1+")
    # a broken folder: the command refuses it naming file:line and signals nothing
    tree = rules / "tree.yaml"
    tree.write_text(
        tree.read_text(encoding="utf-8").replace("choose: one", "choose: several", 1), encoding="utf-8"
    )
    refused = reload(rules, env, port)
    assert refused.returncode != 0 and "tree.yaml:" in refused.stderr
    # and a SIGHUP sent directly (the master checks again) keeps the loaded rules answering
    pid = master_pid(env, port)
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "rules refused on reload" not in log.read_text(errors="replace"):
        time.sleep(0.3)
    assert "rules refused on reload" in log.read_text(errors="replace")
    assert "tree.yaml:" in log.read_text(errors="replace")
    for _ in range(6):
        assert version(base) == second
        assert (
            requests.post(
                f"{base}/advise",
                json={"days_overdue": 3, "harassment": False, "hardship": "none", "credit_reported": "no"},
                timeout=5,
            ).status_code
            == 200
        )


def master_pid(env: dict[str, str], port: int) -> int:
    saved = os.environ.get("OVERDUE_ADVISOR_TMP_DIR")
    os.environ["OVERDUE_ADVISOR_TMP_DIR"] = env["OVERDUE_ADVISOR_TMP_DIR"]
    try:
        return int(Path(pidfile(f"127.0.0.1:{port}")).read_text(encoding="ascii").strip())
    finally:
        if saved is None:
            del os.environ["OVERDUE_ADVISOR_TMP_DIR"]
        else:
            os.environ["OVERDUE_ADVISOR_TMP_DIR"] = saved


def version_of(rules: Path) -> str:
    from kb.loader import load_rules

    return load_rules(rules).kb_version


def test_reload_refuses_a_folder_the_server_does_not_read(
    served: tuple[str, Path, dict[str, str], int, Path], tmp_path: Path
) -> None:
    base, rules, env, port, _ = served
    other = tmp_path / "other"
    shutil.copytree(rules, other)
    refused = reload(other, env, port)
    assert refused.returncode == 2 and f"reads {rules.resolve()}" in refused.stderr
    assert version(base) == version_of(rules)


def test_reload_without_a_server_says_so(tmp_path: Path) -> None:
    env = {**os.environ, "OVERDUE_ADVISOR_TMP_DIR": str(tmp_path)}
    done = reload(shipped_rules(), env, free_port())
    assert done.returncode == 2 and "no running server" in done.stderr
