"""scripts/serve and scripts/test: what each installs, and no reinstall when nothing changed."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INSTALL = ROOT / "scripts" / "install.sh"


def _bash(snippet: str) -> str:
    done = subprocess.run(
        ["bash", "-c", f"set -euo pipefail; source scripts/install.sh; {snippet}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_serving_installs_no_browser_no_proxy_and_no_test_extras() -> None:
    text = INSTALL.read_text(encoding="utf-8")
    serve_script = (ROOT / "scripts" / "serve").read_text(encoding="utf-8")
    assert "install_project serve" in serve_script
    assert "install_project test" in (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    # Chromium and nginx are asked for only on the test branch; the serve spec is the bare package
    test_branch = text[text.index('if [ "$1" = test ]') : text.index("fi", text.index('if [ "$1" = test ]'))]
    assert "chromium" in test_branch and "nginx" in test_branch
    assert text.count("chromium") == test_branch.count("chromium")
    assert 'local kind="$1" spec="."' in text


def test_an_unchanged_tree_is_not_installed_again() -> None:
    stamp = ROOT / ".venv" / ".installed-test"
    if not stamp.exists():
        pytest.skip("not run through scripts/test: no install stamp to compare")
    if stamp.read_text(encoding="utf-8").strip() != _bash("_source_fingerprint"):
        pytest.skip("sources changed since scripts/test installed them")
    # the serve install is then a no-op: it returns before pip runs
    out = subprocess.run(
        ["bash", "-xc", "source scripts/install.sh; _apt_install() { :; }; install_project serve"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "pip install" not in out.stderr


def test_the_installer_creates_the_account_the_service_switches_to() -> None:
    from webapi.account import SERVICE_USER

    assert f"getent passwd {SERVICE_USER} " in INSTALL.read_text(encoding="utf-8")
    if os.geteuid() != 0:
        pytest.skip("only root creates accounts")
    _bash("_service_account")  # as the installer runs it: creates the account once, then a no-op
    account = pwd.getpwnam(SERVICE_USER)
    assert 0 < account.pw_uid < 1000  # a system account
    assert account.pw_shell == "/usr/sbin/nologin"
    assert not os.path.exists(account.pw_dir)


def test_as_root_the_venv_python_is_one_the_account_can_read() -> None:
    """A Python under /root (root's pyenv, say) starts for the account but cannot read its own
    standard library; the installer picks, and the tests' servers run on, one the account reads."""
    if os.geteuid() != 0:
        pytest.skip("the account matters only when root starts the service")
    from webapi.account import service_account

    account = service_account()

    def account_reads_stdlib(python: str) -> bool:
        where = subprocess.run(
            [python, "-c", "import os; print(os.path.dirname(os.__file__))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        probe = subprocess.run(
            ["test", "-r", f"{where}/os.py"],
            user=account.pw_uid,
            group=account.pw_gid,
            extra_groups=[],
            cwd="/",
            check=False,
        )
        return probe.returncode == 0

    assert account_reads_stdlib(_bash("_venv_python"))
    assert account_reads_stdlib(sys.executable)  # the .venv this suite runs from


def test_a_python_that_cannot_make_a_venv_with_pip_asks_for_python3_venv(tmp_path: Path) -> None:
    """Debian's python3 without python3-venv has no ensurepip; this suite's Python with ensurepip
    shadowed stands for it."""
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "ensurepip.py").write_text("raise ImportError('no ensurepip: python3-venv is missing')\n")
    lacking = tmp_path / "python3"
    lacking.write_text(f'#!/bin/sh\nPYTHONPATH={hidden} exec {sys.executable} "$@"\n', encoding="utf-8")
    lacking.chmod(0o755)
    assert _bash(f"_venv_package {lacking}") == "python3-venv"
    assert _bash(f"_venv_package {sys.executable}") == ""
    # and the install asks apt for it just before it makes .venv with that Python
    text = INSTALL.read_text(encoding="utf-8")
    assert '[ -z "$(_venv_package "$python")" ] || _apt_get python3-venv\n    "$python" -m venv .venv' in text


def test_without_a_compiler_or_python_headers_the_install_asks_for_them(tmp_path: Path) -> None:
    """durable-rules is compiled by pip. A fresh Debian has no cc (no PATH entry finds one here) and
    no Python.h (this suite's Python with sysconfig pointed at an empty folder stands for it)."""
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text(
        "import sysconfig\n"
        "_paths = sysconfig.get_paths\n"
        f"sysconfig.get_paths = lambda *a, **k: {{**_paths(*a, **k), 'include': {str(tmp_path)!r}}}\n",
        encoding="utf-8",
    )
    headless = tmp_path / "python3"
    headless.write_text(f'#!/bin/sh\nPYTHONPATH={hidden} exec {sys.executable} "$@"\n', encoding="utf-8")
    headless.chmod(0o755)

    def build_packages(python: Path | str, path: str) -> list[str]:
        done = subprocess.run(
            ["/bin/bash", "-c", f"source scripts/install.sh; _build_packages {python}"],
            cwd=ROOT,
            env={"PATH": path},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.split()

    assert build_packages(headless, str(tmp_path)) == ["gcc", "libpython3-dev"]
    if os.path.exists("/usr/bin/cc") and os.path.exists("/usr/include/python3.11/Python.h"):
        assert build_packages("/usr/bin/python3", "/usr/bin:/bin") == []
    text = INSTALL.read_text(encoding="utf-8")
    assert text.index("_build_packages .venv/bin/python") < text.index("pip install --quiet")
