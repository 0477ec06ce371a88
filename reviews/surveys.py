"""群众评议 by one-time code: creating a survey, issuing and voiding code batches,
answering with a code on the public page, and the paper tallies. Every write of
the surveys goes through here.

**Codes.** ``CODE_LENGTH`` characters drawn by ``secrets`` from ``ALPHABET``
(digits and capitals without 0 O 1 I L: nothing to mistake when typed from a
slip): 31^13 ≈ 2^64 codes, so guessing one is hopeless, and guessing is
throttled anyway. A code is stored only as ``code_digest``, an HMAC-SHA256 whose
key is derived from SECRET_KEY with the purpose string ``CODE_PURPOSE``; the
plaintext exists only in the slips PDF rendered in the job that issues the batch
(``reviews.survey_slips``). Rotating SECRET_KEY makes unused codes unknown.

**One use.** Answering claims the code with one ``UPDATE … SET used = true WHERE
digest = … AND used = false`` (its batch checked as issued just before) and writes the
response in the same transaction: of two submissions racing with one code, the
second's UPDATE waits for the first to commit, then matches no row, so exactly
one response is written. The response stores the survey, the subject, the
answers, the opinion and the day; no column names the code, the address or the
time of day.

**Wrong codes** (unknown, void, mistyped) are counted per address (its keyed
hash, ``core.public``) in ``SurveyAttempt``, in the database so the limit holds
across processes; past ``SURVEY_CODE_FAILURE_LIMIT`` in the window, the address
gets the throttled page even for a right code.
"""

import datetime as dt
import hashlib
import hmac
import io
import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.models import Campaign
from campaign.selectors import plan_units_q
from core import audit, public
from orgs import selectors
from orgs.models import Member, Organization
from reviews.models_surveys import (
    Survey,
    SurveyAttempt,
    SurveyCode,
    SurveyCodeBatch,
    SurveyResponse,
    SurveySubject,
    SurveyTally,
)
from reviews.tallying import (
    answer_figures,
    satisfaction_adjust,
    satisfaction_pending,
    tally_figures,
)

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 13
CODE_PURPOSE = "reviews.surveys.code"
GROUPS = (4, 4, 5)  # how a code is printed: ABCD-EFGH-JKMNP
OPINION_MAX = 500
BATCH_MAX = 20000
MEMBER_SUBJECTS_MAX = 100_000  # a district's members: 75,000 in the benchmark district

# Typed codes: case and separators (spaces, hyphens, dots, underscores) ignored.
_SEPARATORS = re.compile(r"[\s\-_.·—–]+")


class SurveyError(Exception):
    """A refused write, with a Chinese message for the page."""


# ------------------------------------------------------------------ codes


def _key() -> bytes:
    return hashlib.sha256(f"{CODE_PURPOSE}:{settings.SECRET_KEY}".encode()).digest()


def code_digest(code: str, key: bytes | None = None) -> str:
    """The keyed hash a code is stored as (of its normalised form)."""
    return hmac.new(key or _key(), code.encode(), hashlib.sha256).hexdigest()


def new_codes(n: int) -> list[str]:
    """``n`` fresh codes from the operating system's secure random source: random
    bytes below 248 (8 × 31) taken modulo 31, the others dropped, so every
    character is equally likely; one ``token_bytes`` call for many codes."""
    need = n * CODE_LENGTH
    size = len(ALPHABET)
    limit = 256 - 256 % size
    chars: list[str] = []
    while len(chars) < need:
        chars.extend(
            ALPHABET[b % size] for b in secrets.token_bytes(need - len(chars) + 16) if b < limit
        )
    text = "".join(chars[:need])
    return [text[i : i + CODE_LENGTH] for i in range(0, need, CODE_LENGTH)]


def printed(code: str) -> str:
    """A code as printed on a slip, in groups: ABCD-EFGH-JKMNP."""
    parts, start = [], 0
    for size in GROUPS:
        parts.append(code[start : start + size])
        start += size
    return "-".join(parts)


def normalise(typed: str) -> str:
    """What a visitor typed or scanned, as a code: upper case, no separators."""
    return _SEPARATORS.sub("", (typed or "").strip()).upper()


