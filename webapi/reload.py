"""A checked reload of the rules under gunicorn: SIGHUP, or `overdue-advisor reload`.

The master loads the rules folder in full, compiles it, runs lint, and only when all of that
passes builds the new app, which the workers gunicorn starts after the signal serve; the old
workers finish their requests and stop. A folder that fails is refused with its `file:line`
reasons in the server's log, and the loaded rules keep answering. Nothing here is imported at
start-up but the pidfile's name.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from typing import Any


def scratch_dir() -> str:
    """A writable folder in memory for worker heartbeats, metrics and the pidfile, even under a
    read-only root: OVERDUE_ADVISOR_TMP_DIR, else /dev/shm, else the temporary folder."""
    chosen = os.environ.get("OVERDUE_ADVISOR_TMP_DIR")
    if chosen:
        return chosen
    memory = "/dev/shm"
    return memory if os.path.isdir(memory) and os.access(memory, os.W_OK) else tempfile.gettempdir()


def pidfile(bind: str | None = None) -> str:
    """The running server's pidfile: OVERDUE_ADVISOR_PIDFILE, else the one named by its address."""
    chosen = os.environ.get("OVERDUE_ADVISOR_PIDFILE")
    if chosen:
        return chosen
    address = bind or (os.environ.get("OVERDUE_ADVISOR_BIND") or "127.0.0.1:8000").split(",")[0]
    return default_pidfile(address, scratch_dir())


def default_pidfile(bind: str, folder: str) -> str:
    """One pidfile per address, so two servers on one host never share one."""
    name = re.sub(r"[^A-Za-z0-9.]+", "-", bind).strip("-")
    return os.path.join(folder, f"overdue-advisor-{name}.pid")


def rules_note(pid_path: str) -> str:
    """Beside the pidfile: the rules folder the server reads, so `reload` checks that very folder."""
    return pid_path + ".rules"


def note_rules_folder(pid_path: str | None) -> None:
    if pid_path:
        from kb.advisor import rules_dir

        with open(rules_note(pid_path), "w", encoding="utf-8") as note:
            note.write(str(rules_dir().resolve()))


def forget_rules_folder(pid_path: str | None) -> None:
    if pid_path:
        with contextlib.suppress(OSError):
            os.remove(rules_note(pid_path))


def is_server(pid: int) -> bool:
    """Whether a pid (read from a pidfile that may be stale) is still an overdue-advisor server."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as command:
            words = command.read().split(b"\0")
    except OSError:
        return False
    return any(b"gunicorn" in word or word.endswith(b"overdue-advisor") or word == b"kb" for word in words)


def checked_app(rules: str | None = None) -> Any:
    """A new app for the rules folder, or RulesError naming every problem (lint's errors included)."""
    from kb.advisor import Advisor, load_checked, rules_dir
    from kb.loader import Problem, RulesError
    from kb.verify import lint
    from webapi import create_app

    book = load_checked(rules_dir(rules))
    report = lint(book)
    if report.errors:
        problems = []
        for finding in report.errors:
            file, _, line = (finding.at[0] if finding.at else "rules:0").rpartition(":")
            problems.append(Problem(file or "rules", int(line) if line.isdigit() else 0, finding.message))
        raise RulesError(problems)
    return create_app(advisor=Advisor(book))


def swap_rules(server: Any) -> None:
    """gunicorn's on_reload hook: serve the reloaded rules from the next workers, if they pass."""
    from kb.loader import RulesError

    current = server.app.callable
    try:
        app = checked_app()
    except RulesError as error:
        reasons = "; ".join(str(problem) for problem in error.problems[:20])
        server.log.error("rules refused on reload, the loaded rules keep answering: %s", reasons)
        return
    except Exception as error:  # anything else: the loaded rules keep answering all the same
        kind = type(error).__name__
        server.log.error("rules refused on reload (%s), the loaded rules keep answering", kind)
        return
    new = app.extensions["overdue_advisor"].book.kb_version
    old = current.extensions["overdue_advisor"].book.kb_version if current is not None else None
    server.app.callable = app
    server.log.info("rules reloaded: %s (was %s)", new, old)
