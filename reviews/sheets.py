"""Score sheets and paper tallies: every write of a score goes through here.

Who evaluates whom (the key of ``ScoreSheet.evaluator_key``):

- 支部评议 (branch → its members): the branch, entered by its secretary (or staff
  above); key ``o<branch>``.
- 上级党组织评议 (parent → its units): the parent, by the office or committee
  staff reviewing it (``acts_from_above``); key ``o<parent>``.
- 党员互评: a member of the same branch with a login, never on themselves; key
  ``u<user>``.
- 下级评上级: a child unit of the subject, by that unit's secretary, never the
  subject itself; key ``o<child>``.
- 领导点评: the subject's contact-point leader, or the parent's reviewers; key ``u<user>``.

A sheet is refused, with the row, column and reason in Chinese and nothing
written: outside a 进行中 round, on an evaluator kind the round's kind does not
use, by someone who may not, on oneself, with an unknown criterion or a score
outside 0..its maximum, or submitted without every criterion scored.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.selectors import contact_reach
from core import audit, bulk
from orgs import selectors
from orgs.models import Organization
from reviews.choices import ANONYMOUS, BallotForm, EvaluatorKind
from reviews.models import PaperTally, Review, ReviewKind, ReviewRound, ScoreSheet
from reviews.services import ReviewError, locked_open

OPINION_MAX = 2000


@dataclass(frozen=True)
class Entry:
    """What one evaluator gives one subject: criterion code → score, or a grade."""

    scores: Mapping[str, Any]
    grade: str = ""
    opinion: str = ""


def _criteria(kind: ReviewKind) -> dict[str, Any]:
    """The kind's criteria by code (the grid's columns, the import's headers)."""
    cached = getattr(kind, "_criteria_by_code", None)
    if cached is None:
        cached = {c.code: c for c in kind.rubric.criteria.all()}
        kind._criteria_by_code = cached  # type: ignore[attr-defined]
    return cached


def _grades(kind: ReviewKind) -> list[str]:
    """The kind's grade labels, highest first, read once per kind (a 点评 grid
    checks a grade on every row)."""
    cached = getattr(kind, "_grade_labels", None)
    if cached is None:
        cached = list(kind.grades.order_by("position", "pk").values_list("label", flat=True))
        kind._grade_labels = cached  # type: ignore[attr-defined]
    return cached


# A score written outside a 进行中 round (locked_open's refusal).
NOT_OPEN = gettext_lazy("评议“%(round)s”当前为“%(state)s”，不能评分")


def _uses(kind: ReviewKind, evaluator: str) -> None:
    if evaluator not in uses(kind):
        raise ReviewError(
            _("“%(kind)s”没有“%(evaluator)s”这一评议主体")
            % {"kind": kind.name, "evaluator": EvaluatorKind(evaluator).label}
        )


def evaluator_key(
    user: Any, review: Review, evaluator: str, unit: Organization | None = None
) -> str:
    """Who evaluates, as the sheet records it; refuses whoever may not (in Chinese)."""
    subject = review.organization
    if evaluator == EvaluatorKind.BRANCH:
        if review.member_id and selectors.can(user, selectors.EDIT_MEMBERS, subject):
            return f"o{subject.pk}"
        raise ReviewError(_("只有本支部可以对本支部党员进行支部评议"))
    if evaluator == EvaluatorKind.PARENT:
        if review.member_id is None and selectors.acts_from_above(user, subject):
            return f"o{subject.parent_id}"
        raise ReviewError(_("只有上级党组织可以进行上级党组织评议"))
    if evaluator == EvaluatorKind.PEER:
        own = selectors.own_member(user)
        if own is None or review.member_id is None or own.organization_id != subject.pk:
            raise ReviewError(_("只有同一支部的党员可以参加党员互评"))
        if own.pk == review.member_id:
            raise ReviewError(_("不能评议自己"))
        return f"u{user.pk}"
    if evaluator == EvaluatorKind.UPWARD:
        if unit is None or unit.parent_id != subject.pk or review.member_id:
            raise ReviewError(
                _("下级评上级须由“%(unit)s”的下级党组织进行") % {"unit": subject.name}
            )
        if not selectors.can(user, selectors.EDIT_MEMBERS, unit):
            raise ReviewError(_("只有“%(unit)s”可以代表本组织评议上级") % {"unit": unit.name})
        return f"o{unit.pk}"
    if evaluator == EvaluatorKind.LEADER:
        above = selectors.acts_from_above(user, subject)
        if review.member_id is None and (
            above or contact_reach(user).filter(pk=subject.pk).exists()
        ):
            if not above and selectors.can(user, selectors.EDIT_MEMBERS, subject):
                raise ReviewError(_("不能点评本单位"))
            return f"u{user.pk}"
        raise ReviewError(
            _("只有联系点领导或上级党组织可以点评“%(unit)s”") % {"unit": subject.name}
        )
    raise ReviewError(
        _("“%(evaluator)s”不用评分表") % {"evaluator": EvaluatorKind(evaluator).label}
    )


