"""评选条件: evaluating a category's rules over many subjects at once.

Each rule kind (``EligibilityRule.Kind``) reads one source, in one query for all
the subjects asked about (a member subject's organisation is its branch, for the
figures that are kept per organisation: 满意率 and 整改):

- 评议得分或等次: the ``Review`` results of the chosen review rounds
  (``composite`` ≥ the minimum, or ``grade`` among the grades, in every round);
- 群众满意率: ``reviews.survey_results.satisfaction_rate`` over the campaign (a
  member surveyed in person: ``member_satisfaction_rate``, else their branch's);
- 整改: ``reviews.rectify.has_open_or_overdue`` / ``overdue_for``;
- 承诺兑现: the campaign's published pledges and their 评诺 outcomes (all
  已兑现, or at least the configured share);
- 仅限正式党员: the member's category;
- 近几次未获同一称号: the ``Award`` records of the last n finished rounds on the
  same campaign root, by title.

Each gives a ``Fact``: what was read (shown and stored with a nomination), a
number for the ranking job where there is one, pass or fail, and the Chinese
reason when it fails.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from awards.models import Award, AwardCategory, AwardRound, EligibilityRule
from awards.rules import split_grades

Kind = EligibilityRule.Kind


@dataclass(frozen=True)
class Fact:
    rule: str
    label: str
    value: str
    passed: bool
    reason: str = ""
    number: float | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Result:
    facts: list[Fact]

    @property
    def eligible(self) -> bool:
        return all(f.passed for f in self.facts)

    @property
    def failed(self) -> list[Fact]:
        return [f for f in self.facts if not f.passed]

    def as_json(self) -> list[dict[str, Any]]:
        return [f.as_json() for f in self.facts]


def is_member_category(category: AwardCategory) -> bool:
    return category.subject != AwardCategory.Subject.ORGANIZATION


def _org_of(category: AwardCategory, subject: Any) -> int:
    return subject.organization_id if is_member_category(category) else subject.pk


def _pct(value: Decimal | float) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01')).normalize():f}"


def evaluate(category: AwardCategory, subjects: Sequence[Any]) -> dict[int, Result]:
    """Every rule of the category over the subjects (members for a member
    category, organisations otherwise), keyed by the subject's id."""
    rules = list(category.rules.prefetch_related("review_rounds__kind").order_by("position", "pk"))
    facts: dict[int, list[Fact]] = {s.pk: [] for s in subjects}
    for rule in rules:
        for pk, fact in _EVALUATORS[rule.kind](rule, category, subjects).items():
            facts[pk].append(fact)
    return {pk: Result(found) for pk, found in facts.items()}


def _score(rule: EligibilityRule, category: AwardCategory, subjects: Sequence[Any]):
    from reviews.models import Review

    label = str(Kind.SCORE.label)
    rounds = sorted(rule.review_rounds.all(), key=lambda r: (r.opens_on, r.pk))
    ids = [s.pk for s in subjects]
    reviews = Review.objects.filter(round__in=[r.pk for r in rounds])
    if is_member_category(category):
        reviews = reviews.filter(member_id__in=ids)
        key = "member_id"
    else:
        reviews = reviews.filter(organization_id__in=ids, member__isnull=True)
        key = "organization_id"
    found = {
        (row["round_id"], row[key]): (row["composite"], row["grade"])
        for row in reviews.values("round_id", key, "composite", "grade")
    }
    grades = split_grades(rule.grades)
    wanted = []
    if rule.min_score is not None:
        wanted.append(_("综合得分不低于 %(min)s") % {"min": _pct(rule.min_score)})
    if grades:
        wanted.append(_("等次为%(grades)s") % {"grades": "、".join(grades)})
    need = _("或").join(wanted)
    out = {}
    for subject in subjects:
        shown, reasons, numbers = [], [], []
        for review_round in rounds:
            name = str(review_round)
            composite, grade = found.get((review_round.pk, subject.pk), (None, None))
            if (review_round.pk, subject.pk) not in found:
                reasons.append(_("未参加%(round)s") % {"round": name})
                continue
            if composite is None and not grade:
                reasons.append(_("%(round)s尚无评议结果") % {"round": name})
                continue
            text = name + "：" + (_pct(composite) if composite is not None else "—")
            if grade:
                text += f"（{grade}）"
            shown.append(text)
            if composite is not None:
                numbers.append(float(composite))
            ok = (
                rule.min_score is not None and composite is not None and composite >= rule.min_score
            ) or (bool(grades) and grade in grades)
            if not ok:
                reasons.append(
                    _("%(round)s%(got)s，未达到%(need)s")
                    % {"round": name, "got": text[len(name) + 1 :], "need": need}
                )
        value = "；".join(shown) or "—"
        number = sum(numbers) / len(numbers) if numbers else None
        out[subject.pk] = Fact(
            rule.kind, label, value, not reasons and bool(rounds), "；".join(reasons), number
        )
    return out


def _satisfaction(rule: EligibilityRule, category: AwardCategory, subjects: Sequence[Any]):
    from reviews.survey_results import member_satisfaction_rate, satisfaction_rate

    label = str(Kind.SATISFACTION.label)
    campaign = category.round.campaign
    orgs = {s.pk: _org_of(category, s) for s in subjects}
    rates = satisfaction_rate(campaign, set(orgs.values()))
    # A member surveyed in person (a survey of members) is read by their own
    # rate; one never surveyed by their branch's.
    own = (
        member_satisfaction_rate(campaign, [s.pk for s in subjects])
        if is_member_category(category)
        else {}
    )
    minimum = rule.min_percent or Decimal(0)
    out = {}
    for subject in subjects:
        rate = own.get(subject.pk, rates.get(orgs[subject.pk]))
        if rate is None:
            out[subject.pk] = Fact(rule.kind, label, "—", False, _("尚无群众满意率测评结果"))
            continue
        passed = rate >= minimum
        reason = (
            ""
            if passed
            else _("群众满意率 %(rate)s%%，低于 %(min)s%%")
            % {"rate": _pct(rate), "min": _pct(minimum)}
        )
        out[subject.pk] = Fact(rule.kind, label, f"{_pct(rate)}%", passed, reason, float(rate))
    return out


