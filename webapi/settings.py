"""The service's own limits, read from the environment (gunicorn's settings are in gunicorn_conf.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass

PREFIX = "OVERDUE_ADVISOR_"
MAX_BODY = 64 * 1024


def env_number(name: str, default: float) -> float:
    """A positive number from OVERDUE_ADVISOR_<name>, else `default`; a bad value stops the start."""
    text = os.environ.get(PREFIX + name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise SystemExit(f"{PREFIX}{name}: not a number: {text!r}") from None
    if not value > 0:
        raise SystemExit(f"{PREFIX}{name}: must be positive, not {text!r}")
    return value


@dataclass(frozen=True)
class Settings:
    header_timeout: float = 10.0  # seconds from a request's first byte to the end of its headers
    body_timeout: float = 10.0  # seconds to receive the whole body once the headers are in
    max_body: int = MAX_BODY  # bytes; the API contract fixes 64 KiB
    max_renders: int = 2  # drawings rendered on demand at once per worker, past it 503
    path_rate: float = 20.0  # path diagrams drawn per second per worker (bursts as large), past it 503
    # browser origins allowed to call the API (CORS); none by default
    cors_origins: tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            header_timeout=env_number("HEADER_TIMEOUT", cls.header_timeout),
            body_timeout=env_number("BODY_TIMEOUT", cls.body_timeout),
            max_body=MAX_BODY,
            max_renders=int(env_number("MAX_RENDERS", cls.max_renders)),
            path_rate=env_number("PATH_RATE", cls.path_rate),
            cors_origins=cors_origins(os.environ.get(PREFIX + "CORS_ORIGINS", "")),
        )


def cors_origins(text: str) -> tuple[str, ...]:
    """Comma-separated origins such as https://app.example.org; a bad one stops the start."""
    found = tuple(part.strip().rstrip("/") for part in text.split(",") if part.strip())
    for origin in found:
        scheme, _, host = origin.partition("://")
        if scheme not in ("http", "https") or not host or "/" in host or "*" in origin:
            raise SystemExit(f"{PREFIX}CORS_ORIGINS: not an origin (scheme://host[:port]): {origin!r}")
    return found
