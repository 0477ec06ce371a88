"""What every generated document shares: its scope re-checked when the job runs,
its file name, its issuing organ, and delivery as one file or a ZIP of parts.

The 承诺汇总表 and 公示栏 posters use these now; the 讲评 report, 公示 notice,
表彰决定 and certificates are meant to. Nothing here knows the organisation tree
or campaigns: the apps pass their own scoped lookups in, so core stays below them.
"""

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.utils import timezone

from core.jobs import JobError
from core.models import Job

T = TypeVar("T")


def recheck(job: Job, find: Callable[[Any], T | None], *, missing: str) -> T:
    """What the document is about, looked up again with the job's starter.

    The job may run minutes after it was asked for (a queue, a retry): a grant
    withdrawn meanwhile must stop it, so ``find(user)`` is the app's scoped
    lookup and None from it fails the job with ``missing`` (shown to the user).
    """
    user = job.created_by
    if user is None:
        raise JobError("发起人已不存在")
    found = find(user)
    if found is None:
        raise JobError(missing)
    return found


def stamp(now: dt.datetime | None = None) -> str:
    """The local minute a file was made, as its name carries it."""
    return timezone.localtime(now).strftime("%Y%m%d-%H%M")


def file_name(
    title: str, *, code: str = "", ext: str, suffix: str = "", stamped: bool = True
) -> str:
    """``标题-组织代码[-部分]-年月日-时分.ext``: a download says what it is, for whom
    and when, and two files of the same document do not overwrite each other
    on the user's disk. Parts inside a ZIP leave the time out (the ZIP has it)."""
    pieces = [title, code, suffix.lstrip("-"), stamp() if stamped else ""]
    return "-".join(piece for piece in pieces if piece) + f".{ext}"


class Issued(Protocol):
    """A campaign, or anything else that issues documents."""

    issuing_organ: str
    document_number: str
    organization: Any


def issuing_organ(issued: Issued) -> str:
    """发文机关: the campaign's own setting, else the organisation it sits on."""
    return issued.issuing_organ or issued.organization.name


def letterhead(issued: Issued) -> dict[str, Any]:
    """The 版头 and date of a document: issuing organ, 文号 and the day of issue."""
    return {
        "issuer": issuing_organ(issued),
        "document_number": issued.document_number,
        "issued_on": timezone.localdate(),
    }


@dataclass(frozen=True)
class Part:
    """One part of a document cut into several (numbered from 1)."""

    number: int
    total: int

    @property
    def label(self) -> str:
        """What the part's heading says; empty when there is one part."""
        return f"第{self.number}部分（共{self.total}部分）" if self.total > 1 else ""

    @property
    def suffix(self) -> str:
        """What the part's file name adds; empty when there is one part."""
        return f"-{self.number:02d}" if self.total > 1 else ""


def parts_of(items: Sequence[T]) -> list[tuple[Part, T]]:
    """Each item with its part number, for a document cut into ``len(items)`` parts."""
    return [(Part(number, len(items)), item) for number, item in enumerate(items, start=1)]


def pdf_or_zip(
    files: Sequence[tuple[str, bytes]], *, title: str, code: str = ""
) -> tuple[str, bytes]:
    """One part is delivered as its PDF; several as one ZIP of their PDFs, so a
    large document stays a set of bounded ones and still arrives as one file."""
    if len(files) == 1:
        return file_name(title, code=code, ext="pdf"), files[0][1]
    return file_name(title, code=code, ext="zip"), zip_files(files)


def zip_files(files: Sequence[tuple[str, bytes]]) -> bytes:
    """A ZIP of named files, stored (PDFs are already compressed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()
