"""整改 (rectification): opening items from findings, the workflow, overdue
flags and the reads other parts need. Every write to a ``Rectification`` goes
through these functions.

**Who.** An item is opened by those who review its owner unit from above (the
parent's committee staff, the office: ``orgs.selectors.acts_from_above``), or,
for 手工录入 only, by the unit itself (its editors). The owner unit's editors
(``EDIT_MEMBERS`` on it) start it and complete it with evidence (text, and
files checked by content); the parent or the office verifies it (已核验) or
sends it back (重新整改, with a reason, to 整改中). Reading follows the tree:
whoever reads records of the owner unit (``READ_RECORDS``) sees the item;
anybody else gets a 404.

**Sources.** ``source_kind`` + ``source_id`` name the finding; ``source_text``
keeps its words. A kind says how to link back to its page with
``register_source_link(kind)`` (a function of the source id giving a URL or
""); the review opinions, 点评 and spot checks register theirs in
``reviews.hooks``; the surveys (群众评议意见) register theirs where they are built.

**Overdue.** An item is overdue when it is 待整改 or 整改中 and its due date
is before today (Asia/Shanghai). ``rectification_flag_overdue`` (the daily beat
job, 00:30) stores it in ``overdue``; ``is_overdue`` / ``overdue_q`` compute it
on read, so a page is right before the job has run.

For others: ``overdue_for`` (the units with overdue items) and
``has_open_or_overdue`` (the units with an item not yet 已核验: what blocks
award eligibility).
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from campaign.models import Campaign
from core import audit, uploads, workflow
from core.registry import Registry
from orgs import selectors, tallies
from orgs.models import Organization
from reviews.models import ReviewRound
from reviews.models_rectify import Rectification, RectificationFile
from reviews.models_spotcheck import SpotCheck
from reviews.tallying import rectify_changed, rectify_counted, rectify_overdue

State = Rectification.State
SourceKind = Rectification.SourceKind
OPEN_STATES = (State.PENDING, State.IN_PROGRESS)

FILE_MAX_BYTES = 10 * 1024 * 1024
FILES_MAX = 10  # files per item
OPINIONS_QUOTED = 50  # a survey's opinions copied into an item opened from them
FILE_TYPES = (uploads.PDF, uploads.DOCX, uploads.PNG, uploads.JPEG)


class RectifyError(workflow.DomainError):
    """A move or an input the rules refuse; the message is for the user."""


# ------------------------------------------------------------------ sources

SourceLink = Callable[[int], str]
_links: Registry[SourceLink] = Registry()


def register_source_link(kind: str) -> Callable[[SourceLink], SourceLink]:
    """``@register_source_link(kind)`` on ``link(source_id) -> url`` ("" for none):
    how an item of that source kind links back to the finding's page."""
    if kind not in SourceKind.values:
        raise ValueError(f"unknown rectification source kind: {kind}")
    return _links.register(kind)


def source_url(item: Rectification) -> str:
    """The page of the item's finding, if its kind registered a link."""
    link = _links.registered().get(item.source_kind)
    if link is None or item.source_id is None:
        return ""
    return link(item.source_id)


# ------------------------------------------------------------------ overdue


def today() -> dt.date:
    return timezone.localdate()


def overdue_q(on: dt.date | None = None, prefix: str = "") -> Q:
    """Items overdue on ``on`` (today): open and past their due date."""
    on = on or today()
    return Q(**{f"{prefix}state__in": OPEN_STATES, f"{prefix}due_on__lt": on})


def is_overdue(item: Rectification, on: dt.date | None = None) -> bool:
    return item.state in OPEN_STATES and item.due_on < (on or today())


