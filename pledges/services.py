"""The pledge (公开承诺) workflow: every write to a pledge goes through these services.

草稿 → 已提交 → 已审核 | 退回 (with a reason) → 已公示. A member's pledge is
approved by the member's branch (its secretary, or staff above), an
organisation's by its parent. Editing a published pledge opens the next
revision; the board keeps the published text until that revision is published
in turn. Each write records an audit entry.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from campaign import trends
from campaign.models import Campaign, Criterion, Phase, Rubric
from core import audit, public, uploads, workflow
from core.models import AuditEntry
from orgs import selectors, tallies
from orgs.models import Member, Organization
from pledges.models import Pledge, PledgeComment, PledgeItem, PledgeRevision, PledgeUpdate
from pledges.rules import audience_problem, item_problems

UPDATE_TEXT_MAX = 1000
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = (uploads.PNG, uploads.JPEG)
PHOTO_MAX_PIXELS = 50_000_000  # a 48-megapixel phone camera fits
COMMENT_MAX = 300
AUTHOR_MAX = 20


# Move names: the refusals name them too ("只有上级党组织可以审核这份承诺").
APPROVE = pgettext_lazy("workflow move", "审核")
RETURN = pgettext_lazy("workflow move", "退回")
OUTCOME = pgettext_lazy("workflow move", "评诺")


# The stored counts (orgs.tallies), per organisation: pledges.<campaign>.<figure>,
# the figures the dashboard shows (made, on the board, honoured at the last 评诺).
TALLY = "pledges"
PLEDGED, PUBLISHED, HONOURED = "pledged", "published", "honoured"


def tally_key(campaign_id: int, figure: str) -> str:
    return f"{TALLY}.{campaign_id}.{figure}"


def counted(pledge: Pledge) -> list[tuple[int, str]]:
    """The figures a pledge counts in: made, once published, honoured; and the
    quarter (``campaign.trends``) of its last 公示 and of its 评诺 as honoured."""
    figures = [PLEDGED]
    if pledge.published_revision:
        figures.append(PUBLISHED)
    if pledge.outcome == Pledge.Outcome.HONOURED:
        figures.append(HONOURED)
    found = [(pledge.organization_id, tally_key(pledge.campaign_id, f)) for f in figures]
    for figure, when in ((PUBLISHED, pledge.published_at), (HONOURED, pledge.outcome_at)):
        if figure in figures and when is not None:
            found.append(
                (
                    pledge.organization_id,
                    trends.quarter_key(TALLY, pledge.campaign_id, when, figure),
                )
            )
    return found


def _figures_changed(before: Pledge, after: Pledge) -> None:
    tallies.follow(counted(before), counted(after))


def _day(value: dt.date) -> str:
    """A date in a message, in the reader's language (2011-06-30, 06/30/2011)."""
    return formats.date_format(value, "SHORT_DATE_FORMAT")


class PledgeError(workflow.DomainError):
    """A move the workflow forbids or input it refuses; the message is for the user."""


@dataclass
class ItemInput:
    """One 承诺事项 as entered; ``key`` is set for an item carried from the last revision."""

    content: str
    due_date: dt.date | None
    verification: str
    criterion: Criterion | None = None
    key: int | None = None


# ---- who may do what ------------------------------------------------------


def _is_pledger(user: Any, pledge: Pledge) -> bool:
    member = pledge.member if pledge.member_id else None
    return bool(member is not None and user.pk and member.user_id == user.pk)


def can_write(user: Any, pledge: Pledge) -> bool:
    """The unit's own people (and those above), or the member who pledged."""
    return _is_pledger(user, pledge) or selectors.can(
        user, selectors.EDIT_MEMBERS, pledge.organization
    )


def can_edit(user: Any, pledge: Pledge) -> bool:
    """Open for editing: a draft, a returned pledge, or a published one (which opens a revision)."""
    return pledge.state in (
        Pledge.State.DRAFT,
        Pledge.State.RETURNED,
        Pledge.State.PUBLISHED,
    ) and can_write(user, pledge)