def _checked(kind: ReviewKind, entry: Entry, submit: bool, where: str) -> tuple[dict, str, str]:
    """The entry's scores as stored (criterion id → decimal text), its grade and
    opinion; or a ReviewError naming ``where`` (第 3 行 …), the column and why."""
    criteria = _criteria(kind)
    scores: dict[str, str] = {}
    for code, raw in entry.scores.items():
        criterion = criteria.get(code)
        if criterion is None:
            raise ReviewError(
                _("%(where)s：没有评价项目“%(code)s”；本次评议的项目：%(codes)s")
                % {"where": where, "code": code, "codes": "、".join(criteria)}
            )
        text = str(raw).strip() if raw is not None else ""
        if text == "":
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            raise ReviewError(
                _("%(where)s“%(title)s”：“%(value)s”不是数字")
                % {"where": where, "title": criterion.title, "value": text[:20]}
            )
        if not 0 <= value <= criterion.max_score:
            raise ReviewError(
                _("%(where)s“%(title)s”：%(value)s 分超出范围（0 至 %(max)s 分）")
                % {
                    "where": where,
                    "title": criterion.title,
                    "value": text[:20],
                    "max": criterion.max_score,
                }
            )
        scores[str(criterion.pk)] = str(value)
    grade = (entry.grade or "").strip()
    if grade and grade not in _grades(kind):
        raise ReviewError(
            _("%(where)s：没有等次“%(grade)s”；可选：%(grades)s")
            % {"where": where, "grade": grade[:16], "grades": "、".join(_grades(kind))}
        )
    opinion = (entry.opinion or "").strip()
    if len(opinion) > OPINION_MAX:
        raise ReviewError(
            _("%(where)s：意见建议 %(n)s 字，超过 %(max)s 字")
            % {"where": where, "n": len(opinion), "max": OPINION_MAX}
        )
    if submit:
        if kind.ballot == BallotForm.GRADE and not grade:
            raise ReviewError(_("%(where)s：请评定等次后再提交") % {"where": where})
        if kind.ballot == BallotForm.SCORES:
            missing = [c.title for c in criteria.values() if str(c.pk) not in scores]
            if missing:
                raise ReviewError(
                    _("%(where)s：以下项目未评分：%(missing)s")
                    % {"where": where, "missing": "、".join(missing)}
                )
    return scores, grade, opinion


def _write(
    review: Review, evaluator: str, key: str, values: tuple[dict, str, str], submit: bool, user: Any
) -> ScoreSheet:
    scores, grade, opinion = values
    sheet = (
        ScoreSheet.objects.select_for_update()
        .filter(review=review, evaluator=evaluator, evaluator_key=key)
        .first()
    )
    if sheet is not None and sheet.state == ScoreSheet.State.SUBMITTED and evaluator in ANONYMOUS:
        # An anonymous evaluator gives one sheet per subject; the named ones (the
        # branch, the parent, a leader) may correct theirs while the round is open.
        raise ReviewError(
            _("您已提交过对“%(subject)s”的%(evaluator)s，不能再次提交")
            % {"subject": review.subject_name, "evaluator": EvaluatorKind(evaluator).label}
        )
    before = audit.snapshot(sheet) if sheet else None
    if sheet is None:
        sheet = ScoreSheet(review=review, evaluator=evaluator, evaluator_key=key)
    sheet.scores, sheet.grade, sheet.opinion = scores, grade, opinion
    sheet.entered_by = user if getattr(user, "is_authenticated", False) else None
    if submit:
        sheet.state = ScoreSheet.State.SUBMITTED
        sheet.submitted_at = timezone.now()
    sheet.save()
    action = audit.Action.CREATE if before is None else audit.Action.UPDATE
    # An anonymous kind's trail is filed under no organisation: no unit's 变更记录
    # shows it, only the system administrator's audit list (who scored whom).
    audit.record(
        sheet,
        action,
        before,
        organization_id=None if evaluator in ANONYMOUS else review.organization_id,
    )
    return sheet