def rectification_flag_overdue(on: dt.date | None = None) -> dict[str, int]:
    """The daily job: set ``overdue`` on items that became overdue, clear it on
    items that no longer are (done, or the due date moved); each change audited.
    Running it twice changes nothing the second time."""
    on = on or today()
    flagged = cleared = 0
    with audit.acting(None, audit.Source.TASK), transaction.atomic(), tallies.deferred():
        late = Rectification.objects.select_for_update().filter(overdue_q(on), overdue=False)
        for item in late:
            before = audit.snapshot(item)
            item.overdue = True
            item.save(update_fields=["overdue", "updated_at"])
            tallies.follow([], rectify_overdue(item))  # the dashboard's overdue figure
            audit.record(item, audit.Action.UPDATE, before, organization_id=item.organization_id)
            flagged += 1
        back = Rectification.objects.select_for_update().filter(overdue=True).exclude(overdue_q(on))
        for item in back:
            before = audit.snapshot(item)
            tallies.follow(rectify_overdue(item), [])
            item.overdue = False
            item.save(update_fields=["overdue", "updated_at"])
            audit.record(item, audit.Action.UPDATE, before, organization_id=item.organization_id)
            cleared += 1
    return {"flagged": flagged, "cleared": cleared}


def overdue_for(campaign: Campaign, organization_ids: Iterable[int]) -> set[int]:
    """Which of the units have an overdue item in the campaign (computed, not the flag)."""
    return set(
        Rectification.objects.filter(
            overdue_q(), campaign=campaign, organization_id__in=list(organization_ids)
        ).values_list("organization_id", flat=True)
    )


def has_open_or_overdue(campaign: Campaign, organization_ids: Iterable[int]) -> set[int]:
    """Which of the units have an item in the campaign not yet 已核验 (open,
    overdue, or done and waiting to be verified): award eligibility reads it."""
    return set(
        Rectification.objects.filter(campaign=campaign, organization_id__in=list(organization_ids))
        .exclude(state=State.VERIFIED)
        .values_list("organization_id", flat=True)
    )


# ------------------------------------------------------------------ reads


def rectifications_for(user: Any) -> QuerySet[Rectification]:
    """The items of the units whose records the user reads (their subtrees)."""
    q = selectors.scope_q(user, selectors.READ_RECORDS, prefix="organization__")
    found = Rectification.objects.select_related(
        "organization__sector", "organization__parent", "campaign"
    )
    return found if q is None else found.filter(q)


