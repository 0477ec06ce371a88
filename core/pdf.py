"""The one way every document of the product becomes a PDF.

WeasyPrint would fetch any URL a template (or a user's text) names, local files
included; here it fetches only our own static files and `data:` URLs, so a
document can never leak a server file or make a network request.
"""

import gc
import logging
import mimetypes
import posixpath
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils._os import safe_join
from django.utils.safestring import SafeString, mark_safe
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# Only a base for resolving "/static/..." links: ".invalid" never resolves
# (RFC 2606), and the fetcher answers these URLs from disk anyway.
PDF_BASE_URL = "http://pdf.invalid/"


class RefusedURL(ValueError):
    """A document named a resource outside our static files."""


class StaticOnlyURLFetcher(URLFetcher):
    """WeasyPrint's fetcher, narrowed to `data:` URLs and our static files.

    WeasyPrint 70 wants a `URLFetcher` instance (it reads attributes of it when
    a fetch fails), so this subclasses it rather than being a plain function.
    A refusal raises an ordinary exception: WeasyPrint logs it and leaves the
    image or stylesheet out instead of failing the whole document.
    """

    def __init__(self) -> None:
        # The parent's opener is only ever reached for data: URLs; the
        # protocol list refuses anything else even if that changes.
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        path = static_file_for(url)
        if path is None:
            logger.warning("PDF: refused to fetch %.200s", url)
            raise RefusedURL(f"only static files and data: URLs are allowed, not {url[:200]!r}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def static_file_for(url: str) -> Path | None:
    """The file on disk behind a static URL, or None when `url` is anything else.

    Static URLs arrive absolute (resolved against PDF_BASE_URL, or a CDN's
    STATIC_URL); we answer them from the finders or STATIC_ROOT, never the network.
    """
    prefix = urlsplit(urljoin(PDF_BASE_URL, settings.STATIC_URL))
    parts = urlsplit(url)
    if (parts.scheme.lower(), parts.netloc.lower()) != (
        prefix.scheme.lower(),
        prefix.netloc.lower(),
    ) or not parts.path.startswith(prefix.path):
        return None
    relative = unquote(parts.path[len(prefix.path) :])
    # Encoded "..", "//" or backslashes survive URL resolution: refuse them
    # here rather than trust each finder to.
    segments = relative.split("/")
    if not relative or "\\" in relative or "\0" in relative or {"", ".", ".."} & set(segments):
        return None
    if posixpath.normpath(relative) != relative:
        return None
    found = finders.find(relative)
    candidates = [found] if isinstance(found, str) else []
    if settings.STATIC_ROOT:
        try:
            candidates.append(safe_join(str(settings.STATIC_ROOT), relative))
        except SuspiciousFileOperation:  # outside STATIC_ROOT
            return None
    for candidate in candidates:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def html_to_pdf(html: str) -> bytes:
    """Lay out an HTML string as PDF with the static-only fetcher.

    Separate from render_pdf so callers and tests can hand over HTML that did
    not come from a template and still get the same fetching rules.
    """
    global _gc_frozen
    if not _gc_frozen:
        # What is alive before the first document (Django, the app) is moved out
        # of the collector's reach once, so each collection below walks only a
        # document's own leftovers.
        gc.collect()
        gc.freeze()
        _gc_frozen = True
    document = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticOnlyURLFetcher())
    data = document.write_pdf()
    # A layout is a large web of cycles (boxes, fonts) that waits for a full
    # collection; a worker rendering document after document grew to ~900 MB
    # without this, and stays under 300 MB with it, for ~5 ms per document.
    del document
    gc.collect()
    return data


_gc_frozen = False


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a template (usually extending pdf/base_gbt9704.html) to PDF bytes.

    Rendered in the site language whatever the caller's request was in, since
    a 公文 is Chinese; the font settings and the written-out date are added to
    the context so templates never format them themselves.
    """
    full_context: dict[str, Any] = {
        "pdf_title_font": css_string(settings.PDF_TITLE_FONT),
        "pdf_body_font": css_string(settings.PDF_BODY_FONT),
        "pdf_heading_font": css_string(settings.PDF_HEADING_FONT),
        "pdf_subheading_font": css_string(settings.PDF_SUBHEADING_FONT),
        **context,
    }
    issued_on = context.get("issued_on")
    if isinstance(issued_on, date) and "issued_on_text" not in context:
        full_context["issued_on_text"] = cn_date(issued_on)
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template_name, full_context)
    return html_to_pdf(html)


def cn_date(value: date) -> str:
    """A 成文日期 as GB/T 9704 writes it: Arabic numerals, no zero padding (2011年6月28日)."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def css_string(value: str) -> SafeString:
    """`value` as a quoted CSS string that cannot end the rule or the <style> element.

    Font names come from settings, not users, but a quote or "</style>" in
    one must still not break the stylesheet; autoescaping would not help,
    since HTML entities are not decoded inside <style>.
    """
    escaped = "".join(
        ch if ch.isalnum() or ch in " _-" else f"\\{ord(ch):x} " for ch in value.strip()
    )
    return mark_safe(f'"{escaped}"')  # noqa: S308 (every other character is escaped above)
