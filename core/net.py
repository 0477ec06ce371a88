"""Where a request came from, for rate limits (login throttle, 群众监督 comments)."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The visitor's address.

    Behind TRUSTED_PROXY_HOPS reverse proxies, each appending the address it saw
    to X-Forwarded-For, the visitor is that many entries from the right; entries
    further left were written by the visitor and are not trusted. With no proxy
    (0, the default) it is the connection's own address.
    """
    hops = settings.TRUSTED_PROXY_HOPS
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        entries = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(entries) >= hops:
            return entries[-hops]
    return request.META.get("REMOTE_ADDR", "")
