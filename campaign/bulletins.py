"""工作简报 / 通报 / 检查通报: who reads and writes them, every write, the workflow.

- **Writing** (起草, 修改 a draft, 附件, 发布, 撤回): the issuing organisation's
  REVIEW roles (the office, a committee; a grant reaches down, so the office
  above may act for a committee below) and the admin (``may_write``).
- **Reading** (``bulletins_for``): a published bulletin to 本组织及下级 by the
  staff (``READ_RECORDS``) whose grant is in the issuing organisation's subtree
  or above it; a 公开 one by everyone (and on ``/jianbao/``); drafts and
  withdrawn ones by those who may write them.
- **期数**: given at 发布, the next number of the issuing organisation's year
  in the bulletin's kind (工作简报, 通报 and 检查通报 are each their own
  series, as an office numbers them), taken under a lock on the
  organisation's row, so two publishers never print the same number; a
  unique constraint backs it.
- **Body**: plain text (control characters stripped, line ends normalised,
  at most one blank line between paragraphs), at most ``BODY_MAX`` characters;
  pages print it escaped, a paragraph per blank line.
- **Files**: PDF, PNG or JPG by content (``core.uploads.sniff``), at most
  ``ATTACHMENT_MAX_BYTES``; a picture is re-encoded without its metadata.
- **Sources**: a bulletin made from another record (a spot-check round's
  检查通报) is ``draft_from_source``'s, once per record; the record's app
  registers the link back (``register_source_link``), so campaign imports
  nothing above it.
"""

import io
import re
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from campaign.models import Campaign
from campaign.models_bulletins import BODY_MAX, Bulletin, BulletinAttachment
from core import audit, uploads, workflow
from core.public import visitor_text
from core.registry import Registry
from orgs import selectors
from orgs.models import Organization

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = (uploads.PDF, uploads.PNG, uploads.JPEG)
ATTACHMENTS_MAX = 10  # files per bulletin
IMAGE_MAX_PIXELS = 40_000_000
TITLE_MAX = 100


class BulletinError(workflow.DomainError):
    """A write refused; the message is for the user (in Chinese)."""


# ------------------------------------------------------------------ who may


def may_write(user: Any, bulletin_or_org: Bulletin | Organization) -> bool:
    """REVIEW on the issuing organisation (or the admin)."""
    org = bulletin_or_org.organization if isinstance(bulletin_or_org, Bulletin) else bulletin_or_org
    return selectors.can(user, selectors.REVIEW, org)


def issuers_for(user: Any) -> QuerySet[Organization]:
    """The organisations a user may issue for on the new-bulletin form: those they
    hold REVIEW on directly (the admin: the roots and the level below them)."""
    if getattr(user, "is_superuser", False):
        top = Q(parent__isnull=True) | Q(parent__parent__isnull=True)
        return Organization.objects.filter(top, is_active=True).order_by("tree_id", "lft")
    return selectors.own_units(user, selectors.REVIEW)


def bulletins_for(user: Any) -> QuerySet[Bulletin]:
    """Every bulletin the user may read (see the module's text)."""
    qs = Bulletin.objects.select_related("organization", "campaign")
    if getattr(user, "is_superuser", False) and user.is_active:
        return qs
    published = Q(state=Bulletin.State.PUBLISHED)
    q = published & Q(audience=Bulletin.Audience.PUBLIC)
    readers = selectors.grant_ranges(user, selectors.READ_RECORDS) or []
    if readers:
        reach = selectors.subtrees_q(readers, "organization__") | selectors.covering_q(
            readers, "organization__"
        )
        q |= published & reach
    writers = selectors.grant_ranges(user, selectors.REVIEW) or []
    if writers:
        q |= selectors.subtrees_q(writers, "organization__")
    return qs.filter(q)


def drafts_for(user: Any) -> QuerySet[Bulletin]:
    """The drafts the user may publish (the 待办 line and its list)."""
    writers = selectors.scope_q(user, selectors.REVIEW, prefix="organization__")
    drafts = Bulletin.objects.select_related("organization", "campaign").filter(
        state=Bulletin.State.DRAFT
    )
    return drafts if writers is None else drafts.filter(writers)


