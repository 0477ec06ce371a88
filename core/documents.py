"""What every generated document shares: its scope re-checked when the job runs,
its file name, its 文号 and issuing organ, and delivery as one file or a ZIP of parts.

The 承诺汇总表 and 公示栏 posters use these now; the 讲评 report, 公示 notice,
表彰决定 and certificates are meant to. Nothing here knows the organisation tree
or campaigns: the apps pass their own scoped lookups and issuing organs in, so
core stays below them.
"""

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs import JobError
from core.models import DocumentNumber, DocumentSequence, Job

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


# The placeholders of a 文号 pattern (Organization.document_number_pattern).
YEAR, NUMBER = "{year}", "{number}"


@dataclass(frozen=True)
class Organ:
    """An issuing organ (发文机关) as the app that owns it describes it."""

    key: int  # the issuing organisation's id: numbers count per key and year
    name: str  # printed in the 版头 and as the signature
    number_pattern: str  # e.g. 明组〔{year}〕{number}号


def pattern_problems(pattern: str) -> list[str]:
    """What is wrong with a 文号 pattern, in Chinese; empty when it is usable.

    It needs the year and the number once each (numbers restart every year, so
    a pattern without the year would print the same 文号 twice) and no other
    braces, which would read as placeholders that nothing fills.
    """
    problems = []
    for placeholder, label in ((YEAR, _("年份")), (NUMBER, _("顺序号"))):
        count = pattern.count(placeholder)
        if count != 1:
            problems.append(
                _("文号格式应含一个 %(placeholder)s（%(label)s），现有 %(count)s 个")
                % {"placeholder": placeholder, "label": label, "count": count}
            )
    rest = pattern.replace(YEAR, "").replace(NUMBER, "")
    if "{" in rest or "}" in rest:
        problems.append(_("文号格式中的花括号只能用于 {year} 和 {number}"))
    return problems


def format_number(pattern: str, *, year: int, number: int) -> str:
    """A 文号 from its pattern, as GB/T 9704 writes it: Arabic numerals, the
    number unpadded and without 第 (明组〔2026〕12号). Plain replacement, not
    str.format, so a pattern can never reach an attribute."""
    return pattern.replace(YEAR, str(year)).replace(NUMBER, str(number))


def number_document(job: Job, organ: Organ, *, title: str) -> DocumentNumber:
    """The job's 文号: the one it was given on an earlier run, else the organ's
    next number of the year.

    Runs inside the transaction that makes the document (``issuing``): the
    organ's counter row stays locked until that transaction ends, so documents
    of one organ are numbered one at a time, and a document that fails rolls
    its number back, leaving no gap.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_document must run inside the document's transaction")
    today = timezone.localdate()
    # The insert comes first: it is a write, so on SQLite it takes the write
    # lock before any read (a read first could not upgrade under a second
    # writer); on PostgreSQL a second inserter waits here for the first's commit.
    DocumentSequence.objects.bulk_create(
        [DocumentSequence(organ=organ.key, year=today.year)], ignore_conflicts=True
    )
    earlier = DocumentNumber.objects.filter(job=job).first()
    if earlier is not None:
        return earlier
    sequence = DocumentSequence.objects.select_for_update().get(organ=organ.key, year=today.year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return DocumentNumber.objects.create(
        job=job,
        organ=organ.key,
        organ_name=organ.name[:128],
        year=today.year,
        serial=sequence.last,
        text=format_number(organ.number_pattern, year=today.year, number=sequence.last),
        title=title[:200],
        issued_on=today,
    )


def letterhead(number: DocumentNumber) -> dict[str, Any]:
    """What the base layout prints from a 文号 record: issuing organ (版头 and
    signature), 文号 and 成文日期."""
    return {"issuer": number.organ_name, "doc_number": number.text, "issued_on": number.issued_on}


@contextmanager
def issuing(job: Job, organ: Organ, *, title: str) -> Iterator[dict[str, Any]]:
    """Number a document and make it in one transaction.

    Yields the letterhead for the template; the caller renders and saves the
    file inside the block. If anything in the block fails, the number is given
    back with the rest; a re-run of the same job gets the number it had.
    Documents of one organ wait for each other here (the counter row's lock),
    those of different organs do not.
    """
    with transaction.atomic():
        yield letterhead(number_document(job, organ, title=title))


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
