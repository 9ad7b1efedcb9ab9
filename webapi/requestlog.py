"""One JSON line per request: method, route template, status, duration, request id.

Never the path as sent, the query string, a header's value, the body or the client's address: a
diagram URL and a body carry a borrower's facts. `json.dumps` escapes every control character, so
nothing a client sends can start a line of its own.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid

ACCESS_LOGGER = "overdue_advisor.access"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_METHOD = re.compile(r"[A-Z]{1,16}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id(sent: str | None) -> str:
    """The client's X-Request-ID if it is a plain token of at most 64 characters, else a new one."""
    if sent is not None and _REQUEST_ID.fullmatch(sent):
        return sent
    return new_request_id()


def log_request(method: str, route: str, status: int, seconds: float, rid: str) -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not logger.isEnabledFor(logging.INFO):
        return
    method = method if _METHOD.fullmatch(method) else "other"
    line = {
        "event": "request",
        "request": f"{method} {route}",  # the route template, never the path as sent
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "request_id": rid,
    }
    logger.info(json.dumps(line))


class JsonLines(logging.Formatter):
    """Any log record as one JSON object on one line (the access lines pass through as they are)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.name == ACCESS_LOGGER:
            return message
        line = {
            "event": "log",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": message,
        }
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__  # the type only, never the values
        return json.dumps(line)


def configure_stderr_logging() -> None:
    """JSON lines on stderr for the service's loggers (gunicorn's config does the same for its own)."""
    for name in (ACCESS_LOGGER, "overdue_advisor"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonLines())
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
