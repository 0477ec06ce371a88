"""What every login-free form needs: the visitor's address kept only as a keyed
hash, a rate limit that holds under concurrent posts, and visitor text cleaned
and capped.

Used by the pledge board's 群众监督 comments; 群众评议 codes and 公示 objections
are meant to use it too, so each form does not keep its own copy.
"""

import datetime as dt
import hashlib
import hmac
import zlib

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone


def address_hash(address: str) -> str:
    """A keyed hash of the visitor's address: posts from one address can be
    counted without storing where they came from (the key is SECRET_KEY, so the
    hash cannot be reversed by trying every IPv4 address)."""
    key = str(settings.SECRET_KEY).encode()
    return hmac.new(key, (address or "").encode(), hashlib.sha256).hexdigest()


def visitor_text(value: str | None, *, multiline: bool = True) -> str:
    """The visitor's text without control characters (a line break is kept
    where ``multiline``), trimmed: nothing invisible reaches a page or a PDF."""
    return "".join(ch for ch in (value or "") if ch >= " " or (multiline and ch == "\n")).strip()


def too_long(value: str, limit: int) -> bool:
    """Whether cleaned visitor text is over its cap (counted in characters, as
    the form's maxlength counts them)."""
    return len(value) > limit


def window_start(seconds: int) -> dt.datetime:
    """The start of a rate limit's window that ends now."""
    return timezone.now() - dt.timedelta(seconds=seconds)


def rate_allows(*, scope: str, key: str, recent: QuerySet, limit: int) -> bool:
    """Whether one more post by ``key`` fits: fewer than ``limit`` in ``recent``
    (the caller's posts by that key inside the window).

    Call it inside the transaction that then writes the post. Counting and
    inserting are two statements, so two posts racing would both count below
    the limit; on PostgreSQL a transaction-scoped advisory lock on (scope, key)
    makes the second wait until the first has committed, and its count then
    sees the first post. SQLite has one writer at a time and needs no lock.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("rate_allows must run inside the transaction that writes the post")
    _lock(scope, key)
    return recent.count() < limit


def _lock(scope: str, key: str) -> None:
    """Serialise posts by one key until the current transaction ends (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_int32(scope), _int32(key)])


def _int32(text: str) -> int:
    """A stable signed 32-bit number for an advisory lock key."""
    value = zlib.crc32(text.encode())
    return value - (1 << 32) if value >= 1 << 31 else value