def _rectification(rule: EligibilityRule, category: AwardCategory, subjects: Sequence[Any]):
    from reviews.rectify import has_open_or_overdue, overdue_for

    label = str(Kind.RECTIFICATION.label)
    campaign = category.round.campaign
    orgs = {s.pk: _org_of(category, s) for s in subjects}
    unfinished = has_open_or_overdue(campaign, set(orgs.values()))
    overdue = overdue_for(campaign, unfinished) if unfinished else set()
    out = {}
    for subject in subjects:
        org = orgs[subject.pk]
        if org in overdue:
            out[subject.pk] = Fact(
                rule.kind, label, _("有逾期事项"), False, _("有逾期未完成的整改事项")
            )
        elif org in unfinished:
            out[subject.pk] = Fact(
                rule.kind, label, _("有未核验事项"), False, _("有尚未核验的整改事项")
            )
        else:
            out[subject.pk] = Fact(rule.kind, label, _("均已核验"), True)
    return out


def _pledges(rule: EligibilityRule, category: AwardCategory, subjects: Sequence[Any]):
    from pledges.models import Pledge

    label = str(Kind.PLEDGES.label)
    ids = [s.pk for s in subjects]
    pledges = Pledge.objects.filter(campaign=category.round.campaign, state=Pledge.State.PUBLISHED)
    if is_member_category(category):
        pledges, key = pledges.filter(member_id__in=ids), "member_id"
    else:
        pledges, key = (
            pledges.filter(organization_id__in=ids, member__isnull=True),
            "organization_id",
        )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for subject_id, outcome in pledges.values_list(key, "outcome"):
        counts[subject_id][1] += 1
        if outcome == Pledge.Outcome.HONOURED:
            counts[subject_id][0] += 1
    out = {}
    for subject in subjects:
        honoured, total = counts.get(subject.pk, (0, 0))
        if not total:
            out[subject.pk] = Fact(rule.kind, label, "—", False, _("本活动中没有已公示的承诺"))
            continue
        rate = Decimal(100 * honoured) / total
        value = _("%(total)s 项承诺，已兑现 %(h)s 项") % {"total": total, "h": honoured}
        if rule.min_percent is None:
            passed = honoured == total
            need = _("全部已兑现")
        else:
            passed = rate >= rule.min_percent
            need = _("兑现率不低于 %(min)s%%") % {"min": _pct(rule.min_percent)}
        reason = (
            ""
            if passed
            else _("%(value)s（%(rate)s%%），未达到%(need)s")
            % {"value": value, "rate": _pct(rate), "need": need}
        )
        out[subject.pk] = Fact(rule.kind, label, value, passed, reason, float(rate))
    return out


def _full_member(rule: EligibilityRule, category: AwardCategory, subjects: Sequence[Any]):
    from orgs.models import Member

    label = str(Kind.FULL_MEMBER.label)
    out = {}
    for subject in subjects:
        category_value = str(getattr(subject, "category", ""))
        shown = dict(Member.Category.choices).get(category_value, "—")
        passed = category_value == Member.Category.FULL
        reason = (
            ""
            if passed
            else _("%(name)s为%(category)s，不是正式党员")
            % {
                "name": getattr(subject, "name", ""),
                "category": shown,
            }
        )
        out[subject.pk] = Fact(rule.kind, label, str(shown), passed, reason)
    return out


def earlier_rounds(round_: AwardRound, n: int) -> list[AwardRound]:
    """The last ``n`` finished rounds before this one on the same campaign root."""
    root = round_.campaign.organization_id
    return list(
        AwardRound.objects.filter(
            campaign__organization_id=root,
            state=AwardRound.State.FINISHED,
            nomination_deadline__lt=round_.nomination_deadline,
        )
        .exclude(pk=round_.pk)
        .order_by("-nomination_deadline", "-pk")[:n]
    )


def _not_awarded(rule: EligibilityRule, category: AwardCategory, subjects: Sequence[Any]):
    label = str(Kind.NOT_AWARDED.label)
    rounds = earlier_rounds(category.round, rule.rounds_back or 1)
    ids = [s.pk for s in subjects]
    key = "member_id" if is_member_category(category) else "organization_id"
    won: dict[int, list[str]] = defaultdict(list)
    if rounds:
        awards = Award.objects.filter(round__in=rounds, title=category.name, **{f"{key}__in": ids})
        for subject_id, name in awards.values_list(key, "round__name").order_by("round_id"):
            won[subject_id].append(name)
    out = {}
    for subject in subjects:
        names = won.get(subject.pk)
        if names:
            reason = _("已在%(rounds)s获得“%(title)s”称号（近 %(n)s 次评选不得重复）") % {
                "rounds": "、".join(names),
                "title": category.name,
                "n": rule.rounds_back,
            }
            out[subject.pk] = Fact(rule.kind, label, "、".join(names), False, reason)
        else:
            out[subject.pk] = Fact(rule.kind, label, _("未获得"), True)
    return out


_EVALUATORS: dict[str, Any] = {
    Kind.SCORE: _score,
    Kind.SATISFACTION: _satisfaction,
    Kind.RECTIFICATION: _rectification,
    Kind.PLEDGES: _pledges,
    Kind.FULL_MEMBER: _full_member,
    Kind.NOT_AWARDED: _not_awarded,
}