def sheet_save(
    *,
    review: Review,
    user: Any,
    evaluator: str,
    entry: Entry,
    submit: bool = False,
    unit: Organization | None = None,
) -> ScoreSheet:
    """Save (and with ``submit``, 提交) one evaluator's sheet on one subject."""
    with transaction.atomic():
        round_ = locked_open(review.round_id, NOT_OPEN)
        _uses(round_.kind, evaluator)
        key = evaluator_key(user, review, evaluator, unit)
        values = _checked(round_.kind, entry, submit, str(review.subject_name))
        return _write(review, evaluator, key, values, submit, user)


def sheets_save(
    *,
    reviews: list[Review],
    user: Any,
    evaluator: str,
    entries: Mapping[int, Entry],
    submit: bool = False,
) -> int:
    """One evaluator's sheets on several subjects (党员互评 of the co-members, a
    leader's 点评 of their contact points), all or nothing: ``entries`` maps a
    review id to its row; the subjects without one are left alone."""
    with transaction.atomic():
        saved = 0
        for review in reviews:
            if review.pk in entries:
                sheet_save(
                    review=review,
                    user=user,
                    evaluator=evaluator,
                    entry=entries[review.pk],
                    submit=submit,
                )
                saved += 1
        return saved


def tally_enter(
    *,
    review: Review,
    user: Any,
    evaluator: str,
    ballots: int,
    totals: Mapping[str, Any] | None = None,
    grade_counts: Mapping[str, Any] | None = None,
) -> PaperTally:
    """纸质票: the number of ballots and the totals per criterion (or the count per
    grade) for one subject, entered by the subject's unit (its secretary, or staff
    above); more ballots than eligible evaluators, or totals beyond ballots ×
    maximum, are refused."""
    with transaction.atomic():
        round_ = locked_open(review.round_id, NOT_OPEN)
        kind = round_.kind
        _uses(kind, evaluator)
        unit = review.organization
        if not selectors.can(user, selectors.EDIT_MEMBERS, unit):
            raise ReviewError(_("只有“%(unit)s”可以录入纸质票") % {"unit": unit.name})
        try:
            ballots = int(ballots)
        except (TypeError, ValueError):
            raise ReviewError(_("票数须为整数")) from None
        eligible = eligible_evaluators(review, evaluator)
        if ballots < 1:
            raise ReviewError(_("票数须大于 0"))
        if eligible is not None and ballots > eligible:
            raise ReviewError(
                _("%(subject)s：%(evaluator)s票数 %(n)s 超过可参加评议的人数 %(max)s")
                % {
                    "subject": review.subject_name,
                    "evaluator": EvaluatorKind(evaluator).label,
                    "n": ballots,
                    "max": eligible,
                }
            )
        stored_totals: dict[str, str] = {}
        for code, raw in (totals or {}).items():
            criterion = _criteria(kind).get(code)
            where = review.subject_name
            if criterion is None:
                raise ReviewError(
                    _("%(where)s：没有评价项目“%(code)s”") % {"where": where, "code": code}
                )
            try:
                value = Decimal(str(raw).strip())
            except InvalidOperation:
                raise ReviewError(
                    _("%(where)s“%(title)s”：总分“%(value)s”不是数字")
                    % {"where": where, "title": criterion.title, "value": str(raw)[:20]}
                ) from None
            if not 0 <= value <= criterion.max_score * ballots:
                raise ReviewError(
                    _(
                        "%(where)s“%(title)s”：总分 %(value)s 超出范围（0 至 %(max)s，即 %(n)s 票 × %(each)s 分）"
                    )
                    % {
                        "where": where,
                        "title": criterion.title,
                        "value": value,
                        "max": criterion.max_score * ballots,
                        "n": ballots,
                        "each": criterion.max_score,
                    }
                )
            stored_totals[str(criterion.pk)] = str(value)
        counts: dict[str, int] = {}
        labels = set(kind.grades.values_list("label", flat=True))
        for label, raw in (grade_counts or {}).items():
            if label not in labels:
                raise ReviewError(_("没有等次“%(grade)s”") % {"grade": str(label)[:16]})
            try:
                counts[label] = int(raw)
            except (TypeError, ValueError):
                raise ReviewError(_("“%(grade)s”的票数须为整数") % {"grade": label}) from None
        if counts and sum(counts.values()) != ballots:
            raise ReviewError(
                _("各等次票数合计 %(sum)s，与有效票数 %(n)s 不符")
                % {"sum": sum(counts.values()), "n": ballots}
            )
        tally = (
            PaperTally.objects.select_for_update()
            .filter(review=review, evaluator=evaluator)
            .first()
        )
        before = audit.snapshot(tally) if tally else None
        tally = tally or PaperTally(review=review, evaluator=evaluator, ballots=ballots)
        tally.ballots, tally.totals, tally.grade_counts = ballots, stored_totals, counts
        tally.entered_by = user if getattr(user, "is_authenticated", False) else None
        tally.save()
        audit.record(
            tally,
            audit.Action.CREATE if before is None else audit.Action.UPDATE,
            before,
            organization_id=unit.pk,
        )
        return tally


