"""Serve the app with gunicorn, the production WSGI server, configured by webapi/gunicorn_conf.py."""

from __future__ import annotations

import os
import sys

from gunicorn.app.wsgiapp import WSGIApplication

from kb.advisor import RULES_ENV

CONFIG = "python:webapi.gunicorn_conf"
APP = "webapi:create_app()"
# the serve command's defaults: given as they are, they leave the configuration's values in force
DEFAULT_HOST, DEFAULT_PORT, DEFAULT_WORKERS = "127.0.0.1", 8000, 2


def gunicorn_argv(host: str, port: int, workers: int) -> list[str]:
    """gunicorn's command line: the config file, then only what the serve command changed."""
    argv = ["gunicorn", "-c", CONFIG]
    if (host, port) != (DEFAULT_HOST, DEFAULT_PORT):
        # as the configuration's own setting, so that the pidfile is named by it too
        os.environ["OVERDUE_ADVISOR_BIND"] = address(host, port)
    if workers != DEFAULT_WORKERS:
        argv += ["--workers", str(workers)]
    return [*argv, APP]


def address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def pidfile_for(host: str, port: int) -> str:
    """The pidfile of the server that the serve command with these --host/--port runs."""
    from webapi.reload import pidfile

    given = (host, port) != (DEFAULT_HOST, DEFAULT_PORT)
    return pidfile(address(host, port) if given else None)


def serve(rules: str | None, host: str, port: int, workers: int) -> None:
    if rules:
        os.environ[RULES_ENV] = os.path.abspath(rules)
    sys.argv = gunicorn_argv(host, port, workers)
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
