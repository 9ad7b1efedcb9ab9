"""Who the service runs as, through the real server: started by root, the gunicorn master and every
worker run as the unprivileged service account; started by another user, as that user; and a start
that could not work as the account stops before it serves, saying why."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests
from conftest import ARTICLE_CASE, CLI
from test_hardening_server import _worker_pids, free_port, server

from kb.advisor import shipped_rules
from webapi.account import SERVICE_USER, USER_ENV
from webapi.reload import pidfile

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="what happens when root starts the service")


def ids(pid: int) -> dict[str, list[int]]:
    """The Uid, Gid and Groups lines of /proc/<pid>/status (real, effective, saved, file system)."""
    found: dict[str, list[int]] = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        key, _, value = line.partition(":")
        if key in ("Uid", "Gid", "Groups"):
            found[key] = [int(number) for number in value.split()]
    return found


def test_started_by_root_the_master_and_its_workers_run_as_the_service_account(tmp_path: Path) -> None:
    account = pwd.getpwnam(SERVICE_USER)
    assert account.pw_uid != 0
    env = {USER_ENV: ""}  # the default account, whatever the caller's environment says
    with server(tmp_path / "server.log", env=env, args=["--workers", "2"]) as (base, process):
        # the workers answer (and so count their requests in the metrics folder they must write)
        for _ in range(8):
            assert requests.post(f"{base}/advise", json=ARTICLE_CASE, timeout=10).status_code == 200
        metrics = requests.get(f"{base}/metrics", timeout=10).text
        assert 'route="/advise"' in metrics
        master = process.pid  # `overdue-advisor serve` becomes the gunicorn master itself
        workers = _worker_pids(master)
        assert len(workers) == 2
        for pid in (master, *workers):
            seen = ids(pid)
            assert seen["Uid"] == [account.pw_uid] * 4, (pid, seen)
            assert seen["Gid"] == [account.pw_gid] * 4, (pid, seen)
            assert 0 not in seen["Groups"], (pid, seen)
        # what it writes is the account's: the pidfile `reload` reads, in /dev/shm
        assert os.stat(pidfile(f"127.0.0.1:{base.rsplit(':', 1)[1]}")).st_uid == account.pw_uid
    assert "running as overdue-advisor" in (tmp_path / "server.log").read_text(encoding="utf-8")


def test_started_by_another_user_it_runs_as_that_user(tmp_path: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) starts the server as another user")
    as_nobody = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups", "--"]
    with server(tmp_path / "server.log", wrapper=as_nobody) as (base, process):
        assert requests.post(f"{base}/advise", json=ARTICLE_CASE, timeout=10).status_code == 200
        for pid in (process.pid, *_worker_pids(process.pid)):
            assert ids(pid)["Uid"] == [nobody.pw_uid] * 4


def refused(
    extra_env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`overdue-advisor serve` that must stop before serving (a server that started would run until
    the timeout, which fails the test)."""
    command = [str(CLI), "serve", "--port", str(free_port()), *args]
    return subprocess.run(
        command,
        env={**os.environ, **extra_env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_root_is_never_the_account() -> None:
    done = refused({USER_ENV: "root"})
    assert done.returncode != 0 and "does not run as root" in done.stderr


def test_a_missing_account_is_named_with_how_to_create_it() -> None:
    done = refused({USER_ENV: "no-such-account-here"})
    assert done.returncode != 0
    assert "'no-such-account-here', which does not exist" in done.stderr and "useradd --system" in done.stderr


def test_rules_the_account_cannot_read_are_named(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(shipped_rules(), rules)
    rules.chmod(0o700)  # root's alone
    done = refused({USER_ENV: ""}, "--rules", str(rules))
    assert done.returncode != 0
    assert f"runs as '{SERVICE_USER}', which cannot read {rules}" in done.stderr


def test_a_pidfile_left_by_a_root_server_does_not_stop_the_start(tmp_path: Path) -> None:
    """A server that ran as root and was killed left its pidfile, root's, in the sticky /dev/shm,
    where the account could not replace it: root removes it before the switch."""
    dead = subprocess.Popen(["true"])  # a pid no process has any more
    dead.wait()
    stale = Path(tempfile.mkdtemp(prefix="overdue-advisor-test-", dir="/dev/shm")) / "server.pid"
    stale.parent.chmod(0o1777)  # sticky and open to all, as /dev/shm
    stale.write_text(f"{dead.pid}\n", encoding="ascii")
    Path(f"{stale}.rules").write_text("/nowhere", encoding="utf-8")
    try:
        env = {USER_ENV: "", "OVERDUE_ADVISOR_PIDFILE": str(stale)}
        with server(tmp_path / "server.log", env=env) as (base, process):
            assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
            assert stale.stat().st_uid == pwd.getpwnam(SERVICE_USER).pw_uid
            assert stale.read_text(encoding="ascii").strip() == str(process.pid)
    finally:
        shutil.rmtree(stale.parent, ignore_errors=True)


def test_a_checkout_the_account_cannot_enter_is_named_once(tmp_path: Path) -> None:
    """As a checkout under /root: started from a folder only root may enter, with the rules in it,
    the message names that folder and nothing inside it."""
    checkout = tmp_path / "checkout"
    shutil.copytree(shipped_rules(), checkout / "rules")
    checkout.chmod(0o700)
    done = refused({USER_ENV: ""}, "--rules", str(checkout / "rules"), cwd=checkout)
    assert done.returncode != 0
    assert f"cannot enter the current folder {checkout}." in done.stderr
    assert done.stderr.count(str(checkout)) == 1


def test_reload_by_a_user_who_may_not_signal_the_server_says_whom_to_ask(tmp_path: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    with server(tmp_path / "server.log", env={USER_ENV: ""}) as (base, _):
        port = base.rsplit(":", 1)[1]
        done = subprocess.run(
            [str(CLI), "reload", "--port", port],
            user=nobody.pw_uid,
            group=nobody.pw_gid,
            extra_groups=[],
            cwd="/",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert f"runs as {SERVICE_USER}: run reload as {SERVICE_USER} or as root" in done.stderr
        # and root may
        assert subprocess.run([str(CLI), "reload", "--port", port], timeout=120, check=False).returncode == 0