def eligible_evaluators(review: Review, evaluator: str) -> int | None:
    """How many may evaluate the subject as ``evaluator`` (None: no known bound)."""
    from orgs.models import Member

    if evaluator in (EvaluatorKind.PEER, EvaluatorKind.BRANCH):
        members = Member.objects.filter(organization_id=review.organization_id).count()
        return members - 1 if review.member_id else members
    if evaluator == EvaluatorKind.UPWARD:
        return Organization.objects.filter(parent_id=review.organization_id, is_active=True).count()
    if evaluator == EvaluatorKind.PARENT:
        return 1
    return None


# ---- the grid: a branch scores its members, a committee its units, on one page


def uses(kind: ReviewKind) -> set[str]:
    """The evaluator kinds a review kind takes (read through a prefetch when there is one)."""
    return {row.evaluator for row in kind.evaluators.all()}


def grid_evaluator(round_: ReviewRound) -> str:
    """The evaluator kind of a round's grid: the branch for members; for
    organisations the parent, or (a 点评 kind without it) the leader from above."""
    if round_.kind.subject == ReviewKind.Subject.MEMBER:
        return EvaluatorKind.BRANCH
    used = uses(round_.kind)
    if EvaluatorKind.LEADER in used and EvaluatorKind.PARENT not in used:
        return EvaluatorKind.LEADER
    return EvaluatorKind.PARENT


def grid_key(evaluator: str, unit: Organization, user: Any) -> str:
    """Who the grid's sheets are by: the unit (支部评议, 上级党组织评议), or the
    leader in person (领导点评: the parent's reviewer rating the units below)."""
    return f"u{user.pk}" if evaluator == EvaluatorKind.LEADER else f"o{unit.pk}"


def grid_reviews(round_: ReviewRound, unit: Organization):
    """The subjects the unit scores in the grid: its members (members' round), or
    its child units (organisations' round), in the order of the roll."""
    reviews = Review.objects.filter(round=round_).select_related("member", "organization")
    if round_.kind.subject == ReviewKind.Subject.MEMBER:
        return reviews.filter(organization=unit, member__isnull=False).order_by("member__number")
    return reviews.filter(organization__parent=unit, member__isnull=True).order_by(
        "organization__lft"
    )


def may_grid(user: Any, round_: ReviewRound, unit: Organization) -> bool:
    if round_.kind.subject == ReviewKind.Subject.MEMBER:
        return selectors.can(user, selectors.EDIT_MEMBERS, unit)
    return selectors.can(user, selectors.REVIEW, unit)