def rectification_get(user: Any, pk: Any) -> Rectification:
    """The item, if the user reads its unit's records; else 404."""
    item = rectifications_for(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if item is None:
        raise Http404
    return item


FILTERS = ("state", "overdue", "source", "sector", "organization", "unit", "below", "campaign", "q")


def rectifications_filtered(
    found: QuerySet[Rectification], params: dict[str, Any], user: Any
) -> QuerySet[Rectification]:
    """The list's filters (shared with the export): state, overdue (yes/no), source
    kind, sector, a unit's subtree (one the user sees) or the unit alone (``unit``),
    the units whose parent the user reviews (``below``, the 待办's lists),
    campaign, text."""
    state = params.get("state") or ""
    if state in State.values:
        found = found.filter(state=state)
    elif state == "unverified":  # the dashboard's 整改未核验: anything not yet 已核验
        found = found.exclude(state=State.VERIFIED)
    overdue = params.get("overdue") or ""
    if overdue == "1":
        found = found.filter(overdue_q())
    elif overdue == "0":
        found = found.exclude(overdue_q())
    source = params.get("source") or ""
    if source in SourceKind.values:
        found = found.filter(source_kind=source)
    sector = str(params.get("sector") or "")
    if sector.isdigit():
        found = found.filter(organization__sector_id=int(sector))
    campaign = str(params.get("campaign") or "")
    if campaign.isdigit():
        found = found.filter(campaign_id=int(campaign))
    unit = str(params.get("organization") or "")
    if unit.isdigit():
        root = selectors.organizations_for(user, selectors.READ_RECORDS).filter(pk=unit).first()
        if root is None:
            return found.none()
        found = found.filter(selectors.subtree_q(root, "organization__"))
    exact = str(params.get("unit") or "")
    if exact.isdigit():
        found = found.filter(organization_id=int(exact))
    if params.get("below") == "1":
        # What waits for the user from above: the units whose parent they review.
        q = selectors.scope_q(user, selectors.REVIEW, prefix="organization__parent__")
        if q is not None:
            found = found.filter(q)
    text = str(params.get("q") or "").strip()
    if text:
        found = found.filter(Q(description__icontains=text) | Q(organization__name__icontains=text))
    return found


def annotate_overdue(items: Iterable[Rectification]) -> list[Rectification]:
    """The items with ``late`` set as computed now (the list shows it before the job runs)."""
    on = today()
    found = list(items)
    for item in found:
        item.late = is_overdue(item, on)  # type: ignore[attr-defined]
    return found


# ------------------------------------------------------------------ who may


def may_open(user: Any, organization: Organization, source_kind: str) -> bool:
    """Those who review the unit from above; for 手工录入 also the unit itself."""
    if selectors.acts_from_above(user, organization):
        return True
    return source_kind == SourceKind.MANUAL and selectors.can(
        user, selectors.EDIT_MEMBERS, organization
    )


def is_owner(user: Any, item: Rectification) -> bool:
    """The owner unit's editors (and those above them) work on the item."""
    return selectors.can(user, selectors.EDIT_MEMBERS, item.organization)


def is_verifier(user: Any, item: Rectification) -> bool:
    """The parent's reviewers or the office; never the owner unit itself."""
    return selectors.acts_from_above(user, item.organization)


def may_add_files(user: Any, item: Rectification) -> bool:
    return item.state in OPEN_STATES and is_owner(user, item)


# ------------------------------------------------------------------ opening


def _problems(
    *, campaign: Campaign, organization: Organization, description: str, due_on: Any
) -> list[str]:
    problems = []
    if organization.tree_id != campaign.organization.tree_id:
        problems.append(
            _("“%(unit)s”不在活动“%(campaign)s”的范围内")
            % {"unit": organization.name, "campaign": campaign.name}
        )
    if not description.strip():
        problems.append(_("请填写整改事项"))
    if not isinstance(due_on, dt.date):
        problems.append(_("请填写整改期限"))
    return problems


def rectification_open(
    *,
    user: Any,
    campaign: Campaign,
    organization: Organization,
    description: str,
    due_on: dt.date,
    source_kind: str,
    source_id: int | None = None,
    source_text: str = "",
    review_round: ReviewRound | None = None,
) -> Rectification:
    """Open an item (待整改) for the owner unit, linked to its source; audited.
    The opener reviews the unit from above, or is the unit itself for 手工录入."""
    if source_kind not in SourceKind.values:
        raise RectifyError(_("未知的整改来源：%(kind)s") % {"kind": source_kind})
    if not may_open(user, organization, source_kind):
        raise RectifyError(
            _("只有上级党组织或活动办公室可以向“%(unit)s”交办整改") % {"unit": organization.name}
            if source_kind != SourceKind.MANUAL
            else _("只有“%(unit)s”本单位、上级党组织或活动办公室可以录入整改事项")
            % {"unit": organization.name}
        )
    problems = _problems(
        campaign=campaign, organization=organization, description=description, due_on=due_on
    )
    if problems:
        raise RectifyError("；".join(problems))
    item = Rectification(
        campaign=campaign,
        organization=organization,
        description=description.strip(),
        due_on=due_on,
        source_kind=source_kind,
        source_id=source_id,
        source_text=(source_text or "").strip(),
        review_round=review_round,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    try:
        item.full_clean()
    except ValidationError as exc:
        raise RectifyError("；".join(exc.messages)) from None
    with transaction.atomic():
        item.save()
        tallies.follow([], rectify_counted(item))
        audit.record(item, audit.Action.CREATE, organization_id=organization.pk)
    return item


def spot_check_text(check: SpotCheck) -> str:
    return check.findings.strip()


def rectification_open_from_spot_check(
    *, user: Any, check: SpotCheck, description: str, due_on: dt.date
) -> Rectification:
    """开整改 from a checked unit's findings: the item is the unit's, its source the
    check, and the check records it (``SpotCheck.rectification_id``)."""
    round_ = check.round
    if check.state != SpotCheck.State.CHECKED or not check.findings.strip():
        raise RectifyError(_("该单位尚未检查完毕或没有检查发现的问题，不能开整改"))
    with transaction.atomic():
        fresh = SpotCheck.objects.select_for_update().get(pk=check.pk)
        if fresh.rectification_id is not None:
            raise RectifyError(_("已据该单位的检查发现交办过整改"))
        item = rectification_open(
            user=user,
            campaign=round_.campaign,
            organization=fresh.organization,
            description=description,
            due_on=due_on,
            source_kind=SourceKind.SPOT_CHECK,
            source_id=fresh.pk,
            source_text=spot_check_text(fresh),
        )
        before = audit.snapshot(fresh)
        fresh.rectification_id = item.pk
        fresh.save(update_fields=["rectification_id"])
        audit.record(fresh, audit.Action.UPDATE, before, organization_id=fresh.organization_id)
    return item


# ------------------------------------------------------------------ evidence


def _file_problem(upload: Any) -> str:
    name = str(upload.name or "").rsplit("/", 1)[-1][:200]
    if (upload.size or 0) > FILE_MAX_BYTES:
        return _("佐证材料“%(name)s”过大：%(size).1f MB，上限为 %(max)s MB") % {
            "name": name,
            "size": upload.size / 1024 / 1024,
            "max": FILE_MAX_BYTES // 1024 // 1024,
        }
    if not upload.size:
        return _("佐证材料“%(name)s”是空文件") % {"name": name}
    match = uploads.sniff(upload, FILE_TYPES)
    if match is None:
        return _("佐证材料只接受 PDF、DOCX、PNG、JPG 文件，“%(name)s”的内容不是其中一种") % {
            "name": name
        }
    if not name.lower().endswith(match.extensions):
        return _("佐证材料“%(name)s”的内容与扩展名不符") % {"name": name}
    return ""


def rectification_evidence(
    *, item: Rectification, user: Any, evidence: str | None = None, files: Iterable[Any] = ()
) -> Rectification:
    """Save the evidence text and add files while the item is open (待整改 or 整改中):
    every file checked by size and content first, so one bad file adds nothing."""
    files = list(files)
    if not may_add_files(user, item):
        raise RectifyError(
            _("整改事项当前为“%(state)s”，或您不是“%(unit)s”的经办人，不能填写整改情况")
            % {"state": item.get_state_display(), "unit": item.organization.name}
        )
    problems = [p for p in (_file_problem(f) for f in files) if p]
    if problems:
        raise RectifyError("；".join(problems))
    with transaction.atomic():
        fresh = Rectification.objects.select_for_update().get(pk=item.pk)
        if fresh.files.count() + len(files) > FILES_MAX:
            raise RectifyError(_("每项整改最多上传 %(n)s 个佐证材料") % {"n": FILES_MAX})
        if evidence is not None and evidence.strip() != fresh.evidence:
            before = audit.snapshot(fresh)
            fresh.evidence = evidence.strip()
            try:
                fresh.full_clean()
            except ValidationError as exc:
                raise RectifyError("；".join(exc.messages)) from None
            fresh.save()
            audit.record(fresh, audit.Action.UPDATE, before, organization_id=fresh.organization_id)
        for upload in files:
            name = str(upload.name).rsplit("/", 1)[-1][:200]
            match = uploads.sniff(upload, FILE_TYPES)
            assert match is not None
            kept = RectificationFile(
                rectification=fresh,
                name=name,
                content_type=match.content_type,
                size=upload.size,
                uploaded_by=user if getattr(user, "is_authenticated", False) else None,
            )
            kept.file.save(name, upload, save=False)
            kept.save()
            audit.record(kept, audit.Action.CREATE, organization_id=fresh.organization_id)
    return fresh


def file_get(user: Any, pk: Any) -> RectificationFile:
    found = RectificationFile.objects.filter(
        pk=pk if str(pk).isdigit() else 0, rectification__in=rectifications_for(user)
    ).first()
    if found is None:
        raise Http404
    return found


# ------------------------------------------------------------------ the workflow


def _locked(pk: int) -> Rectification:
    return (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("organization__parent")
        .get(pk=pk)
    )


def _evidence_given(item: Rectification, user: Any) -> None:
    if not item.evidence.strip():
        raise RectifyError(_("请先填写整改情况（整改措施和成效），再标记完成"))


WORKFLOW = workflow.declare(
    model=Rectification,
    noun=pgettext_lazy("workflow noun", "整改事项"),
    error=RectifyError,
    locked=_locked,
    organization_id=lambda item: item.organization_id,
    changed=rectify_changed,
    moves=[
        workflow.Move(
            verb="start",
            label=pgettext_lazy("workflow move", "开始整改"),
            sources=(State.PENDING,),
            target=State.IN_PROGRESS,
            allowed=is_owner,
            refusal=gettext_lazy("只有整改单位可以开始整改"),
            stamps={"started_at": workflow.NOW},
        ),
        workflow.Move(
            verb="complete",
            label=pgettext_lazy("workflow move", "整改完成"),
            sources=(State.IN_PROGRESS,),
            target=State.DONE,
            allowed=is_owner,
            refusal=gettext_lazy("只有整改单位可以报告整改完成"),
            check=_evidence_given,
            stamps={"completed_at": workflow.NOW, "overdue": False},
        ),
        workflow.Move(
            verb="verify",
            label=pgettext_lazy("workflow move", "核验"),
            sources=(State.DONE,),
            target=State.VERIFIED,
            allowed=is_verifier,
            refusal=gettext_lazy("只有上级党组织或活动办公室可以核验整改"),
            stamps={"verified_at": workflow.NOW, "verified_by": workflow.ACTOR},
        ),
        workflow.Move(
            verb="redo",
            label=pgettext_lazy("workflow move", "重新整改"),
            sources=(State.DONE,),
            target=State.IN_PROGRESS,
            allowed=is_verifier,
            refusal=gettext_lazy("只有上级党组织或活动办公室可以要求重新整改"),
            needs_reason=True,
            stamps={
                "redo_reason": workflow.REASON,
                "redo_count": lambda item: item.redo_count + 1,
                "overdue": lambda item: item.due_on < today(),
            },
            clears=("completed_at",),
        ),
    ],
)


def rectification_start(*, item: Rectification, user: Any) -> Rectification:
    """开始整改: the owner unit takes the item up (待整改 → 整改中)."""
    return workflow.apply(WORKFLOW, "start", obj=item, user=user)


def rectification_complete(
    *, item: Rectification, user: Any, evidence: str | None = None, files: Iterable[Any] = ()
) -> Rectification:
    """整改完成 (整改中 → 已完成), with the evidence given now or before; the evidence
    and the move are one transaction, so a refused move keeps no half of it."""
    with transaction.atomic():
        if evidence is not None or files:
            item = rectification_evidence(item=item, user=user, evidence=evidence, files=files)
        return workflow.apply(WORKFLOW, "complete", obj=item, user=user)


def rectification_verify(*, item: Rectification, user: Any) -> Rectification:
    """核验: the parent or the office accepts the evidence (已完成 → 已核验)."""
    return workflow.apply(WORKFLOW, "verify", obj=item, user=user)


def rectification_redo(*, item: Rectification, user: Any, reason: str) -> Rectification:
    """重新整改 with a reason: back to 整改中 (the reason and the count are kept)."""
    return workflow.apply(WORKFLOW, "redo", obj=item, user=user, reason=reason)


def moves_open(user: Any, item: Rectification) -> list[str]:
    """The moves the user may make on the item now (the page's buttons)."""
    return [verb for verb in WORKFLOW.moves if workflow.may(WORKFLOW, verb, obj=item, user=user)]


# ------------------------------------------------------------------ 待办


def owned_q(user: Any) -> Q | None:
    """The units the user edits (their own units and, for staff, those below)."""
    return selectors.scope_q(user, selectors.EDIT_MEMBERS, prefix="organization__")


def to_verify(user: Any) -> QuerySet[Rectification]:
    """Items 已完成 below the units the user reviews (the parent's or the office's)."""
    q = selectors.scope_q(user, selectors.REVIEW, prefix="organization__parent__")
    found = Rectification.objects.filter(state=State.DONE)
    return found if q is None else found.filter(q)


# ------------------------------------------------------------------ findings


@dataclass(frozen=True)
class Finding:
    """What an item opened from a source is about: the campaign, the owner unit, the
    finding's words, the review round (for opinions and 点评)."""

    kind: str
    source_id: int
    campaign: Campaign
    organization: Organization
    text: str
    review_round: ReviewRound | None = None
    spot_check: SpotCheck | None = None


def _opinion_finding(user: Any, kind: str, source_id: Any) -> Finding:
    from reviews.choices import EvaluatorKind
    from reviews.results import review_detail
    from reviews.selectors import results_for, review_get

    review = review_get(user, source_id)
    visible = results_for(user, review.round)
    if visible is None or not visible.filter(pk=review.pk).exists():
        raise Http404
    leader = str(EvaluatorKind.LEADER.label)
    lines: list[str] = []
    for label, texts in review_detail(review)["opinions"]:
        if (label == leader) == (kind == SourceKind.LEADER_COMMENT):
            lines.extend(f"{label}：{text}" for text in texts)
    if not lines:
        raise RectifyError(
            _("“%(subject)s”没有可据以整改的%(kind)s")
            % {"subject": review.subject_name, "kind": SourceKind(kind).label}
        )
    return Finding(
        kind,
        review.pk,
        review.round.campaign,
        review.organization,
        f"{review.round}·{review.subject_name}\n" + "\n".join(lines),
        review_round=review.round,
    )


def _spot_check_finding(user: Any, source_id: Any) -> Finding:
    from reviews.spotcheck import rounds_for

    check = (
        SpotCheck.objects.select_related("round__campaign", "organization")
        .filter(pk=source_id if str(source_id).isdigit() else 0, round__in=rounds_for(user))
        .first()
    )
    if check is None:
        raise Http404
    return Finding(
        SourceKind.SPOT_CHECK,
        check.pk,
        check.round.campaign,
        check.organization,
        spot_check_text(check),
        spot_check=check,
    )


def _survey_finding(user: Any, source_id: Any) -> Finding:
    """A 群众评议 subject's free-text opinions: read only by its parent's
    reviewers (``surveys.may_read_opinions``), as on the opinions page."""
    from reviews import surveys
    from reviews.models_surveys import SurveyResponse

    subject = surveys.subject_get(user, source_id, selectors.READ)
    if not surveys.may_read_opinions(user, subject):
        raise Http404
    opinions = list(
        SurveyResponse.objects.filter(subject=subject)
        .exclude(opinion="")
        .order_by("opinion")
        .values_list("opinion", flat=True)[:OPINIONS_QUOTED]
    )
    if not opinions:
        raise RectifyError(
            _("“%(subject)s”没有可据以整改的群众意见") % {"subject": subject.organization.name}
        )
    return Finding(
        SourceKind.SURVEY_OPINION,
        subject.pk,
        subject.survey.campaign,
        subject.organization,
        f"{subject.survey.title}·{subject.organization.name}\n" + "\n".join(opinions),
        review_round=subject.survey.round,
    )


def finding_for(user: Any, kind: str, source_id: Any) -> Finding:
    """The finding a source names, read through the user's scope (else 404): a
    subject's review opinions or 点评 (``Review`` id), a spot check (``SpotCheck``
    id), a 群众评议 subject's opinions (``SurveySubject`` id)."""
    if kind in (SourceKind.REVIEW_OPINION, SourceKind.LEADER_COMMENT):
        return _opinion_finding(user, kind, source_id)
    if kind == SourceKind.SPOT_CHECK:
        return _spot_check_finding(user, source_id)
    if kind == SourceKind.SURVEY_OPINION:
        return _survey_finding(user, source_id)
    raise Http404


def rectification_open_from(
    *, user: Any, finding: Finding, description: str, due_on: dt.date
) -> Rectification:
    """Open an item from a finding (``finding_for``), linked back to it."""
    if finding.spot_check is not None:
        return rectification_open_from_spot_check(
            user=user, check=finding.spot_check, description=description, due_on=due_on
        )
    return rectification_open(
        user=user,
        campaign=finding.campaign,
        organization=finding.organization,
        description=description,
        due_on=due_on,
        source_kind=finding.kind,
        source_id=finding.source_id,
        source_text=finding.text,
        review_round=finding.review_round,
    )


def opened_from(kind: str, source_id: int) -> list[Rectification]:
    """The items already opened from a source (the source page lists them)."""
    return list(Rectification.objects.filter(source_kind=kind, source_id=source_id))
