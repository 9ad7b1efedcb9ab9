"""The gunicorn worker of the service: gevent's event loop with read deadlines and problem answers.

gunicorn's gevent worker keeps one cheap greenlet per connection, so a client that sends its
request a byte at a time holds no thread. This subclass adds what gunicorn leaves out:

- a header deadline: a request whose line and headers have not all arrived `header_timeout`
  seconds after the connection was ready for it is answered 408 (a connection that stayed silent
  is closed without a word, as a keep-alive timeout);
- a body deadline and limit, whatever the framing: the body is read in full before the
  application runs, within `body_timeout` seconds (else 408) and up to the body limit (else 413);
  a malformed chunked body is 400;
- every error gunicorn itself answers (bad request line, 414, 431, bad Content-Length, ...) as
  RFC 9457 problem JSON, logged as one JSON line without the request line, the client's address
  or anything the client sent.

The deadlines and the limit come from the environment (see `webapi.settings`), as the other
settings in webapi/gunicorn_conf.py do.
"""

from __future__ import annotations

import io
import logging
import socket
import time
from typing import Any

import gevent
from gunicorn.http import errors as http_errors
from gunicorn.http.body import LengthReader
from gunicorn.workers.ggevent import GeventWorker

from webapi.metrics import worker_metrics
from webapi.problems import problem_bytes
from webapi.requestlog import log_request, new_request_id
from webapi.settings import Settings

log = logging.getLogger("overdue_advisor")
DRAIN_LIMIT = 1024 * 1024  # unread body bytes swallowed before closing, so the answer is not reset
DRAIN_SECONDS = 2.0


class HeaderTimeout(Exception):
    """The request line and headers did not arrive in time."""


class BodyTimeout(Exception):
    """The body did not arrive in time."""


class BodyTooLarge(Exception):
    """The body is over the limit."""


class _Counted:
    """The client socket, counting the bytes received: a deadline with none was an idle connection."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.received = 0
        self.mark = 0  # `received` when the current request's head began

    def recv(self, size: int, *flags: int) -> bytes:
        data = self._sock.recv(size, *flags)
        self.received += len(data)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _HeaderDeadline:
    """`timeout_ctx` of the worker: a gevent timeout around the parsing of one request's head."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.timer: gevent.Timeout | None = None

    def __enter__(self) -> None:
        conn = getattr(gevent.getcurrent(), "oa_conn", None)
        if conn is not None:
            conn.mark = conn.received
        self.timer = gevent.Timeout(self.seconds, HeaderTimeout())
        self.timer.start()

    def __exit__(self, *exc: object) -> None:
        if self.timer is not None:
            self.timer.close()


# gunicorn's own refusals: (status, title, what to tell the client)
_REFUSALS: list[tuple[type[BaseException], int, str, str]] = [
    (http_errors.LimitRequestLine, 414, "URI Too Long", "The request line is too long."),
    (
        http_errors.LimitRequestHeaders,
        431,
        "Request Header Fields Too Large",
        "Too many header fields, or one is too long.",
    ),
    (
        http_errors.UnsupportedTransferCoding,
        501,
        "Not Implemented",
        "This transfer coding is not supported.",
    ),
    (http_errors.ExpectationFailed, 417, "Expectation Failed", "Only Expect: 100-continue is supported."),
    (http_errors.ForbiddenProxyRequest, 403, "Forbidden", "The request is forbidden."),
    (
        http_errors.InvalidChunkSize,
        400,
        "Bad Request",
        "The chunked body is malformed.",
    ),
    (http_errors.ChunkMissingTerminator, 400, "Bad Request", "The chunked body is malformed."),
    (http_errors.InvalidChunkExtension, 400, "Bad Request", "The chunked body is malformed."),
    (http_errors.InvalidRequestLine, 400, "Bad Request", "The request line is malformed."),
    (http_errors.InvalidRequestMethod, 400, "Bad Request", "The request method is malformed."),
    (http_errors.InvalidHTTPVersion, 400, "Bad Request", "The HTTP version is not supported."),
    (http_errors.ObsoleteFolding, 400, "Bad Request", "Folded header lines are not accepted."),
    (http_errors.InvalidHeaderName, 400, "Bad Request", "A header name is malformed."),
    (http_errors.InvalidHeader, 400, "Bad Request", "A header is malformed or given twice."),
    (http_errors.InvalidSchemeHeaders, 400, "Bad Request", "The scheme headers contradict each other."),
    (http_errors.InvalidProxyLine, 400, "Bad Request", "The proxy protocol line is malformed."),
    (http_errors.ConfigurationProblem, 500, "Internal Server Error", "The service failed on this request."),
    (http_errors.ParseException, 400, "Bad Request", "The request is malformed."),
    (http_errors.NoMoreData, 400, "Bad Request", "The body ended before its declared length."),
    (HeaderTimeout, 408, "Request Timeout", "The request headers did not arrive in time."),
    (BodyTimeout, 408, "Request Timeout", "The request body did not arrive in time."),
    (BodyTooLarge, 413, "Content Too Large", "The request body is larger than 64 KiB."),
]