def can_approve(user: Any, pledge: Pledge) -> bool:
    """A member's branch approves the member's pledge (never the member); an
    organisation's parent approves the organisation's (a grant reaches down, so
    a right on the parent is a right from above)."""
    if pledge.member_id:
        return not _is_pledger(user, pledge) and selectors.can(
            user, selectors.EDIT_MEMBERS, pledge.organization
        )
    return selectors.acts_from_above(user, pledge.organization)


def entered_it(user: Any, pledge: Pledge) -> bool:
    """Whether ``user`` entered the text being worked on (created it, or saved it last)."""
    return bool(user.pk) and pledge.entered_by_id == user.pk


def may_approve(user: Any, pledge: Pledge) -> bool:
    """审核通过: the approver (``can_approve``), and where the campaign asks for a
    separate approver (``Campaign.separate_approver``, on by default) not the person
    who entered the text: one secretary cannot enter, approve and publish alone."""
    if not can_approve(user, pledge):
        return False
    return not (pledge.campaign.separate_approver and entered_it(user, pledge))


def can_moderate(user: Any, pledge: Pledge) -> bool:
    """The branch (or staff above) moderates visitors' comments on its pledges."""
    return selectors.can(user, selectors.EDIT_MEMBERS, pledge.organization)


# ---- checking input -------------------------------------------------------


def subject_of(pledge: Pledge) -> str:
    """Which rubric a pledge's items may cite: members' (五带头) or organisations' (五个好)."""
    return Rubric.Subject.MEMBER if pledge.member_id else Rubric.Subject.ORGANIZATION


def _items_text(items: Any) -> str:
    return "\n".join(
        f"{i.key}. {i.content}（{i.due_date:%Y-%m-%d}前；{i.verification}）" for i in items
    )


# ---- writes ---------------------------------------------------------------