def bulletin_get(user: Any, pk: Any) -> Bulletin:
    """The bulletin if the user may read it, else 404 (as a missing one)."""
    found = bulletins_for(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise Http404
    return found


def public_bulletins() -> QuerySet[Bulletin]:
    """What ``/jianbao/`` shows: published, 公开, newest first."""
    return (
        Bulletin.objects.filter(state=Bulletin.State.PUBLISHED, audience=Bulletin.Audience.PUBLIC)
        .select_related("organization")
        .order_by("-published_at", "-pk")
    )


def latest_for(user: Any, n: int = 3) -> list[Bulletin]:
    """The home page's 最新简报: the newest published bulletins the user reads."""
    rows = bulletins_for(user).filter(state=Bulletin.State.PUBLISHED)
    return list(rows.order_by("-published_at", "-pk")[:n])


# ------------------------------------------------------------------ input


def clean_body(text: str | None) -> str:
    """Plain text with paragraphs: control characters out, line ends as ``\\n``,
    trailing spaces off, at most one blank line between paragraphs."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = visitor_text(text)
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _checked(*, title: str, body: str) -> tuple[str, str]:
    title = visitor_text(title, multiline=False)
    body = clean_body(body)
    if not title:
        raise BulletinError(_("标题：请填写标题"))
    if len(title) > TITLE_MAX:
        raise BulletinError(
            _("标题：最多 %(max)s 个字，现有 %(n)s 个") % {"max": TITLE_MAX, "n": len(title)}
        )
    if not body:
        raise BulletinError(_("正文：请填写正文"))
    if len(body) > BODY_MAX:
        raise BulletinError(
            _("正文：最多 %(max)s 个字，现有 %(n)s 个") % {"max": BODY_MAX, "n": len(body)}
        )
    return title, body


def checked_upload(upload: Any) -> tuple[str, str, bytes]:
    """(name, content type, bytes to store) of an acceptable file, else the refusal."""
    name = str(upload.name or "").replace("\\", "/").rsplit("/", 1)[-1][:200] or "附件"
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise BulletinError(
            _("附件“%(name)s”过大：%(size).1f MB，上限为 %(max)s MB")
            % {
                "name": name,
                "size": upload.size / 1024 / 1024,
                "max": ATTACHMENT_MAX_BYTES // 1024 // 1024,
            }
        )
    match = uploads.sniff(upload, ATTACHMENT_TYPES)
    if match is None:
        raise BulletinError(_("附件“%(name)s”：只接受 PDF、PNG、JPG 文件") % {"name": name})
    if not name.lower().endswith(match.extensions):
        raise BulletinError(_("附件“%(name)s”：文件内容与扩展名不符") % {"name": name})
    if match == uploads.PDF:
        data = upload.read()
        upload.seek(0)
    else:
        try:
            data = uploads.clean_image(upload, match, max_pixels=IMAGE_MAX_PIXELS)
        except uploads.ImageError as exc:
            raise BulletinError(_("附件“%(name)s”：%(why)s") % {"name": name, "why": exc}) from None
    return name, match.content_type, data


def _campaign_covers(campaign: Campaign, organization: Organization) -> None:
    if not selectors.contains(campaign.organization, organization):
        raise BulletinError(
            _("发布单位：“%(org)s”不在活动“%(campaign)s”的范围内")
            % {"org": organization.name, "campaign": campaign.name}
        )


# ------------------------------------------------------------------ writes


def _attach(bulletin: Bulletin, user: Any, files: list[tuple[str, str, bytes]]) -> None:
    for name, content_type, data in files:
        item = BulletinAttachment(
            bulletin=bulletin,
            name=name,
            content_type=content_type,
            size=len(data),
            uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        )
        item.file.save(name, ContentFile(data), save=False)
        item.save()
        audit.record(item, audit.Action.CREATE, organization_id=bulletin.organization_id)


def bulletin_create(
    *,
    user: Any,
    campaign: Campaign,
    organization: Organization,
    kind: str,
    title: str,
    body: str,
    audience: str,
    uploads_: list[Any] | None = None,
) -> Bulletin:
    """A draft, with its files; everything is checked before anything is written."""
    if not may_write(user, organization):
        raise BulletinError(
            _("只有“%(org)s”的活动办公室或党（工）委可以起草简报") % {"org": organization.name}
        )
    _campaign_covers(campaign, organization)
    title, body = _checked(title=title, body=body)
    files = [checked_upload(u) for u in uploads_ or []]
    if len(files) > ATTACHMENTS_MAX:
        raise BulletinError(_("附件：最多 %(max)s 个") % {"max": ATTACHMENTS_MAX})
    with transaction.atomic():
        bulletin = Bulletin(
            campaign=campaign,
            organization=organization,
            kind=kind,
            title=title,
            body=body,
            audience=audience,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        bulletin.full_clean()
        bulletin.save()
        audit.record(bulletin, audit.Action.CREATE, organization_id=organization.pk)
        _attach(bulletin, user, files)
    return bulletin


def bulletin_update(
    *,
    bulletin: Bulletin,
    user: Any,
    kind: str,
    title: str,
    body: str,
    audience: str,
    uploads_: list[Any] | None = None,
) -> Bulletin:
    """修改 a draft (a published one is withdrawn, not edited)."""
    title, body = _checked(title=title, body=body)
    files = [checked_upload(u) for u in uploads_ or []]
    with transaction.atomic():
        fresh = (
            Bulletin.objects.select_for_update(of=("self",))
            .select_related("organization")
            .get(pk=bulletin.pk)
        )
        if not may_write(user, fresh):
            raise BulletinError(_("只有发布单位的活动办公室或党（工）委可以修改简报"))
        if fresh.state != Bulletin.State.DRAFT:
            raise BulletinError(
                _("简报当前为“%(state)s”，不能修改") % {"state": fresh.get_state_display()}
            )
        if fresh.attachments.count() + len(files) > ATTACHMENTS_MAX:
            raise BulletinError(_("附件：最多 %(max)s 个") % {"max": ATTACHMENTS_MAX})
        before = audit.snapshot(fresh)
        fresh.kind, fresh.title, fresh.body, fresh.audience = kind, title, body, audience
        fresh.full_clean()
        fresh.save()
        audit.record(fresh, audit.Action.UPDATE, before, organization_id=fresh.organization_id)
        _attach(fresh, user, files)
    return fresh


def _next_year(bulletin: Bulletin) -> int:
    return timezone.localdate().year


def _next_number(bulletin: Bulletin) -> int:
    """The issuing organisation's next 期数 this year in the bulletin's kind, under
    a lock on the organisation's row."""
    Organization.objects.select_for_update().filter(pk=bulletin.organization_id).first()
    last = Bulletin.objects.filter(
        organization_id=bulletin.organization_id, kind=bulletin.kind, year=_next_year(bulletin)
    ).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def _publishable(bulletin: Bulletin, user: Any) -> None:
    _checked(title=bulletin.title, body=bulletin.body)


def _locked(pk: int) -> Bulletin:
    # The bulletin's row only: the organisation's is locked by 发布 alone (_next_number).
    locked = Bulletin.objects.select_for_update(of=("self",))
    return locked.select_related("organization").get(pk=pk)


WORKFLOW = workflow.declare(
    model=Bulletin,
    noun=pgettext_lazy("workflow noun", "简报"),
    error=BulletinError,
    moves=[
        workflow.Move(
            verb="publish",
            label=pgettext_lazy("workflow move", "发布"),
            sources=(Bulletin.State.DRAFT,),
            target=Bulletin.State.PUBLISHED,
            allowed=lambda user, b: may_write(user, b),
            refusal=_("只有发布单位的活动办公室或党（工）委可以发布简报"),
            stamps={
                "published_at": workflow.NOW,
                "published_by": workflow.ACTOR,
                "year": _next_year,
                "number": _next_number,
            },
            check=_publishable,
        ),
        workflow.Move(
            verb="withdraw",
            label=pgettext_lazy("workflow move", "撤回"),
            sources=(Bulletin.State.PUBLISHED,),
            target=Bulletin.State.WITHDRAWN,
            allowed=lambda user, b: may_write(user, b),
            refusal=_("只有发布单位的活动办公室或党（工）委可以撤回简报"),
            needs_reason=True,
            stamps={"withdrawn_at": workflow.NOW, "withdraw_reason": workflow.REASON},
        ),
    ],
    locked=_locked,
    organization_id=lambda b: b.organization_id,
)


def bulletin_publish(*, bulletin: Bulletin, user: Any) -> Bulletin:
    """发布: to its audience, with the next 期数."""
    return workflow.apply(WORKFLOW, "publish", obj=bulletin, user=user)


def bulletin_withdraw(*, bulletin: Bulletin, user: Any, reason: str) -> Bulletin:
    """撤回 with a reason: readers no longer see it; its 期数 stays taken."""
    return workflow.apply(WORKFLOW, "withdraw", obj=bulletin, user=user, reason=reason)


# ------------------------------------------------------------------ sources

SourceLink = Callable[[Any, int], str]  # (user, source id) -> url, "" when not theirs
_source_links: Registry[SourceLink] = Registry()


def register_source_link(source: str) -> Callable[[SourceLink], SourceLink]:
    """``@register_source_link(source)`` on ``link(user, source_id) -> url`` ("" when
    the user may not see the record): how a bulletin made from an app's record
    links back to it (reviews registers the spot-check round in ``reviews.hooks``)."""
    return _source_links.register(source)


def source_url(user: Any, bulletin: Bulletin) -> str:
    """The page of the record the bulletin was made from, for this user ("" for none)."""
    link = _source_links.registered().get(bulletin.source) if bulletin.source else None
    if link is None or bulletin.source_id is None:
        return ""
    return link(user, bulletin.source_id)


def source_bulletin(source: str, source_id: int) -> Bulletin | None:
    return Bulletin.objects.filter(source=source, source_id=source_id).first()


def draft_from_source(
    *,
    user: Any,
    source: str,
    source_id: int,
    campaign: Campaign,
    organization: Organization,
    kind: str,
    title: str,
    body: str,
    file_name: str,
    file_data: bytes,
) -> Bulletin | None:
    """The draft a record's document lands as (a round's 检查通报), once per
    record: made the first time; while still a draft, its text and file follow
    the record's latest document; once published it is left as it was (None
    when nothing was written: published, or the user may not write for the
    organisation). Runs in the caller's transaction."""
    if not may_write(user, organization):
        return None
    title = visitor_text(title, multiline=False)[:TITLE_MAX]
    body = clean_body(body)[:BODY_MAX]
    with transaction.atomic():
        found = (
            Bulletin.objects.select_for_update().filter(source=source, source_id=source_id).first()
        )
        if found is not None and found.state != Bulletin.State.DRAFT:
            return None
        if found is None:
            found = Bulletin(
                campaign=campaign,
                organization=organization,
                kind=kind,
                audience=Bulletin.Audience.SUBTREE,
                source=source,
                source_id=source_id,
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
            action, before = audit.Action.CREATE, None
        else:
            action, before = audit.Action.UPDATE, audit.snapshot(found)
        found.title, found.body = title, body
        found.full_clean()
        found.save()
        audit.record(found, action, before, organization_id=organization.pk)
        # The document made before, whatever minute its name was stamped with
        # (core.documents.file_name: 标题-代码-年月日-时分.ext).
        stem = re.sub(r"-\d{8}-\d{4}(\.\w+)$", "", file_name)
        for old in found.attachments.filter(name__startswith=stem):
            old.file.delete(save=False)
            old.delete()
        upload = ContentFile(file_data, name=file_name)
        _attach(found, user, [checked_upload(_Named(upload, file_name))])
    return found


class _Named(io.BytesIO):
    """A file's bytes with its name and size, as an upload looks to ``checked_upload``."""

    def __init__(self, content: ContentFile, name: str) -> None:
        super().__init__(content.read())
        self.name = name
        self.size = content.size