def grid_save(
    *,
    round_: ReviewRound,
    unit: Organization,
    user: Any,
    entries: Mapping[int, Entry],
    submit: bool = False,
    labels: Mapping[int, str] | None = None,
) -> int:
    """Save every row of the grid at once (all or nothing): ``entries`` maps a
    review id to its row. Rows are named by position and subject in messages
    (第 3 行（张三）“带头学习提高”：…). The number of queries does not grow with
    the number of rows. A row saved again as it was is not written again (nor
    audited). Returns the number of rows saved."""
    with transaction.atomic():
        round_ = locked_open(round_.pk, NOT_OPEN)
        kind = round_.kind
        evaluator = grid_evaluator(round_)
        _uses(kind, evaluator)
        if not may_grid(user, round_, unit):
            raise ReviewError(_("只有“%(unit)s”或其上级可以评分") % {"unit": unit.name})
        reviews = list(grid_reviews(round_, unit))
        by_pk = {r.pk: r for r in reviews}
        unknown = [pk for pk in entries if pk not in by_pk]
        if unknown:
            raise ReviewError(
                _("有 %(n)s 行不是本次评议“%(unit)s”的对象")
                % {"n": len(unknown), "unit": unit.name}
            )
        key = grid_key(evaluator, unit, user)
        checked = {}
        for line, review in enumerate(reviews, start=1):
            if review.pk not in entries:
                continue
            where = (labels or {}).get(review.pk) or _("第 %(line)s 行（%(name)s）") % {
                "line": line,
                "name": review.subject_name,
            }
            checked[review.pk] = _checked(kind, entries[review.pk], submit, where)
        existing = {
            s.review_id: s
            for s in ScoreSheet.objects.select_for_update().filter(
                review__in=list(checked), evaluator=evaluator, evaluator_key=key
            )
        }
        now = timezone.now()
        entered_by = user if getattr(user, "is_authenticated", False) else None
        created, changed, trail = [], [], []
        for pk, (scores, grade, opinion) in checked.items():
            sheet = existing.get(pk)
            if sheet is not None and _unchanged(sheet, scores, grade, opinion, submit):
                continue  # saved again as it was: nothing to write, nothing to audit
            before = audit.snapshot(sheet) if sheet else None
            if sheet is None:
                sheet = ScoreSheet(review_id=pk, evaluator=evaluator, evaluator_key=key)
                created.append(sheet)
            else:
                changed.append(sheet)
            sheet.scores, sheet.grade, sheet.opinion, sheet.entered_by = (
                scores,
                grade,
                opinion,
                entered_by,
            )
            sheet.updated_at = now
            if submit:
                sheet.state, sheet.submitted_at = ScoreSheet.State.SUBMITTED, now
            trail.append((sheet, before))
        ScoreSheet.objects.bulk_create(created)
        bulk.update_fields(
            ScoreSheet,
            changed,
            ["scores", "grade", "opinion", "entered_by", "state", "submitted_at", "updated_at"],
        )
        audit.record_many(
            (
                audit.Action.CREATE if before is None else audit.Action.UPDATE,
                sheet._meta.label_lower,
                sheet.pk,
                str(by_pk[sheet.review_id].subject_name)[:200],
                unit.pk,
                audit.diff(before, audit.snapshot(sheet)),
                "",
            )
            for sheet, before in trail
        )
        return len(checked)


def _unchanged(sheet: ScoreSheet, scores: dict, grade: str, opinion: str, submit: bool) -> bool:
    return (sheet.scores, sheet.grade, sheet.opinion) == (scores, grade, opinion) and (
        not submit or sheet.state == ScoreSheet.State.SUBMITTED
    )


@dataclass(frozen=True)
class OwnGrid:
    """A grid waiting for a unit the user answers for, in an open round."""

    round: ReviewRound
    unit: Organization
    subjects: int
    submitted: int


def own_grids(user: Any) -> list[OwnGrid]:
    """The open rounds' grids of the units the user answers for (a secretary's
    branch scores its members; a committee its units), with how many are in."""
    from django.db.models import Count, Q

    from reviews.selectors import rounds_for

    units = list(selectors.own_units(user))
    if not units:
        return []
    rounds = (
        rounds_for(user)
        .filter(state=ReviewRound.State.OPEN)
        .select_related("kind")
        .prefetch_related("kind__evaluators")
    )
    found = []
    for round_ in rounds:
        evaluator = grid_evaluator(round_)
        if evaluator not in uses(round_.kind):
            continue
        for unit in units:
            if not selectors.contains(round_.organization, unit) or not may_grid(
                user, round_, unit
            ):
                continue
            counts = grid_reviews(round_, unit).aggregate(
                subjects=Count("pk", distinct=True),
                submitted=Count(
                    "sheets",
                    filter=Q(
                        sheets__evaluator=evaluator,
                        sheets__evaluator_key=grid_key(evaluator, unit, user),
                        sheets__state=ScoreSheet.State.SUBMITTED,
                    ),
                    distinct=True,
                ),
            )
            if counts["subjects"]:
                found.append(OwnGrid(round_, unit, counts["subjects"], counts["submitted"]))
    return found
