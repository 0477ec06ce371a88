"""Structured logs: every record carries what it happened in (the request's id
and user, the job's id and kind), and with ``LOG_FORMAT=json`` is one JSON
object a line, for a log collector to index.

``RequestLogMiddleware`` gives each request an id (the proxy's ``X-Request-ID``
when it is a plain token, else a new one), answers it in the same header and
logs one ``request`` line at the end: method, path, status, duration, user id.
``core.jobs`` logs each job's start and end with its id, kind and state.
Nothing here logs a query string, a form field or a header value other than
the request id; paths that carry a secret (a survey code) are logged as their
route pattern.
"""

import contextlib
import contextvars
import datetime as dt
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from django.utils.functional import empty

log = logging.getLogger("core.requests")

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "log_context", default=None
)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# URL names whose path holds a secret: the survey code is the voter's key.
SECRET_PATHS = {"survey_code"}
# Attributes every LogRecord has; the rest were passed as ``extra``.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


@contextlib.contextmanager
def context(**fields: Any) -> Iterator[None]:
    """Add fields to every record logged inside the block (this thread or task)."""
    token = _context.set((_context.get() or {}) | fields)
    try:
        yield
    finally:
        _context.reset(token)


def current() -> dict[str, Any]:
    return dict(_context.get() or {})


class ContextFilter(logging.Filter):
    """Copy the current context (request id, user, job) onto the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        request = getattr(record, "request", None)
        if request is not None and isinstance(record.args, tuple):
            # django.request's "Not Found: <path>": the route, where the path holds a secret.
            path, shown = getattr(request, "path", None), _path(request)
            if path != shown:
                record.args = tuple(shown if arg == path else arg for arg in record.args)
            if not hasattr(record, "request_id") and hasattr(request, "request_id"):
                record.request_id = request.request_id  # logged after the middleware returned
        return True


# Django passes the request object itself with its error records: its repr holds
# the full path (a survey code), and the request line already says what it was.
_DROPPED = {"request"}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        k: v
        for k, v in record.__dict__.items()
        if k not in _STANDARD and k not in _DROPPED and not k.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the
    context and ``extra`` fields, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A readable line: level, logger, message, then the context as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = _fields(record)
        if not extra:
            return line
        first, newline, rest = line.partition("\n")
        pairs = " ".join(f"{k}={v}" for k, v in extra.items())
        return f"{first} [{pairs}]{newline}{rest}"


def request_id(request: Any) -> str:
    offered = request.headers.get("X-Request-ID", "")
    return offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex


def _user_id(request: Any) -> int | None:
    """The signed-in user's id if the request already looked the user up; the log
    line never costs a session read of its own."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty:
        return None
    return getattr(wrapped, "pk", None)


def _path(request: Any) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name in SECRET_PATHS:
        return "/" + match.route
    return request.path


class RequestLogMiddleware:
    """Outermost: one ``request`` line per request, and its id on every record
    logged while it is handled."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request_id(request)
        request.request_id = rid
        started = time.perf_counter()
        with context(request_id=rid):
            response = self.get_response(request)
            duration = round((time.perf_counter() - started) * 1000, 1)
            response["X-Request-ID"] = rid
            status = response.status_code
            log.log(
                logging.ERROR if status >= 500 else logging.INFO,
                "%s %s %s %.1f ms",
                request.method,
                _path(request),
                status,
                duration,
                extra={
                    "method": request.method,
                    "path": _path(request),
                    "status": status,
                    "duration_ms": duration,
                    "user_id": _user_id(request),
                },
            )
        return response
