"""scripts/serve and scripts/test: what each installs, and no reinstall when nothing changed."""

from __future__ import annotations

import subprocess
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