def refusal(error: BaseException) -> tuple[int, str, str]:
    for kind, status, title, detail in _REFUSALS:
        if isinstance(error, kind):
            return status, title, detail
    return 500, "Internal Server Error", "The service failed on this request."


class HardenedWorker(GeventWorker):  # type: ignore[misc]
    """gunicorn's gevent worker with header and body deadlines and problem-JSON errors."""

    settings: Settings

    def init_process(self) -> None:
        self.settings = Settings.from_env()
        super().init_process()

    def timeout_ctx(self) -> _HeaderDeadline:
        return _HeaderDeadline(self.settings.header_timeout)

    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        conn = _Counted(client)
        gevent.getcurrent().oa_conn = conn
        super().handle(listener, conn, addr)

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> bool:
        started = time.monotonic()
        try:
            self._read_body(req, sock)
        except OSError as error:
            if not isinstance(error, http_errors.NoMoreData):
                raise  # the client went away: nobody to answer
            self._refuse(sock, error, req, started)
            raise StopIteration() from None
        except Exception as error:
            self._refuse(sock, error, req, started)
            raise StopIteration() from None
        return bool(super().handle_request(listener_name, req, sock, addr))

    def _read_body(self, req: Any, sock: Any) -> None:
        """The whole body, read now within the deadline and the limit, handed to the app from memory."""
        limit = self.settings.max_body
        declared = next((value for name, value in req.headers if name == "CONTENT-LENGTH"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge()
        if req._expected_100_continue:
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            req._expected_100_continue = False
        with gevent.Timeout(self.settings.body_timeout, BodyTimeout()):
            body = req.body.read(limit + 1)
        if len(body) > limit:
            raise BodyTooLarge()
        req.body.reader = LengthReader(_Empty(), 0)
        req.body.buf = io.BytesIO()
        req.body.buf.write(body)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if isinstance(exc, HeaderTimeout) and getattr(client, "received", 1) == getattr(client, "mark", 0):
            return  # an idle keep-alive connection: closed without an answer
        self._refuse(client, exc, req, time.monotonic())

    def _refuse(self, sock: Any, error: BaseException, req: Any, started: float) -> None:
        status, title, detail = refusal(error)
        if status == 500:
            log.error("request failed in the server: %s", type(error).__name__)
        request_id = new_request_id()
        body = problem_bytes(status, title, detail)
        head = (
            f"HTTP/1.1 {status} {title}\r\n"
            "Connection: close\r\n"
            "Content-Type: application/problem+json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            "Cache-Control: no-store\r\n"
            "Referrer-Policy: no-referrer\r\n"
            f"X-Request-ID: {request_id}\r\n"
            "\r\n"
        ).encode("ascii")
        method = getattr(req, "method", None) or "-"
        worker_metrics().refused.labels(reason=_reason(error, status)).inc()
        log_request(method, "-", status, time.monotonic() - started, request_id)
        try:
            sock.sendall(head + body)
            if status in (408, 413):
                _drain(sock)
        except OSError:
            pass


def _reason(error: BaseException, status: int) -> str:
    if isinstance(error, HeaderTimeout):
        return "header_timeout"
    if isinstance(error, BodyTimeout):
        return "body_timeout"
    return {413: "too_large", 500: "server_error"}.get(status, "malformed")


class _Empty:
    """An unreader with nothing left: the body was read ahead."""

    def read(self) -> bytes:
        return b""

    def unread(self, data: bytes) -> None:  # pragma: no cover - nothing is ever pushed back
        pass


def _drain(sock: Any) -> None:
    """Swallow what the client is still sending, for a while, so closing does not reset the answer."""
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        return
    swallowed = 0
    with gevent.Timeout(DRAIN_SECONDS, False):
        while swallowed < DRAIN_LIMIT:
            data = sock.recv(65536)
            if not data:
                break
            swallowed += len(data)
