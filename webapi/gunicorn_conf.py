"""gunicorn settings of overdue-advisor: every one here, each overridable by the environment.

Used by `overdue-advisor serve` and usable as it is:
    gunicorn -c python:webapi.gunicorn_conf 'webapi:create_app()'
Precedence, lowest first: the defaults below, OVERDUE_ADVISOR_<NAME> variables, the serve command's
--host/--port/--workers when given, GUNICORN_CMD_ARGS, gunicorn's own command line.

Imported by root, this module first makes the process the unprivileged service account, so it is
meant for gunicorn only (the account is OVERDUE_ADVISOR_USER, not gunicorn's --user/--group).
"""

from __future__ import annotations

import os
import pwd
import tempfile
from typing import Any

from kb.advisor import rules_dir
from webapi.account import become_service_account
from webapi.reload import forget_rules_folder, note_rules_folder, scratch_dir, swap_rules
from webapi.reload import pidfile as pidfile_of
from webapi.requestlog import JsonLines  # noqa: F401  (named by the logging configuration below)


def _env(name: str, default: str) -> str:
    return os.environ.get(f"OVERDUE_ADVISOR_{name}") or default


# --- the account: never root ---
# Started as root (gunicorn run by hand; `overdue-advisor serve` has already switched), the whole
# process becomes OVERDUE_ADVISOR_USER here, before anything below writes or binds (webapi/account.py).
become_service_account(rules_dir().absolute(), pidfile_of(_env("BIND", "127.0.0.1:8000").split(",")[0]))
# gunicorn's user and group default to the ids it was imported with, maybe root's: the workers run
# as the master does, and their heartbeat files are not handed to another owner
user = os.geteuid()
group = os.getegid()

# --- the socket and the processes ---
bind = _env("BIND", "127.0.0.1:8000").split(",")
workers = int(_env("WORKERS", "2"))
# gevent's loop: a slow client costs a greenlet, not a thread; header and body deadlines answer 408
worker_class = "webapi.worker.HardenedWorker"
worker_connections = int(_env("WORKER_CONNECTIONS", "1000"))  # open connections per worker
backlog = int(_env("BACKLOG", "2048"))
# The master loads and checks the rules once; workers (and their replacements) inherit that one
# snapshot and never read the rules folder themselves.
preload_app = True
timeout = int(_env("TIMEOUT", "30"))  # a worker silent this long is killed and replaced
graceful_timeout = int(_env("GRACEFUL_TIMEOUT", "20"))
keepalive = int(_env("KEEPALIVE", "5"))  # must stay > 0: the header deadline is applied per request
max_requests = int(_env("MAX_REQUESTS", "0"))
max_requests_jitter = int(_env("MAX_REQUESTS_JITTER", "0"))

# --- request limits (the body limit of 64 KiB is the API's own, in webapi/settings.py) ---
limit_request_line = int(_env("LIMIT_REQUEST_LINE", "4094"))  # past it: 414
limit_request_fields = int(_env("LIMIT_REQUEST_FIELDS", "50"))  # past it: 431
limit_request_field_size = int(_env("LIMIT_REQUEST_FIELD_SIZE", "8190"))  # past it: 431

# --- behind a reverse proxy ---
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# --- files: nothing on the root file system, so a read-only root works ---
scratch = scratch_dir()
worker_tmp_dir = scratch
# no control socket: gunicorn's default is one ~/.gunicorn/gunicorn.ctl shared by every instance
control_socket_disable = True
# the master's pid, for `overdue-advisor reload` (one file per address)
pidfile = pidfile_of(bind[0])
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # before the app (and so prometheus_client) is loaded: every worker writes its metrics here
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="overdue-advisor-metrics-", dir=scratch)

# --- logs: JSON lines on stderr, one per request from the app; no access log with request lines ---
accesslog = None
errorlog = "-"
loglevel = _env("LOG_LEVEL", "info")
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "webapi.requestlog.JsonLines"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    },
    "root": {"level": "WARNING", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        "overdue_advisor": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "overdue_advisor.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
}


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def when_ready(server: Any) -> None:
    note_rules_folder(server.cfg.pidfile)
    uid = os.getuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid without an account, as some container platforms give
        name = "uid"
    server.log.info("running as %s (uid %d)", name, uid)


def on_exit(server: Any) -> None:
    import shutil

    forget_rules_folder(server.cfg.pidfile)

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if os.path.basename(folder).startswith("overdue-advisor-metrics-"):
        shutil.rmtree(folder, ignore_errors=True)


def on_reload(server: Any) -> None:
    """SIGHUP: load, check and lint the rules in full; serve them from the next workers only if
    they pass (webapi/reload.py)."""
    swap_rules(server)
