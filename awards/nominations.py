"""择优推荐 → 层层推荐 → 组织复审: nominations and their workflow.

**Nominating** (``nomination_create``, by the unit's editors, ``EDIT_MEMBERS``):
while the round is 推荐评审 and on or before its nomination deadline; the
subject in the unit's scope (a member of its subtree, a 党务工作者 flagged as
such, or an organisation below it); not already nominated in the category (a
rejected or withdrawn nomination does not count); meeting every rule of the
category (``awards.eligibility``; the refusal names each rule that failed and
why); within the unit's quota: ``quota_used`` is counted with the unit's quota
row locked (``SELECT … FOR UPDATE``), so two nominations posted at once cannot
both take the last place. The facts read and their result are stored with it.

**层层推荐** (``endorse`` / ``reject``): every ancestor from the unit's parent up
to the campaign root, in that order (a root's own nomination: the root alone),
each by someone with ``REVIEW`` on that level, within the level's own quota
(its endorsements in force and its own nominations), on or before the
endorsement deadline. The nomination names the level it waits for
(``next_endorser``); a post on behalf of another level is refused
(``endorse_as``: a non-ancestor, or not yet its turn).

**组织复审** (the office: ``REVIEW`` on the campaign root): 复审通过 (``vet``),
不通过 (``reject``) or 退回 to the unit with a reason (``return``); the unit
may send a returned nomination again (``resubmit``: endorsed again from the
bottom, ``cycle`` + 1) or withdraw it. ``award`` is made by finalising the round
(``awards.publicity``). Every move is ``core.workflow``'s: who, when, why,
audited.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from awards import eligibility
from awards.models import (
    Award,
    AwardCategory,
    AwardRound,
    Endorsement,
    Nomination,
    NominationPhoto,
    Objection,
    Quota,
)
from core import audit, uploads, workflow
from orgs import selectors
from orgs.models import Member, Organization

State = Nomination.State
SUMMARY_MAX = 150
DEEDS_MAX = 3000
DEEDS_MIN = 20
PHOTOS_MAX = 3
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = (uploads.PNG, uploads.JPEG)
PHOTO_MAX_PIXELS = 50_000_000


class NominationError(workflow.DomainError):
    """A nomination or a move the rules refuse; the message is for the user."""


def today() -> dt.date:
    return timezone.localdate()


# ------------------------------------------------------------------ reads


def root_of(round_: AwardRound) -> Organization:
    return round_.campaign.organization


def is_office(user: Any, round_: AwardRound) -> bool:
    """The campaign office: ``REVIEW`` on the campaign root."""
    return selectors.can(user, selectors.REVIEW, root_of(round_))


def chain(nomination: Nomination) -> list[Organization]:
    """The levels that endorse, bottom up: the unit's parent … the campaign root
    (the root alone for the root's own nomination)."""
    root = root_of(nomination.round)
    unit = nomination.unit
    if unit.pk == root.pk:
        return [root]
    return [a for a in selectors.ancestors(unit) if selectors.contains(root, a)]


def endorsed_levels(nomination: Nomination) -> set[int]:
    return set(
        nomination.endorsements.filter(
            cycle=nomination.cycle, decision=Endorsement.Decision.ENDORSED
        ).values_list("organization_id", flat=True)
    )


def next_endorser(nomination: Nomination) -> Organization | None:
    """The level the nomination waits for (None once every level endorsed)."""
    done = endorsed_levels(nomination)
    return next((level for level in chain(nomination) if level.pk not in done), None)


def waiting_levels(rows: Sequence[Nomination]) -> dict[int, Organization | None]:
    """``next_endorser`` of many nominations in a few queries (a list page, the
    待办): each distinct unit's chain once, the endorsements in one read."""
    endorsing = [n for n in rows if n.state == State.ENDORSING]
    chains: dict[int, list[Organization]] = {}
    for n in endorsing:
        if n.unit_id not in chains:
            chains[n.unit_id] = chain(n)
    done: dict[int, set[int]] = {}
    for nomination_id, organization_id in Endorsement.objects.filter(
        nomination__in=[n.pk for n in endorsing],
        decision=Endorsement.Decision.ENDORSED,
        cycle=F("nomination__cycle"),
    ).values_list("nomination_id", "organization_id"):
        done.setdefault(nomination_id, set()).add(organization_id)
    return {
        n.pk: next(
            (level for level in chains[n.unit_id] if level.pk not in done.get(n.pk, set())), None
        )
        for n in endorsing
    }


def quota_used_q(organization: Organization) -> Q:
    """Nominations that take a place of the organisation's quota: its own
    nominations and those it endorsed in their current cycle, not rejected or
    withdrawn."""
    return ~Q(state__in=Nomination.CLOSED) & (
        Q(unit=organization)
        | Q(
            pk__in=Endorsement.objects.filter(
                organization=organization,
                decision=Endorsement.Decision.ENDORSED,
                cycle=F("nomination__cycle"),
            ).values("nomination_id")
        )
    )


def used(category: AwardCategory, organization: Organization) -> int:
    return Nomination.objects.filter(quota_used_q(organization), category=category).count()


def candidates(category: AwardCategory, unit: Organization) -> QuerySet[Any]:
    """Whom the unit may nominate for the category: members of its subtree (a
    党务工作者 category: those flagged as such), or the active organisations below it."""
    if category.subject == AwardCategory.Subject.ORGANIZATION:
        return Organization.objects.filter(
            selectors.subtree_q(unit, include_self=False), is_active=True
        ).order_by("lft")
    members = Member.objects.filter(selectors.subtree_q(unit, "organization__")).select_related(
        "organization"
    )
    if category.subject == AwardCategory.Subject.PARTY_WORKER:
        members = members.filter(is_party_worker=True)
    return members.order_by("organization__lft", "number")


def nominations_for(user: Any) -> QuerySet[Nomination]:
    """Nominations the user may read: those of units in their editing scope
    (the unit, and every level above it, endorses or vets them)."""
    base = Nomination.objects.select_related(
        "round__campaign__organization", "category", "unit", "organization", "member"
    )
    if getattr(user, "is_superuser", False):
        return base
    scope = selectors.scope_q(user, selectors.EDIT_MEMBERS, "unit__")
    return base.filter(scope) if scope is not None else base.none()


def nomination_get(user: Any, pk: Any) -> Nomination:
    from django.http import Http404

    try:
        return nominations_for(user).get(pk=pk)
    except (Nomination.DoesNotExist, ValueError):
        raise Http404 from None


def nominating_units(user: Any, category: AwardCategory) -> list[tuple[Organization, int, int]]:
    """The units the user answers for that hold a quota of the category (or the
    root), with their quota and what is used: where 推荐 starts."""
    root = root_of(category.round)
    units = list(selectors.own_units(user, selectors.EDIT_MEMBERS).filter(selectors.tree_q(root)))
    if getattr(user, "is_superuser", False) or selectors.can(user, selectors.REVIEW, root):
        units = [root, *[u for u in units if u.pk != root.pk]]
    quotas = dict(
        Quota.objects.filter(category=category, organization__in=units).values_list(
            "organization_id", "amount"
        )
    )
    out = []
    for unit in units:
        amount = category.total_quota if unit.pk == root.pk else quotas.get(unit.pk)
        if amount:
            out.append((unit, amount, used(category, unit)))
    return out


# ------------------------------------------------------------------ checks


def _in_nominating(round_: AwardRound) -> None:
    if round_.state != AwardRound.State.NOMINATING:
        raise NominationError(
            _("%(round)s当前为“%(state)s”，不在推荐评审阶段")
            % {"round": round_.name, "state": round_.get_state_display()}
        )


def _lock_quota(category: AwardCategory, organization: Organization) -> int:
    """The organisation's quota, its row locked until the transaction ends."""
    if organization.pk == root_of(category.round).pk:
        from awards.quotas import root_quota

        root_quota(category)
    row = (
        Quota.objects.select_for_update()
        .filter(category=category, organization=organization)
        .first()
    )
    return row.amount if row is not None else 0


def _within_quota(category: AwardCategory, organization: Organization) -> None:
    amount = _lock_quota(category, organization)
    if not amount:
        raise NominationError(
            _("%(unit)s没有%(category)s名额")
            % {"unit": organization.name, "category": category.name}
        )
    taken = used(category, organization)
    if taken >= amount:
        raise NominationError(
            _("%(unit)s的%(category)s名额已用完（共 %(n)s 个，已占用 %(used)s 个）")
            % {"unit": organization.name, "category": category.name, "n": amount, "used": taken}
        )


def _subject_fits(category: AwardCategory, unit: Organization, subject: Any) -> None:
    if not candidates(category, unit).filter(pk=subject.pk).exists():
        if (
            category.subject == AwardCategory.Subject.PARTY_WORKER
            and isinstance(subject, Member)
            and not subject.is_party_worker
        ):
            raise NominationError(
                _("%(name)s未登记为党务工作者，不能推荐为%(category)s")
                % {"name": subject.name, "category": category.name}
            )
        raise NominationError(
            _("%(name)s不在%(unit)s的推荐范围内") % {"name": subject.name, "unit": unit.name}
        )


def eligibility_refusal(result: eligibility.Result) -> str:
    return _("不符合评选条件：%(reasons)s") % {
        "reasons": "；".join(f"{f.label}——{f.reason}" for f in result.failed)
    }


def _checked_photos(photos: Sequence[Any]) -> list[tuple[str, bytes]]:
    if len(photos) > PHOTOS_MAX:
        raise NominationError(_("事迹照片最多 %(n)s 张") % {"n": PHOTOS_MAX})
    out: list[tuple[str, bytes]] = []
    for photo in photos:
        name = photo.name.rsplit("/", 1)[-1][-100:]
        if photo.size > PHOTO_MAX_BYTES:
            raise NominationError(
                _("事迹照片 %(name)s 过大，上限为 %(max)s MB")
                % {"name": name, "max": PHOTO_MAX_BYTES // 1024 // 1024}
            )
        match = uploads.sniff(photo, PHOTO_TYPES)
        if match is None:
            raise NominationError(_("事迹照片只接受 PNG 或 JPG 图片：%(name)s") % {"name": name})
        try:
            cleaned = uploads.clean_image(photo, match, max_pixels=PHOTO_MAX_PIXELS)
        except uploads.ImageError as exc:
            raise NominationError(
                _("事迹照片 %(name)s：%(problem)s") % {"name": name, "problem": exc}
            ) from None
        out.append((f"photo{len(out) + 1}{match.extensions[0]}", cleaned))
    return out


def _texts(summary: str, deeds: str) -> tuple[str, str]:
    summary, deeds = (summary or "").strip(), (deeds or "").strip()
    if not summary:
        raise NominationError(_("简要事迹：请填写（公示时显示）"))
    if len(summary) > SUMMARY_MAX:
        raise NominationError(
            _("简要事迹不能超过 %(max)s 字（现有 %(n)s 字）")
            % {"max": SUMMARY_MAX, "n": len(summary)}
        )
    if len(deeds) < DEEDS_MIN:
        raise NominationError(_("事迹材料：至少 %(n)s 字") % {"n": DEEDS_MIN})
    if len(deeds) > DEEDS_MAX:
        raise NominationError(
            _("事迹材料不能超过 %(max)s 字（现有 %(n)s 字）") % {"max": DEEDS_MAX, "n": len(deeds)}
        )
    return summary, deeds


# ------------------------------------------------------------------ 择优推荐


def nomination_create(
    *,
    user: Any,
    category: AwardCategory,
    unit: Organization,
    subject: Any,
    summary: str,
    deeds: str,
    photos: Sequence[Any] = (),
) -> Nomination:
    """The unit nominates the subject (the module's docstring lists what is refused)."""
    from django.core.files.base import ContentFile

    round_ = category.round
    root = root_of(round_)
    if not selectors.contains(root, unit) or not selectors.can(user, selectors.EDIT_MEMBERS, unit):
        raise NominationError(_("您不能以%(unit)s的名义推荐") % {"unit": unit.name})
    _in_nominating(round_)
    if today() > round_.nomination_deadline:
        raise NominationError(
            _("推荐截止日期（%(date)s）已过，不能再推荐") % {"date": round_.nomination_deadline}
        )
    is_member = eligibility.is_member_category(category)
    if is_member != isinstance(subject, Member):
        raise NominationError(
            _("%(category)s的表彰对象是%(subject)s")
            % {"category": category.name, "subject": category.get_subject_display()}
        )
    summary, deeds = _texts(summary, deeds)
    _subject_fits(category, unit, subject)
    files = _checked_photos(photos)
    result = eligibility.evaluate(category, [subject])[subject.pk]
    if not result.eligible:
        raise NominationError(eligibility_refusal(result))
    with transaction.atomic():
        _within_quota(category, unit)
        subject_q = Q(member=subject) if is_member else Q(organization=subject)
        earlier = (
            Nomination.objects.filter(subject_q, category=category)
            .exclude(state__in=Nomination.CLOSED)
            .select_related("unit")
            .first()
        )
        if earlier is not None:
            raise NominationError(
                _("%(name)s已被%(unit)s推荐为%(category)s，不能重复推荐")
                % {"name": subject.name, "unit": earlier.unit.name, "category": category.name}
            )
        nomination = Nomination(
            round=round_,
            category=category,
            unit=unit,
            member=subject if is_member else None,
            organization=None if is_member else subject,
            summary=summary,
            deeds=deeds,
            facts=result.as_json(),
            eligible=True,
            created_by=user,
            moved_by=user,
            moved_at=timezone.now(),
        )
        nomination.full_clean()
        try:
            with transaction.atomic():
                nomination.save()
        except IntegrityError:  # a racing nomination of the same subject won
            raise NominationError(
                _("%(name)s已被推荐为%(category)s，不能重复推荐")
                % {"name": subject.name, "category": category.name}
            ) from None
        for name, data in files:
            photo = NominationPhoto(nomination=nomination)
            photo.image.save(name, ContentFile(data), save=True)
        audit.record(nomination, audit.Action.CREATE, organization_id=unit.pk, verb=_("择优推荐"))
    return nomination


# ------------------------------------------------------------------ the workflow


def _locked(pk: Any) -> Nomination:
    return (
        Nomination.objects.select_for_update(of=("self",))
        .select_related(
            "round__campaign__organization", "category", "unit", "member", "organization"
        )
        .get(pk=pk)
    )


def _may_endorse(user: Any, nomination: Nomination) -> bool:
    level = next_endorser(nomination)
    return level is not None and selectors.can(user, selectors.REVIEW, level)


def _endorse_refusal(nomination: Nomination) -> str:
    level = next_endorser(nomination)
    if level is None:
        return _("各级已审核完毕")
    return _("现在应由%(level)s审核") % {"level": level.name}


def _endorse_check(nomination: Nomination, user: Any) -> None:
    _in_nominating(nomination.round)
    if today() > nomination.round.endorsement_deadline:
        raise NominationError(
            _("审核截止日期（%(date)s）已过") % {"date": nomination.round.endorsement_deadline}
        )
    level = next_endorser(nomination)
    if level is not None:
        _within_quota(nomination.category, level)


def _state_after_endorse(nomination: Nomination) -> str:
    levels = chain(nomination)
    done = endorsed_levels(nomination)
    left = [level for level in levels if level.pk not in done]
    return State.ENDORSED if len(left) <= 1 else State.ENDORSING


def _record(decision: str):
    def then(nomination: Nomination, user: Any) -> None:
        level = next_endorser(nomination)
        if level is None:  # rejected at 组织复审: no level's decision to record
            return
        Endorsement.objects.create(
            nomination=nomination,
            organization=level,
            cycle=nomination.cycle,
            decision=decision,
            reason=nomination.reason,
            decided_by=user if getattr(user, "is_authenticated", False) else None,
        )

    return then


def _may_reject(user: Any, nomination: Nomination) -> bool:
    if nomination.state == State.ENDORSED:
        return is_office(user, nomination.round)
    return _may_endorse(user, nomination)


def _reject_check(nomination: Nomination, user: Any) -> None:
    _in_nominating(nomination.round)


def _office_check(nomination: Nomination, user: Any) -> None:
    _in_nominating(nomination.round)


def _may_unit(user: Any, nomination: Nomination) -> bool:
    return selectors.can(user, selectors.EDIT_MEMBERS, nomination.unit)


def _resubmit_check(nomination: Nomination, user: Any) -> None:
    _in_nominating(nomination.round)
    if today() > nomination.round.endorsement_deadline:
        raise NominationError(
            _("审核截止日期（%(date)s）已过，不能再报送")
            % {"date": nomination.round.endorsement_deadline}
        )


def _award_check(nomination: Nomination, user: Any) -> None:
    if nomination.objections.filter(state=Objection.State.OPEN).exists():
        raise NominationError(_("%(name)s还有未处理的异议") % {"name": nomination.subject_name})


def _make_award(nomination: Nomination, user: Any) -> None:
    round_ = nomination.round
    Award.objects.create(
        round=round_,
        category=nomination.category,
        organization=nomination.organization,
        member=nomination.member,
        unit=nomination.unit,
        title=nomination.category.name,
        nomination=nomination,
        awarded_on=round_.decision_date or today(),
    )


_MOVE_STAMPS = {
    "moved_at": workflow.NOW,
    "moved_by": workflow.ACTOR,
    "reason": workflow.REASON,
}
_OFFICE_REFUSAL = gettext_lazy("只有活动办公室可以组织复审")

WORKFLOW = workflow.declare(
    model=Nomination,
    noun=pgettext_lazy("workflow noun", "推荐对象"),
    error=NominationError,
    locked=_locked,
    organization_id=lambda n: n.unit_id,
    moves=[
        workflow.Move(
            verb="endorse",
            label=pgettext_lazy("workflow move", "同意推荐"),
            sources=(State.ENDORSING,),
            target=None,
            allowed=_may_endorse,
            refusal=_endorse_refusal,
            check=_endorse_check,
            stamps={"state": _state_after_endorse, **_MOVE_STAMPS},
            then=_record(Endorsement.Decision.ENDORSED),
        ),
        workflow.Move(
            verb="reject",
            label=pgettext_lazy("workflow move", "不同意推荐"),
            sources=(State.ENDORSING, State.ENDORSED),
            target=State.REJECTED,
            allowed=_may_reject,
            refusal=_endorse_refusal,
            needs_reason=True,
            check=_reject_check,
            stamps=_MOVE_STAMPS,
            then=_record(Endorsement.Decision.REJECTED),
        ),
        workflow.Move(
            verb="vet",
            label=pgettext_lazy("workflow move", "复审通过"),
            sources=(State.ENDORSED,),
            target=State.VETTED,
            allowed=lambda user, n: is_office(user, n.round),
            refusal=_OFFICE_REFUSAL,
            check=_office_check,
            stamps=_MOVE_STAMPS,
        ),
        workflow.Move(
            verb="return",
            label=pgettext_lazy("workflow move", "退回推荐单位"),
            sources=(State.ENDORSED, State.VETTED),
            target=State.RETURNED,
            allowed=lambda user, n: is_office(user, n.round),
            refusal=_OFFICE_REFUSAL,
            needs_reason=True,
            check=_office_check,
            stamps={"return_reason": workflow.REASON, **_MOVE_STAMPS},
        ),
        workflow.Move(
            verb="resubmit",
            label=pgettext_lazy("workflow move", "重新报送"),
            sources=(State.RETURNED,),
            target=State.ENDORSING,
            allowed=_may_unit,
            refusal=lambda n: _("只有%(unit)s可以重新报送") % {"unit": n.unit.name},
            check=_resubmit_check,
            stamps={"cycle": lambda n: n.cycle + 1, **_MOVE_STAMPS},
        ),
        workflow.Move(
            verb="withdraw",
            label=pgettext_lazy("workflow move", "撤销推荐"),
            sources=(State.ENDORSING, State.ENDORSED, State.VETTED, State.RETURNED),
            target=State.WITHDRAWN,
            allowed=lambda user, n: _may_unit(user, n) or is_office(user, n.round),
            refusal=lambda n: _("只有%(unit)s或活动办公室可以撤销") % {"unit": n.unit.name},
            needs_reason=True,
            stamps=_MOVE_STAMPS,
        ),
        workflow.Move(
            verb="award",
            label=pgettext_lazy("workflow move", "表彰"),
            sources=(State.VETTED,),
            target=State.AWARDED,
            allowed=lambda user, n: is_office(user, n.round),
            refusal=gettext_lazy("只有活动办公室可以表彰"),
            check=_award_check,
            stamps=_MOVE_STAMPS,
            then=_make_award,
        ),
    ],
)

# The moves a page offers by name (``award`` is the round's finalising).
PAGE_MOVES = ("endorse", "reject", "vet", "return", "resubmit", "withdraw")


def move(*, nomination: Nomination, verb: str, user: Any, reason: str = "", as_level: Any = None):
    """A page's move on a nomination. ``as_level`` (the level the page showed as
    waiting) refuses an endorsement posted for another level: one that is no
    ancestor of the unit, or whose turn has not come (or has passed)."""
    if verb not in PAGE_MOVES:
        raise NominationError(_("未知的操作"))
    if verb in ("endorse", "reject") and as_level not in (None, ""):
        with transaction.atomic():
            fresh = _locked(nomination.pk)
            levels = {level.pk: level for level in chain(fresh)}
            try:
                level_pk = int(as_level)
            except (TypeError, ValueError):
                level_pk = -1
            if level_pk not in levels:
                raise NominationError(
                    _("审核单位不是%(unit)s的上级党组织，不能审核") % {"unit": fresh.unit.name}
                )
            waiting = next_endorser(fresh)
            if fresh.state == State.ENDORSING and (waiting is None or waiting.pk != level_pk):
                raise NominationError(
                    _("%(level)s还不能审核：现在应由%(waiting)s审核")
                    % {
                        "level": levels[level_pk].name,
                        "waiting": waiting.name if waiting else "—",
                    }
                )
            return workflow.apply(WORKFLOW, verb, obj=fresh, user=user, reason=reason)
    return workflow.apply(WORKFLOW, verb, obj=nomination, user=user, reason=reason)


def moves_open(user: Any, nomination: Nomination) -> list[str]:
    return [v for v in PAGE_MOVES if workflow.may(WORKFLOW, v, obj=nomination, user=user)]


def chain_rows(nomination: Nomination) -> list[dict[str, Any]]:
    """The office's view of the chain: each level, its decision in this cycle
    (and earlier cycles' below), who and when."""
    decided = {
        e.organization_id: e
        for e in nomination.endorsements.filter(cycle=nomination.cycle).select_related("decided_by")
    }
    waiting = next_endorser(nomination) if nomination.state == State.ENDORSING else None
    return [
        {
            "level": level,
            "endorsement": decided.get(level.pk),
            "waiting": waiting is not None and waiting.pk == level.pk,
        }
        for level in chain(nomination)
    ]