def pledge_create(
    *,
    campaign: Campaign,
    user: Any,
    organization: Organization,
    audience: str,
    items: list[ItemInput],
    member: Member | None = None,
    on_behalf: bool = False,
) -> Pledge:
    """Start a pledge (draft, revision 1) for an organisation or one of its members."""
    if member is not None:
        organization = member.organization
    if organization.tree_id != campaign.organization.tree_id:
        raise PledgeError(_("该党组织不在本次活动范围内"))
    pledge = Pledge(
        campaign=campaign,
        organization=organization,
        member=member,
        audience=audience,
        on_behalf=on_behalf,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    pledge.entered_by = pledge.created_by
    if not can_write(user, pledge):
        raise PledgeError(_("您无权为该党组织或党员录入承诺"))
    wrong_audience = audience_problem(audience, member=member is not None)
    if wrong_audience:
        raise PledgeError(wrong_audience)
    problems = item_problems(campaign, subject_of(pledge), items)
    if problems:
        raise PledgeError("；".join(problems))
    items = [replace(item, key=None) for item in items]  # a new pledge numbers its own items
    taken = PledgeError(
        _("%(pledger)s在本次活动中已有“%(audience)s”的承诺，请在原承诺上修改")
        % {"pledger": pledge.pledger_name, "audience": pledge.get_audience_display()}
    )
    with transaction.atomic():
        if _duplicate(pledge).exists():
            raise taken
        try:
            with transaction.atomic():
                pledge.save()
        except IntegrityError:  # the same pledge filed twice at once: the other one won
            raise taken from None
        tallies.follow([], counted(pledge))
        revision = PledgeRevision.objects.create(pledge=pledge, number=1)
        _write_items(revision, items, start_key=1)
        audit.record(pledge, audit.Action.CREATE, organization_id=organization.pk)
        _audit_items(pledge, "", _items_text(revision.items.all()))
    return pledge


def _duplicate(pledge: Pledge):
    found = Pledge.objects.filter(campaign=pledge.campaign, audience=pledge.audience)
    if pledge.member_id:
        return found.filter(member=pledge.member)
    return found.filter(organization=pledge.organization, member__isnull=True)


def _write_items(revision: PledgeRevision, items: list[ItemInput], start_key: int) -> None:
    next_key = start_key
    rows = []
    for position, item in enumerate(items):
        key = item.key
        if key is None:
            key, next_key = next_key, next_key + 1
        rows.append(
            PledgeItem(
                revision=revision,
                key=key,
                position=position,
                content=item.content.strip(),
                due_date=item.due_date,  # type: ignore[misc]  # checked by item_problems
                verification=item.verification.strip(),
                criterion=item.criterion,
            )
        )
    PledgeItem.objects.bulk_create(rows)


def _same(stored: list[PledgeItem], entered: list[ItemInput]) -> bool:
    def shape(content, due, verification, criterion_id, key):
        return (key, content.strip(), due, verification.strip(), criterion_id)

    return [
        shape(i.content, i.due_date, i.verification, i.criterion_id, i.key) for i in stored
    ] == [
        shape(i.content, i.due_date, i.verification, i.criterion.pk if i.criterion else None, i.key)
        for i in entered
    ]


def _audit_items(pledge: Pledge, before: str, after: str) -> None:
    if before != after:
        audit.entry(
            action=audit.Action.UPDATE,
            model="pledges.pledge",
            object_id=pledge.pk,
            object_repr=str(pledge),
            changes={"items": [before or None, after]},
            organization_id=pledge.organization_id,
        ).save()


def _locked(pledge: Pledge) -> Pledge:
    # Lock the pledge row only: member and parent are nullable (outer) joins,
    # which PostgreSQL refuses to lock.
    return (
        Pledge.objects.select_for_update(of=("self",))
        .select_related("campaign", "organization__parent", "member", "entered_by")
        .get(pk=pledge.pk)
    )


def working_revision(pledge: Pledge) -> PledgeRevision:
    return PledgeRevision.objects.get(pledge=pledge, number=pledge.revision)


def pledge_save(
    *, pledge: Pledge, user: Any, items: list[ItemInput], change_note: str = ""
) -> Pledge:
    """Replace the items of the revision being worked on.

    A published pledge is never changed in place: its items are copied into the
    next revision, which goes back to 草稿 and needs approval again, while the
    board keeps showing the published text.
    """
    with transaction.atomic():
        fresh = _locked(pledge)
        if not can_write(user, fresh):
            raise PledgeError(_("您无权修改这份承诺"))
        if fresh.state not in (Pledge.State.DRAFT, Pledge.State.RETURNED, Pledge.State.PUBLISHED):
            raise PledgeError(
                _("承诺%(state)s，等待审核，暂不能修改") % {"state": fresh.get_state_display()}
            )
        problems = item_problems(fresh.campaign, subject_of(fresh), items)
        if problems:
            raise PledgeError("；".join(problems))
        current = working_revision(fresh)
        old_items = list(current.items.all())
        if fresh.state == Pledge.State.PUBLISHED and _same(old_items, items):
            return fresh  # saving without a change must not send the pledge back for approval
        known = {i.key for i in old_items}
        kept = [i.key for i in items if i.key is not None]
        if any(key not in known for key in kept) or len(set(kept)) != len(kept):
            raise PledgeError(_("承诺事项已被他人修改，请刷新页面后重试"))
        # Keys keep growing across revisions, so a removed item's 践诺 never
        # attaches to a new item. Read before this revision's items go.
        top = (
            PledgeItem.objects.filter(revision__pledge=fresh)
            .order_by("-key")
            .values_list("key", flat=True)
            .first()
        )
        before = audit.snapshot(fresh)
        if fresh.state == Pledge.State.PUBLISHED:
            fresh.revision += 1
            current = PledgeRevision.objects.create(pledge=fresh, number=fresh.revision)
            fresh.state = Pledge.State.DRAFT
        else:
            current.items.all().delete()
        current.change_note = change_note.strip()[:200]
        current.save(update_fields=["change_note"])
        _write_items(current, items, start_key=(top or 0) + 1)
        fresh.entered_by = user if getattr(user, "is_authenticated", False) else None
        fresh.save()
        audit.record(fresh, audit.Action.UPDATE, before, organization_id=fresh.organization_id)
        _audit_items(fresh, _items_text(old_items), _items_text(current.items.all()))
    return fresh


def _items_filed(pledge: Pledge, user: Any) -> None:
    if not working_revision(pledge).items.exists():
        raise PledgeError(_("至少填写一项承诺事项"))


def _approver_refusal(verb: Any):
    def refusal(pledge: Pledge) -> str:
        if pledge.member_id:
            return _("只有党员所在党支部可以%(move)s这份承诺") % {"move": verb}
        return _("只有上级党组织可以%(move)s这份承诺") % {"move": verb}

    return refusal


def _approval_refusal(pledge: Pledge) -> str:
    """Why 审核通过 was refused; the one rule names the one who may not."""
    text = _approver_refusal(APPROVE)(pledge)
    if pledge.campaign.separate_approver and pledge.entered_by_id:
        entered = pledge.entered_by
        name = (entered.get_full_name() or entered.get_username()) if entered else ""
        text += _("，且审核人须不同于录入人（%(name)s）") % {"name": name}
    return text


def _stamp_published_revision(pledge: Pledge, user: Any) -> None:
    PledgeRevision.objects.filter(pledge=pledge, number=pledge.revision).update(
        published_at=pledge.published_at, approved_by=pledge.approved_by
    )


def _on_board(pledge: Pledge, user: Any) -> None:
    if not pledge.is_public:
        raise PledgeError(_("承诺公示后才能评诺"))


WORKFLOW = workflow.declare(
    model=Pledge,
    noun=pgettext_lazy("workflow noun", "承诺"),
    error=PledgeError,
    locked=lambda pk: _locked(Pledge(pk=pk)),
    organization_id=lambda pledge: pledge.organization_id,
    changed=_figures_changed,
    moves=[
        workflow.Move(
            verb="submit",
            label=pgettext_lazy("workflow move", "提交"),
            sources=(Pledge.State.DRAFT, Pledge.State.RETURNED),
            target=Pledge.State.SUBMITTED,
            allowed=can_write,
            refusal=gettext_lazy("只有承诺人或本组织可以提交"),
            check=_items_filed,
            stamps={"submitted_at": workflow.NOW},
        ),
        workflow.Move(
            verb="approve",
            label=APPROVE,
            sources=(Pledge.State.SUBMITTED,),
            target=Pledge.State.APPROVED,
            allowed=may_approve,
            refusal=_approval_refusal,
            stamps={"approved_at": workflow.NOW, "approved_by": workflow.ACTOR},
            clears=("return_reason",),
        ),
        workflow.Move(
            verb="return",
            label=RETURN,
            sources=(Pledge.State.SUBMITTED,),
            target=Pledge.State.RETURNED,
            allowed=can_approve,
            refusal=_approver_refusal(RETURN),
            needs_reason=True,
            stamps={"return_reason": workflow.REASON},
        ),
        workflow.Move(
            verb="publish",
            label=pgettext_lazy("workflow move", "公示"),
            sources=(Pledge.State.APPROVED,),
            target=Pledge.State.PUBLISHED,
            allowed=lambda user, pledge: can_approve(user, pledge) or can_write(user, pledge),
            refusal=gettext_lazy("您无权公示这份承诺"),
            stamps={
                "published_revision": lambda pledge: pledge.revision,
                "published_at": workflow.NOW,
            },
            then=_stamp_published_revision,
        ),
        workflow.Move(
            verb="outcome",
            label=OUTCOME,
            # A pledge being revised keeps its published text, so any state will do
            # once it has been on the board.
            sources=tuple(Pledge.State.values),
            target=None,
            allowed=can_approve,
            refusal=_approver_refusal(OUTCOME),
            check=_on_board,
            stamps={"outcome_at": workflow.NOW, "outcome_by": workflow.ACTOR},
        ),
    ],
)


def pledge_submit(*, pledge: Pledge, user: Any) -> Pledge:
    """提交 a draft or a returned pledge for approval."""
    return workflow.apply(WORKFLOW, "submit", obj=pledge, user=user)


def pledge_approve(*, pledge: Pledge, user: Any) -> Pledge:
    """审核 a submitted pledge: the branch for a member's, the parent for an organisation's."""
    return workflow.apply(WORKFLOW, "approve", obj=pledge, user=user)


def pledge_return(*, pledge: Pledge, user: Any, reason: str) -> Pledge:
    """退回 with a reason: the pledger revises and submits again."""
    return workflow.apply(WORKFLOW, "return", obj=pledge, user=user, reason=reason)


def pledge_publish(*, pledge: Pledge, user: Any) -> Pledge:
    """公示 an approved revision: it becomes the text on the public board."""
    return workflow.apply(WORKFLOW, "publish", obj=pledge, user=user)


def pledge_outcome_set(
    *, pledge: Pledge, user: Any, outcome: str, comment: str, phase: Phase
) -> Pledge:
    """评诺: the approver records whether a published pledge was honoured in a phase."""
    if outcome not in Pledge.Outcome.values:
        raise PledgeError(_("请选择评诺结果：已兑现、部分兑现或未兑现"))
    comment = (comment or "").strip()
    if outcome != Pledge.Outcome.HONOURED and not comment:
        raise PledgeError(_("部分兑现或未兑现时必须填写评诺意见"))
    if phase.campaign_id != pledge.campaign_id:
        raise PledgeError(_("评诺阶段不属于本次活动"))
    if phase.start_date > timezone.localdate():
        raise PledgeError(
            _("“%(phase)s”阶段尚未开始（%(start)s），不能评诺")
            % {"phase": phase.name, "start": _day(phase.start_date)}
        )
    return workflow.apply(
        WORKFLOW,
        "outcome",
        obj=pledge,
        user=user,
        outcome=outcome,
        outcome_comment=comment,
        outcome_phase=phase,
    )


def pledge_update_add(
    *,
    pledge: Pledge,
    user: Any,
    item_key: int,
    happened_on: dt.date,
    text: str,
    photo: Any = None,
) -> PledgeUpdate:
    """践诺: a dated progress entry (optionally with a photo) on a published item."""
    text = (text or "").strip()
    if not can_write(user, pledge):
        raise PledgeError(_("您无权为这份承诺登记践诺情况"))
    if not pledge.is_public:
        raise PledgeError(_("承诺公示后才能登记践诺情况"))
    if not PledgeItem.objects.filter(
        revision__pledge=pledge, revision__number=pledge.published_revision, key=item_key
    ).exists():
        raise PledgeError(_("所选承诺事项不在公示的承诺中"))
    if not text:
        raise PledgeError(_("请填写进展情况"))
    if len(text) > UPDATE_TEXT_MAX:
        raise PledgeError(
            _("进展情况不能超过 %(max)s 字（现有 %(n)s 字）")
            % {"max": UPDATE_TEXT_MAX, "n": len(text)}
        )
    today = timezone.localdate()
    if happened_on > today:
        raise PledgeError(_("日期 %(date)s 晚于今天") % {"date": _day(happened_on)})
    if happened_on < pledge.campaign.start_date:
        raise PledgeError(_("日期 %(date)s 早于活动开始日期") % {"date": _day(happened_on)})
    name, cleaned = "", None
    if photo is not None:
        name, cleaned = _checked_photo(photo)
    with transaction.atomic():
        update = PledgeUpdate(
            pledge=pledge,
            item_key=item_key,
            happened_on=happened_on,
            text=text,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        if cleaned is not None:
            update.photo.save(name, ContentFile(cleaned), save=False)
        update.save()
        audit.record(update, audit.Action.CREATE, organization_id=pledge.organization_id)
    return update


def _checked_photo(photo: Any) -> tuple[str, bytes]:
    """The photo's name and its pixels without metadata (no GPS on a public board)."""
    name = photo.name.rsplit("/", 1)[-1][-100:]
    if photo.size > PHOTO_MAX_BYTES:
        raise PledgeError(
            _("照片过大：%(size).1f MB，上限为 %(max)s MB")
            % {"size": photo.size / 1024 / 1024, "max": PHOTO_MAX_BYTES // 1024 // 1024}
        )
    match = uploads.sniff(photo, PHOTO_TYPES)
    if match is None:
        raise PledgeError(_("照片只接受 PNG 或 JPG 图片：%(name)s") % {"name": name})
    if not name.lower().endswith(match.extensions):
        name = f"photo{match.extensions[0]}"
    try:
        cleaned = uploads.clean_image(photo, match, max_pixels=PHOTO_MAX_PIXELS)
    except uploads.ImageError as exc:
        raise PledgeError(
            _("照片 %(name)s：%(problem)s") % {"name": name, "problem": exc}
        ) from None
    return name, cleaned


def pledges_follow_members(member_ids: Iterable[int]) -> int:
    """Members who moved take their pledges in running campaigns along.

    A member belongs to one organisation at a time; the new branch answers for
    the pledge from now on (edits, approval, its board). Pledges of closed
    campaigns stay where they were made. Returns how many pledges moved.
    """
    ids = list(member_ids)
    if not ids:
        return 0
    moved = list(
        Pledge.objects.filter(member_id__in=ids)
        .exclude(campaign__status=Campaign.Status.CLOSED)
        .exclude(organization_id=F("member__organization_id"))
        .select_related("member")
    )
    entries = []
    before = [figure for pledge in moved for figure in counted(pledge)]
    for pledge in moved:
        member = pledge.member
        assert member is not None  # filtered on member_id above
        old = pledge.organization_id
        pledge.organization_id = member.organization_id
        entries.append(
            audit.entry(
                action=audit.Action.UPDATE,
                model="pledges.pledge",
                object_id=pledge.pk,
                object_repr=f"{member.name}·{pledge.get_audience_display()}",
                changes={"organization": [old, pledge.organization_id]},
                organization_id=pledge.organization_id,
            )
        )
    Pledge.objects.bulk_update(moved, ["organization"], batch_size=1000)
    tallies.follow(before, [figure for pledge in moved for figure in counted(pledge)])
    AuditEntry.objects.bulk_create(entries, batch_size=1000)
    return len(moved)


# ---- 群众监督 ---------------------------------------------------------------


def comment_add(*, pledge: Pledge, text: str, author: str, address: str) -> PledgeComment:
    """A visitor's comment on a published pledge, held until the branch approves it.

    Cleaned, capped and rate-limited per address through core.public, the kit
    every login-free form uses; the limit holds for posts racing each other.
    """
    text = public.visitor_text(text)
    author = public.visitor_text(author, multiline=False)
    if not pledge.is_public:
        raise PledgeError(_("该承诺未公示，不能留言"))
    if not text:
        raise PledgeError(_("请填写意见内容"))
    if public.too_long(text, COMMENT_MAX):
        raise PledgeError(
            _("意见内容不能超过 %(max)s 字（现有 %(n)s 字）") % {"max": COMMENT_MAX, "n": len(text)}
        )
    if public.too_long(author, AUTHOR_MAX):
        raise PledgeError(_("署名不能超过 %(max)s 字") % {"max": AUTHOR_MAX})
    digest = public.address_hash(address)
    since = public.window_start(settings.PLEDGE_COMMENT_WINDOW_SECONDS)
    with transaction.atomic():
        recent = PledgeComment.objects.filter(address_hash=digest, created_at__gte=since)
        if not public.rate_allows(
            scope="pledge_comment", key=digest, recent=recent, limit=settings.PLEDGE_COMMENT_LIMIT
        ):
            minutes = max(1, settings.PLEDGE_COMMENT_WINDOW_SECONDS // 60)
            raise PledgeError(_("留言过于频繁，请 %(n)s 分钟后再试") % {"n": minutes})
        return PledgeComment.objects.create(
            pledge=pledge, text=text, author=author, address_hash=digest
        )


COMMENT_WORKFLOW = workflow.declare(
    model=PledgeComment,
    noun=pgettext_lazy("workflow noun", "留言"),
    error=PledgeError,
    locked=lambda pk: (
        PledgeComment.objects.select_for_update(of=("self",)).select_related("pledge").get(pk=pk)
    ),
    organization_id=lambda comment: comment.pledge.organization_id,
    moves=[
        # A decision can be revised: a comment shown by mistake can be hidden again.
        workflow.Move(
            verb=verb,
            label=label,
            sources=tuple(PledgeComment.State.values),
            target=target,
            allowed=lambda user, comment: can_moderate(user, comment.pledge),
            refusal=gettext_lazy("您无权审核这条留言"),
            stamps={"moderated_at": workflow.NOW, "moderated_by": workflow.ACTOR},
        )
        for verb, label, target in (
            ("show", pgettext_lazy("workflow move", "显示"), PledgeComment.State.APPROVED),
            ("hide", pgettext_lazy("workflow move", "不予显示"), PledgeComment.State.REJECTED),
        )
    ],
)


def comment_moderate(*, comment: PledgeComment, user: Any, approve: bool) -> PledgeComment:
    """Show or hide a visitor's comment; only the pledge's branch (or above) decides."""
    return workflow.apply(COMMENT_WORKFLOW, "show" if approve else "hide", obj=comment, user=user)
