"""The account the service runs as: never root.

Started by root (a fresh VM or container, where the README's commands are often run as root),
`overdue-advisor serve` turns the whole process into an unprivileged account before it reads the
rules, binds its socket or writes anything, so the gunicorn master and every worker it forks run
as that account. Only the installer needs root (apt, the account itself, pip into .venv).

The account is OVERDUE_ADVISOR_USER, by default `overdue-advisor`, a system account without a
home or a login shell that scripts/install.sh creates. It needs to read the installed package
(the venv) and the rules, and to write only its scratch folder (/dev/shm by default: the pidfile,
the worker heartbeats, the metrics). Each of these is checked right after the switch, so a
folder the account cannot reach (a checkout under /root, which is 0700) stops the start with its
path, not with a traceback from inside a worker.

Started by any other user, nothing changes: the service runs as that user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import sys
from pathlib import Path

USER_ENV = "OVERDUE_ADVISOR_USER"
SERVICE_USER = "overdue-advisor"
CREATE = (
    f"useradd --system --user-group --no-create-home --home-dir /nonexistent "
    f"--shell /usr/sbin/nologin {SERVICE_USER}"
)


def service_account() -> pwd.struct_passwd:
    """The account named by OVERDUE_ADVISOR_USER (a name or a uid), else `overdue-advisor`."""
    name = os.environ.get(USER_ENV) or SERVICE_USER
    try:
        account = pwd.getpwuid(int(name)) if name.isdigit() else pwd.getpwnam(name)
    except KeyError:
        raise SystemExit(
            f"serve: started as root, the service runs as the account {name!r}, which does not exist. "
            f"./scripts/serve creates {SERVICE_USER!r}; by hand: {CREATE}; or name an existing "
            f"unprivileged account in {USER_ENV}."
        ) from None
    if account.pw_uid == 0:
        raise SystemExit(
            f"serve: {USER_ENV}={name} is root, and the service does not run as root: "
            f"name an unprivileged account (default {SERVICE_USER!r})."
        )
    return account


def become_service_account(rules: Path, pid_path: str | None = None) -> str | None:
    """As root: switch for good (real, effective and saved ids; the account's groups) to the
    service account, then check that it reaches what serving needs. Returns the account's name,
    or None when the process was not root (then nothing is done)."""
    if os.geteuid() != 0:
        return None
    account = service_account()
    if pid_path:
        clear_stale_pidfile(pid_path, account.pw_uid)
    try:
        os.initgroups(account.pw_name, account.pw_gid)
        os.setresgid(account.pw_gid, account.pw_gid, account.pw_gid)
        os.setresuid(account.pw_uid, account.pw_uid, account.pw_uid)
    except PermissionError as error:  # root without CAP_SETUID/CAP_SETGID, as in some containers
        raise SystemExit(
            f"serve: started as root but cannot become {account.pw_name!r} ({error.strerror}); "
            f"start it as an unprivileged user instead."
        ) from None
    # what su and systemd's User= set; root's runtime folder is not this account's
    os.environ.update(HOME=account.pw_dir, USER=account.pw_name, LOGNAME=account.pw_name)
    os.environ.pop("XDG_RUNTIME_DIR", None)
    missing = unreachable(rules)
    if missing:
        raise SystemExit(
            f"serve: started as root, the service runs as {account.pw_name!r}, which cannot "
            + "; ".join(missing)
            + ". Put the checkout and any rules folder where every account may read them (under /srv "
            "or /opt, say, not /root), let OVERDUE_ADVISOR_TMP_DIR be a folder the account may write, "
            f"or name another account in {USER_ENV}."
        )
    return account.pw_name


def clear_stale_pidfile(path: str, owner: int) -> None:
    """Remove, while still root, a pidfile of another owner whose process is no server any more
    (one left by a server that ran as root and was killed): in /dev/shm, a sticky folder, the
    account could not replace it and gunicorn would stop. A live server's pidfile stays."""
    from webapi.reload import is_server, rules_note

    try:
        if os.stat(path).st_uid == owner:
            return
        text = Path(path).read_text(encoding="ascii").strip()
    except OSError:
        return
    if text.isdigit() and is_server(int(text)):
        return
    for stale in (path, rules_note(path)):
        with contextlib.suppress(OSError):
            os.remove(stale)


def unreachable(rules: Path) -> list[str]:
    """What the current account cannot do of what serving needs, as 'read PATH', 'write PATH' or
    'enter PATH'; a path inside one already named is left out (a checkout under /root is one)."""
    import gunicorn

    import kb
    import webapi
    from webapi.reload import scratch_dir

    checks: list[tuple[str, str, bool]] = [
        ("enter the current folder", os.getcwd(), os.access(os.getcwd(), os.X_OK))
    ]
    # the venv, the standard library of its Python (not under /root, say) and the packages
    packages = (os.__file__, kb.__file__, webapi.__file__, gunicorn.__file__)
    for folder in (sys.prefix, *(os.path.dirname(path) for path in packages if path)):
        checks.append(("read", folder, os.access(folder, os.R_OK | os.X_OK)))
    checks.extend(("read", str(path), False) for path in unreadable_rules(rules))
    scratch = scratch_dir()
    checks.append(("write", scratch, os.access(scratch, os.W_OK | os.X_OK)))
    found: list[str] = []
    named: list[str] = []
    for verb, path, reachable in checks:
        if reachable or any(path == done or path.startswith(done.rstrip("/") + "/") for done in named):
            continue
        named.append(path)
        found.append(f"{verb} {path}" + (" (OVERDUE_ADVISOR_TMP_DIR)" if verb == "write" else ""))
    return found


def unreadable_rules(rules: Path) -> list[Path]:
    """The rules folder when it cannot be listed, else each folder or file below it that cannot be read."""
    if not os.access(rules, os.R_OK | os.X_OK):
        return [rules]
    blocked: list[Path] = []

    def cannot_list(error: OSError) -> None:
        blocked.append(Path(error.filename))

    for folder, _, files in os.walk(rules, onerror=cannot_list):
        blocked.extend(Path(folder, name) for name in files if not os.access(Path(folder, name), os.R_OK))
    return sorted(set(blocked))