def well_formed(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def mistyped_reason(code: str) -> str:
    """Why a normalised code cannot be one of ours, or "" when it could."""
    if not code:
        return _("请输入评议卡上的评议码")
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        return _("评议码中没有这些字符：%(chars)s（评议码不含数字 0、1 和字母 I、L、O）") % {
            "chars": " ".join(bad[:8])
        }
    if len(code) != CODE_LENGTH:
        return _("评议码应为 %(n)s 位（不计连字符），您输入了 %(m)s 位") % {
            "n": CODE_LENGTH,
            "m": len(code),
        }
    return ""


# ------------------------------------------------------------------ reads


def surveys_for(user: Any) -> QuerySet[Survey]:
    """The surveys on the subtrees the user reviews (office, committee)."""
    q = selectors.scope_q(user, selectors.REVIEW, prefix="organization__")
    surveys = Survey.objects.select_related("campaign", "organization", "round")
    return surveys if q is None else surveys.filter(q)


def survey_get(user: Any, pk: Any) -> Survey:
    try:
        return surveys_for(user).get(pk=pk)
    except (Survey.DoesNotExist, ValueError):
        raise Http404 from None


def subject_get(user: Any, pk: Any, roles: Iterable[str] = selectors.REVIEW) -> SurveySubject:
    """A subject the user holds ``roles`` on (its own unit, or above); 404 otherwise."""
    try:
        subject = SurveySubject.objects.select_related(
            "survey__campaign", "survey__organization", "organization__parent", "member"
        ).get(pk=pk)
    except (SurveySubject.DoesNotExist, ValueError):
        raise Http404 from None
    if not selectors.can(user, roles, subject.organization):
        raise Http404
    return subject


def may_manage(user: Any, survey: Survey) -> bool:
    return selectors.can(user, selectors.REVIEW, survey.organization)


def may_read_opinions(user: Any, subject: SurveySubject) -> bool:
    """The opinions of a subject are for its parent (the office or committee
    above it), never for the subject itself nor the public. A member's are for
    their unit's secretary and those above (not for the member: a 党员's grant
    edits no members)."""
    if subject.member_id is not None:
        return selectors.can(user, selectors.EDIT_MEMBERS, subject.organization)
    parent = subject.organization.parent
    return parent is not None and selectors.can(user, selectors.REVIEW, parent)


def may_tally(user: Any, subject: SurveySubject) -> bool:
    """The unit itself (its secretary) or those above it enter its paper forms."""
    return selectors.can(user, selectors.EDIT_MEMBERS, subject.organization)


def issued_count(subject: SurveySubject) -> int:
    """Codes issued to the subject in batches not voided."""
    return (
        SurveyCodeBatch.objects.filter(subject=subject, state=SurveyCodeBatch.State.ISSUED)
        .aggregate(n=Sum("size"))
        .get("n")
        or 0
    )


# ------------------------------------------------------------------ survey set-up


def _questions_problems(questions: Sequence[str], choices: Sequence[dict]) -> list[str]:
    problems = []
    if not questions:
        problems.append(_("至少需要一项评议内容"))
    if any(not str(q).strip() or len(str(q)) > 100 for q in questions):
        problems.append(_("每项评议内容应为 1 至 100 字"))
    if len(choices) < 2:
        problems.append(_("至少需要两个评议选项"))
    if not any(c.get("satisfied") for c in choices):
        problems.append(_("至少一个评议选项应计入满意率"))
    labels = [str(c.get("label", "")).strip() for c in choices]
    if any(not label for label in labels) or len(set(labels)) != len(labels):
        problems.append(_("评议选项的名称不能为空或重复"))
    for c in choices:
        score = c.get("score")
        if not isinstance(score, int | float) or not 0 <= score <= 100:
            problems.append(_("评议选项“%(label)s”的折合分应在 0 至 100 之间") % c)
    return problems


def round_problems(
    round_: Any, campaign: Campaign, organization: Organization, subject_kind: str
) -> list[str]:
    """Why a survey cannot count as a round's 群众评议 (empty when it can): the
    round is of the same campaign, not yet closed, its kind has 群众评议 among its
    evaluators and reviews the kind of subject the survey asks about, and the
    survey's range lies within the round's."""
    from reviews.choices import EvaluatorKind, RoundState

    name = str(round_)
    if round_.campaign_id != campaign.pk:
        return [
            _("评议轮次“%(round)s”不属于活动“%(campaign)s”")
            % {"round": name, "campaign": campaign.name}
        ]
    problems = []
    if round_.state not in (RoundState.DRAFT, RoundState.OPEN):
        problems.append(_("评议轮次“%(round)s”已经结束") % {"round": name})
    kind = round_.kind
    if not kind.evaluators.filter(evaluator=EvaluatorKind.PUBLIC).exists():
        problems.append(
            _("评议轮次“%(round)s”的评议主体中没有“群众评议”，群众评议不能计入") % {"round": name}
        )
    of_members = subject_kind != Survey.SubjectKind.ORGANIZATIONS
    if of_members != (kind.subject == kind.Subject.MEMBER):
        problems.append(
            _("评议轮次“%(round)s”评议的是%(subject)s，群众评议的对象应与之一致")
            % {"round": name, "subject": kind.get_subject_display()}
        )
    if not selectors.contains(round_.organization, organization):
        problems.append(
            _("“%(unit)s”不在评议轮次“%(round)s”的范围（%(range)s）之内")
            % {"unit": organization.name, "round": name, "range": round_.organization.name}
        )
    return problems


def survey_create(
    *,
    user: Any,
    campaign: Campaign,
    organization: Organization,
    title: str,
    opens_on: dt.date,
    closes_on: dt.date,
    target: Any = None,
    questions: Sequence[str] | None = None,
    choices: Sequence[dict] | None = None,
    subjects: Sequence[Organization] | None = None,
    round_: Any = None,
    subject_kind: str = Survey.SubjectKind.ORGANIZATIONS,
) -> Survey:
    """A survey with its subjects, audited; the office or a committee on it.
    Organisations: by default every unit under ``organization`` taking part in
    the campaign (or ``subjects``). Members (``subject_kind``): every member of
    ``organization`` and the participating units under it, or only the 党员领导干部
    among them."""
    if not selectors.can(user, selectors.REVIEW, organization):
        raise SurveyError(
            _("只有活动办公室或上级党组织可以在“%(unit)s”组织群众评议")
            % {"unit": organization.name}
        )
    if organization.tree_id != campaign.organization.tree_id:
        raise SurveyError(
            _("“%(unit)s”不在活动“%(campaign)s”的范围内")
            % {"unit": organization.name, "campaign": campaign.name}
        )
    survey = Survey(
        campaign=campaign,
        organization=organization,
        round=round_,
        title=(title or "").strip(),
        subject_kind=subject_kind,
        opens_on=opens_on,
        closes_on=closes_on,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if questions is not None:
        survey.questions = [str(q).strip() for q in questions]
    if choices is not None:
        survey.choices = [dict(c) for c in choices]
    if target is not None:
        survey.target = target
    problems = _questions_problems(survey.questions, survey.choices)
    if round_ is not None:
        problems += round_problems(round_, campaign, organization, subject_kind)
    if not survey.title:
        problems.append(_("请填写评议名称"))
    if closes_on < opens_on:
        problems.append(_("截止日期不能早于开始日期"))
    if problems:
        raise SurveyError("；".join(problems))
    try:
        survey.full_clean()
    except ValidationError as exc:
        raise SurveyError("；".join(exc.messages)) from None
    if subject_kind != Survey.SubjectKind.ORGANIZATIONS:
        return _with_members(survey, campaign, organization)
    with transaction.atomic():
        if subjects is None:
            units = list(
                Organization.objects.filter(
                    plan_units_q(campaign), selectors.subtree_q(organization, include_self=False)
                ).order_by("tree_id", "lft")
            )
        else:
            units = list(subjects)
            outside = [u.name for u in units if not selectors.contains(organization, u)]
            if outside:
                raise SurveyError(
                    _("评议对象不在“%(unit)s”之下：%(names)s")
                    % {"unit": organization.name, "names": "、".join(outside[:5])}
                )
        if not units:
            raise SurveyError(
                _("“%(unit)s”之下没有参加本活动的党组织可作评议对象") % {"unit": organization.name}
            )
        survey.save()
        SurveySubject.objects.bulk_create(
            [SurveySubject(survey=survey, organization=u) for u in units]
        )
        audit.record(survey, audit.Action.CREATE, organization_id=organization.pk)
    return survey


def _with_members(survey: Survey, campaign: Campaign, organization: Organization) -> Survey:
    """Save a survey of members with its subjects: one per member of the scope's
    participating units (and of the scope itself), each placed in its unit."""
    units = Organization.objects.filter(
        plan_units_q(campaign), selectors.subtree_q(organization, include_self=False)
    ).values("pk")
    members = Member.objects.filter(
        Q(organization_id__in=units) | Q(organization_id=organization.pk)
    )
    if survey.subject_kind == Survey.SubjectKind.LEADING_CADRES:
        members = members.filter(is_leading_cadre=True)
    found = list(
        members.order_by("organization__tree_id", "organization__lft", "number").values_list(
            "pk", "organization_id"
        )
    )
    if not found:
        raise SurveyError(
            _("“%(unit)s”之下没有符合条件的党员（%(kind)s）可作评议对象")
            % {"unit": organization.name, "kind": survey.get_subject_kind_display()}
        )
    if len(found) > MEMBER_SUBJECTS_MAX:
        raise SurveyError(
            _("评议对象 %(n)s 名党员，超过每次群众评议最多 %(max)s 名；请缩小评议范围")
            % {"n": len(found), "max": MEMBER_SUBJECTS_MAX}
        )
    with transaction.atomic():
        survey.save()
        SurveySubject.objects.bulk_create(
            [SurveySubject(survey=survey, organization_id=o, member_id=m) for m, o in found],
            batch_size=2000,
        )
        audit.record(survey, audit.Action.CREATE, organization_id=organization.pk)
    return survey


# ------------------------------------------------------------------ batches


def may_issue(user: Any, survey: Survey, size: int) -> None:
    """Raise why ``user`` may not issue batches of ``size`` codes for the survey:
    not the office or a committee above its subjects, a size outside a batch's
    cap, or the survey closed."""
    if not may_manage(user, survey):
        raise SurveyError(_("只有活动办公室或上级党组织可以发放评议码"))
    if not 1 <= size <= BATCH_MAX:
        raise SurveyError(_("每批评议码数量应在 1 至 %(max)s 之间") % {"max": BATCH_MAX})
    if survey.closes_on < timezone.localdate():
        raise SurveyError(_("评议已于 %(day)s 截止，不能再发放评议码") % {"day": survey.closes_on})


def batch_request(*, user: Any, subject: SurveySubject, size: int) -> SurveyCodeBatch:
    """Ask for a batch of ``size`` codes for a subject: the batch is recorded
    (生成中) and the job that writes its codes and renders their slips is
    started (``reviews.survey_slips``); the codes exist once it has run."""
    from core.jobs import job_start
    from reviews.survey_slips import SLIPS

    survey = subject.survey
    may_issue(user, survey, size)
    with transaction.atomic():
        batch = SurveyCodeBatch.objects.create(
            subject=subject,
            size=size,
            issued_by=user if getattr(user, "is_authenticated", False) else None,
        )
        batch.job = job_start(kind=SLIPS, user=user, params={"batch": batch.pk})
        batch.save(update_fields=["job"])
        audit.record(batch, audit.Action.CREATE, organization_id=subject.organization_id)
    return batch


def uncovered(survey: Survey) -> QuerySet[SurveySubject]:
    """The survey's subjects with no batch issued or being made (what 全部发放 covers)."""
    covered = SurveyCodeBatch.objects.filter(
        subject__survey=survey,
        state__in=[SurveyCodeBatch.State.PENDING, SurveyCodeBatch.State.ISSUED],
    ).values("subject_id")
    return SurveySubject.objects.filter(survey=survey).exclude(pk__in=covered)


def batches_request(*, user: Any, survey: Survey, size: int) -> tuple[list[SurveyCodeBatch], Any]:
    """发放 for the whole survey: a batch of ``size`` codes for every subject that
    has none issued or being made, and one job that writes them all and renders
    the slips, a PDF per subject in one ZIP (``survey_slips.SLIPS_ALL``). The
    caps are checked first: ``size`` within a batch's, the total within
    ``SURVEY_BULK_CODES_MAX``. Returns the batches and the job."""
    from core.jobs import job_start
    from reviews.survey_slips import SLIPS_ALL

    may_issue(user, survey, size)
    with transaction.atomic():
        # One request at a time per survey: a second one waits here, then finds
        # the subjects already given batches.
        Survey.objects.select_for_update().filter(pk=survey.pk).first()
        subjects = list(uncovered(survey).order_by("pk").values_list("pk", flat=True))
        if not subjects:
            raise SurveyError(_("每个评议对象都已发放评议码；如需补发，请在该评议对象一行单独发放"))
        total = len(subjects) * size
        if total > settings.SURVEY_BULK_CODES_MAX:
            raise SurveyError(
                _(
                    "%(subjects)s 个评议对象各 %(size)s 个，共 %(total)s 个评议码，超过一次最多 %(max)s 个；"
                    "请减少每个评议对象的数量，或分别发放"
                )
                % {
                    "subjects": len(subjects),
                    "size": size,
                    "total": total,
                    "max": settings.SURVEY_BULK_CODES_MAX,
                }
            )
        issuer = user if getattr(user, "is_authenticated", False) else None
        batches = SurveyCodeBatch.objects.bulk_create(
            [SurveyCodeBatch(subject_id=pk, size=size, issued_by=issuer) for pk in subjects],
            batch_size=2000,
        )
        job = job_start(
            kind=SLIPS_ALL,
            user=user,
            params={"survey": survey.pk, "batches": [b.pk for b in batches]},
        )
        SurveyCodeBatch.objects.filter(pk__in=[b.pk for b in batches]).update(job=job)
        units = dict(
            SurveySubject.objects.filter(pk__in=subjects).values_list("pk", "organization_id")
        )
        audit.record_many(
            (
                audit.Action.CREATE,
                SurveyCodeBatch._meta.label_lower,
                b.pk,
                str(_("第%(n)s批") % {"n": b.pk}),
                units[b.subject_id],
                audit.diff(None, {"subject": b.subject_id, "size": size, "job": job.pk}),
                "",
            )
            for b in batches
        )
    return batches, job


def issue_codes(batch: SurveyCodeBatch) -> list[str]:
    """Write the batch's codes (their hashes, in bulk) and return the plaintext,
    for the slips only; inside the caller's transaction, which also saves the
    PDF and marks the batch issued (so a cut-off run leaves no codes)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("issue_codes must run inside the transaction that saves the slips")
    key = _key()
    while True:
        codes = new_codes(batch.size)
        digests = [code_digest(c, key) for c in codes]
        # 2^64 codes: a collision would take billions of batches; checked anyway.
        if len(set(digests)) == len(digests):
            break
    _insert_codes(batch.pk, digests)
    return codes


def _insert_codes(batch_id: int, digests: list[str]) -> None:
    """The hashes in one COPY on PostgreSQL (75,000 rows: bulk_create builds a
    model instance each and spends most of its time there), bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        SurveyCode.objects.bulk_create(
            [SurveyCode(batch_id=batch_id, digest=d) for d in digests], batch_size=2000
        )
        return
    buffer = io.StringIO("".join(f"{batch_id}\t{d}\tf\n" for d in digests))
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {SurveyCode._meta.db_table} (batch_id, digest, used) FROM STDIN", buffer
        )


def batch_void(*, user: Any, batch: SurveyCodeBatch) -> SurveyCodeBatch:
    """作废 a batch: its unused codes answer nothing any more (answers already
    given stay). Audited."""
    subject = batch.subject
    if not may_manage(user, subject.survey):
        raise SurveyError(_("只有活动办公室或上级党组织可以作废评议码"))
    with transaction.atomic():
        batch = SurveyCodeBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state == SurveyCodeBatch.State.VOID:
            raise SurveyError(_("这批评议码已经作废"))
        before = audit.snapshot(batch)
        batch.state = SurveyCodeBatch.State.VOID
        batch.voided_at = timezone.now()
        batch.save(update_fields=["state", "voided_at"])
        audit.record(batch, audit.Action.UPDATE, before, organization_id=subject.organization_id)
    return batch


def batch_reissue(*, user: Any, batch: SurveyCodeBatch) -> SurveyCodeBatch:
    """Void a batch (lost or leaked slips) and ask for a new one of the same size."""
    with transaction.atomic():
        batch_void(user=user, batch=batch)
        return batch_request(user=user, subject=batch.subject, size=batch.size)


# ------------------------------------------------------------------ answering


@dataclass(frozen=True)
class CodeCheck:
    """What a typed code is: ``status`` one of ok, mistyped, unknown, used, void,
    closed, early, throttled; with the subject and survey when known."""

    status: str
    message: str = ""
    subject: SurveySubject | None = None


def _failed(digest: str) -> bool:
    """Count one wrong code for the address; False when it was already over the limit."""
    since = public.window_start(settings.SURVEY_CODE_WINDOW_SECONDS)
    with transaction.atomic():
        recent = SurveyAttempt.objects.filter(address_hash=digest, at__gte=since)
        allowed = public.rate_allows(
            scope="survey_code",
            key=digest,
            recent=recent,
            limit=settings.SURVEY_CODE_FAILURE_LIMIT,
        )
        if allowed:
            SurveyAttempt.objects.create(address_hash=digest)
    return allowed


def _throttle_message() -> str:
    minutes = max(1, settings.SURVEY_CODE_WINDOW_SECONDS // 60)
    return _("输入错误的评议码次数过多，请 %(n)s 分钟后再试") % {"n": minutes}


# The answer page is the district's busiest (hundreds a second while a meeting's
# slips are scanned), so the address's wrong codes are counted and the code is
# looked up in one statement naming only the columns the page shows: the ORM's
# COUNT and select_related over these five tables took half the request's time
# in compiling, planning and reading every column.
_CODE_SQL = """
    SELECT t.failures, c.used, b.state, s.id, s.organization_id, s.member_id, o.name, m.name,
           v.id, v.title, v.campaign_id, v.questions, v.choices, v.opens_on, v.closes_on
    FROM (SELECT COUNT(*) AS failures FROM {attempt} WHERE address_hash = %s AND at >= %s) t
    LEFT JOIN {code} c ON c.digest = %s
    LEFT JOIN {batch} b ON b.id = c.batch_id
    LEFT JOIN {subject} s ON s.id = b.subject_id
    LEFT JOIN {survey} v ON v.id = s.survey_id
    LEFT JOIN {organization} o ON o.id = s.organization_id
    LEFT JOIN {member} m ON m.id = s.member_id
"""


def _code_row(digest: str, who: str) -> tuple[int, tuple[bool, str, SurveySubject] | None]:
    """How many wrong codes ``who`` (an address hash) typed inside the window, and
    (used, the batch's state, the subject with its survey) of the code, or None.
    The objects hold only the columns read here; any other is loaded if asked."""
    sql = _CODE_SQL.format(
        attempt=SurveyAttempt._meta.db_table,
        code=SurveyCode._meta.db_table,
        batch=SurveyCodeBatch._meta.db_table,
        subject=SurveySubject._meta.db_table,
        survey=Survey._meta.db_table,
        organization=Organization._meta.db_table,
        member=Member._meta.db_table,
    )
    since = public.window_start(settings.SURVEY_CODE_WINDOW_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(sql, [who, connection.ops.adapt_datetimefield_value(since), digest])
        failures, *row = cursor.fetchone()
    if row[0] is None:
        return failures, None
    used, state, pk, organization_id, member_id, organization_name, member_name = row[:7]
    survey_id, title, campaign_id, questions, choices, opens_on, closes_on = row[7:]
    survey = _partial(
        Survey,
        id=survey_id,
        title=title,
        campaign_id=campaign_id,
        questions=_json(questions),
        choices=_json(choices),
        opens_on=_day(opens_on),
        closes_on=_day(closes_on),
    )
    subject = _partial(
        SurveySubject,
        id=pk,
        survey_id=survey_id,
        organization_id=organization_id,
        member_id=member_id,
    )
    subject.survey = survey
    subject.organization = _partial(Organization, id=organization_id, name=organization_name)
    subject.member = _partial(Member, id=member_id, name=member_name) if member_id else None
    return failures, (bool(used), state, subject)


def _partial(model: Any, **values: Any) -> Any:
    """An instance loaded with only these columns (by attname); the others are
    deferred, so reading one loads it as the ORM would."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def _json(value: Any) -> Any:
    # Both backends hand a raw cursor JSON as text (Django decodes it in the ORM).
    return json.loads(value) if isinstance(value, str) else value


def _day(value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def check_code(typed: str, *, address: str) -> CodeCheck:
    """Look a typed code up for the answer page, counting wrong ones per address."""
    who = public.address_hash(address)
    code = normalise(typed)
    reason = mistyped_reason(code)
    if reason:
        if not _failed(who):
            return CodeCheck("throttled", _throttle_message())
        return CodeCheck("mistyped", reason)
    failures, row = _code_row(code_digest(code), who)
    if failures >= settings.SURVEY_CODE_FAILURE_LIMIT:
        return CodeCheck("throttled", _throttle_message())
    if row is None:
        if not _failed(who):
            return CodeCheck("throttled", _throttle_message())
        return CodeCheck("unknown", _("没有这个评议码，请核对评议卡上的评议码后重新输入"))
    used, state, subject = row
    survey = subject.survey
    today = timezone.localdate()
    if state == SurveyCodeBatch.State.VOID:
        _failed(who)
        return CodeCheck(
            "void", _("这张评议卡已作废，请向发放评议卡的党组织领取新的评议卡"), subject
        )
    if state != SurveyCodeBatch.State.ISSUED:
        return CodeCheck("unknown", _("没有这个评议码，请核对评议卡上的评议码后重新输入"))
    if used:
        return CodeCheck(
            "used", _("这个评议码已经使用过，每个评议码只能评议一次。感谢您的参与！"), subject
        )
    if today < survey.opens_on:
        return CodeCheck(
            "early", _("评议将于 %(day)s 开始，请届时再来") % {"day": survey.opens_on}, subject
        )
    if today > survey.closes_on:
        return CodeCheck(
            "closed", _("评议已于 %(day)s 截止，感谢您的关注") % {"day": survey.closes_on}, subject
        )
    return CodeCheck("ok", "", subject)


def answer_problems(survey: Survey, answers: Sequence[Any]) -> list[str]:
    problems = []
    if len(answers) != len(survey.questions):
        return [_("请回答全部 %(n)s 项评议内容") % {"n": len(survey.questions)}]
    for i, (question, answer) in enumerate(zip(survey.questions, answers, strict=True), 1):
        if not isinstance(answer, int) or not 0 <= answer < len(survey.choices):
            problems.append(_("第 %(i)s 项“%(q)s”：请选择一项") % {"i": i, "q": question})
    return problems


def answer(
    *,
    typed: str,
    answers: Sequence[Any],
    opinion: str,
    address: str,
    found: CodeCheck | None = None,
) -> CodeCheck:
    """Answer with a code: checked as ``check_code``, then claimed and answered in
    one transaction; refused (status not ok) when the code is not usable, the
    answers are incomplete, or another submission claimed it first. ``found``:
    the page's own ``check_code`` of the same code, not repeated."""
    found = found or check_code(typed, address=address)
    if found.status != "ok" or found.subject is None:
        return found
    subject = found.subject
    survey = subject.survey
    problems = answer_problems(survey, answers)
    opinion = public.visitor_text(opinion)
    if public.too_long(opinion, OPINION_MAX):
        problems.append(
            _("意见建议不能超过 %(max)s 字（现有 %(n)s 字）")
            % {"max": OPINION_MAX, "n": len(opinion)}
        )
    if problems:
        return CodeCheck("invalid", "；".join(problems), subject)
    digest = code_digest(normalise(typed))
    with transaction.atomic():
        # One table only: a join (the batch's state) would make Django update
        # "WHERE id IN (subquery)", and PostgreSQL re-checks only the outer
        # condition on the row a racing transaction has just committed, so both
        # would claim it. The batch was checked as issued just above.
        claimed = SurveyCode.objects.filter(digest=digest, used=False).update(used=True)
        if claimed != 1:
            return CodeCheck(
                "used", _("这个评议码已经使用过，每个评议码只能评议一次。感谢您的参与！"), subject
            )
        day = timezone.localdate()
        SurveyResponse.objects.create(
            survey=survey,
            subject=subject,
            answers=list(answers),
            opinion=opinion,
            day=day,
        )
        satisfaction_pending(subject, survey, *answer_figures(survey, list(answers)), day)
    return CodeCheck("done", _("评议已提交，感谢您的参与！"), subject)


# ------------------------------------------------------------------ paper forms


def tally_problems(
    survey: Survey, attendees: int, forms: int, counts: Sequence[Sequence[int]]
) -> list[str]:
    """Why a paper tally does not add up, in words naming the question."""
    problems = []
    if attendees < 1:
        problems.append(_("发放评议表份数至少为 1"))
    if forms < 0:
        problems.append(_("收回评议表份数不能为负数"))
    if forms > attendees:
        problems.append(
            _("收回评议表 %(forms)s 份，多于发放的 %(n)s 份") % {"forms": forms, "n": attendees}
        )
    width = len(survey.choices) + 1
    if len(counts) != len(survey.questions):
        problems.append(_("请填写全部 %(n)s 项评议内容的票数") % {"n": len(survey.questions)})
        return problems
    for i, (question, row) in enumerate(zip(survey.questions, counts, strict=True), 1):
        if len(row) != width or any(not isinstance(n, int) or n < 0 for n in row):
            problems.append(_("第 %(i)s 项“%(q)s”：票数应为非负整数") % {"i": i, "q": question})
        elif sum(row) != forms:
            problems.append(
                _(
                    "第 %(i)s 项“%(q)s”：各选项票数与无效票合计 %(sum)s，与收回评议表 %(forms)s 份不符"
                )
                % {"i": i, "q": question, "sum": sum(row), "forms": forms}
            )
    return problems


def tally_save(
    *,
    user: Any,
    subject: SurveySubject,
    attendees: int,
    forms: int,
    counts: Sequence[Sequence[int]],
    held_on: dt.date,
    tally: SurveyTally | None = None,
) -> SurveyTally:
    """The paper forms of one of a subject's meetings: refused whole when they
    don't add up; a new tally, or ``tally`` (one of the subject's) corrected in
    place; audited."""
    survey = subject.survey
    if not may_tally(user, subject):
        raise SurveyError(
            _("只有“%(unit)s”或其上级党组织可以录入纸质评议结果")
            % {"unit": subject.organization.name}
        )
    if not survey.opens_on <= held_on <= survey.closes_on:
        raise SurveyError(
            _("评议日期应在 %(a)s 至 %(b)s 之间") % {"a": survey.opens_on, "b": survey.closes_on}
        )
    with transaction.atomic():
        subject = SurveySubject.objects.select_for_update().get(pk=subject.pk)
        problems = tally_problems(survey, attendees, forms, counts)
        if problems:
            raise SurveyError("；".join(problems))
        if tally is not None:
            tally = (
                SurveyTally.objects.select_for_update().filter(pk=tally.pk, subject=subject).first()
            )
            if tally is None:
                raise SurveyError(_("这份纸质评议记录不存在或不属于这个评议对象"))
        before = audit.snapshot(tally) if tally else None
        was = (*tally_figures(survey, tally.counts), tally.held_on) if tally else None
        tally = tally or SurveyTally(subject=subject)
        tally.attendees = attendees
        tally.forms = forms
        tally.counts = [list(row) for row in counts]
        tally.held_on = held_on
        tally.entered_by = user if getattr(user, "is_authenticated", False) else None
        tally.save()
        satisfaction_adjust(subject, survey, was, (*tally_figures(survey, tally.counts), held_on))
        audit.record(
            tally,
            audit.Action.UPDATE if before else audit.Action.CREATE,
            before,
            organization_id=subject.organization_id,
        )
    return tally
