"""随机抽查: drawing a reproducible sample of units, the checklist prefilled from
the data, and the checkers' findings. Every write goes through
``spot_check_draw`` and ``spot_check_save``.

**The draw.** The population is the active units below the chosen organisation
that take part in the campaign (``campaign.selectors.plan_units_q``), of the
chosen kinds if any, ordered by id; each is recorded with its sector id. The
size is ``k`` units, or ``p`` % of the population rounded half up (at least 1).
Stratified by sector, the size is shared out in proportion to each sector's
units, each non-empty sector getting at least one (``allocate``: largest
remainder). When ``k`` is smaller than the number of non-empty sectors, every
sector still gets its one unit, so the sample has as many units as there are
sectors, more than ``k``; the page says so when it happens.

Within each stratum, taken in ascending sector id, ``random.Random(seed).sample``
picks the stratum's share from its ids in ascending order, one generator
running through the strata. The result depends on nothing but the seed, the
recorded population and the parameters: ``redraw`` repeats it from the record
(the page says so, and ``manage.py redraw_spotcheck <id>`` compares), however
the tree changed since. It relies on CPython's Mersenne Twister and
``random.sample``, unchanged for integer seeds since Python 3.2; a change there
would show as "different" in the command, not pass silently.

**The checklist** (``prefill``): 实施方案已报送 (a plan of the unit for the
campaign in any state but 草稿), 承诺已公示 (a pledge of the unit itself, not a
member's, published at least once), 已召开讲评会 (a ``Meeting`` of the unit in
a review round of the campaign), 群众满意率 (``satisfaction_for``: the campaign's
群众评议 of the unit, "—" without one). What the data said is kept beside
what the checkers record.

Integration points left for the other parts of issue 11:
- 满意率: ``satisfaction_for`` reads the survey results
  (``reviews.survey_results.satisfaction_rate``).
- 整改: ``reviews.rectify.rectification_open_from_spot_check`` opens one from
  a checked unit's findings and sets ``SpotCheck.rectification_id``.
"""

import math
import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.models import Campaign, Plan
from campaign.selectors import plan_units_q
from core import audit, workflow
from orgs import selectors
from orgs.models import Organization, Sector
from pledges.models import Pledge
from reviews.models import Meeting
from reviews.models_spotcheck import SpotCheck, SpotCheckRound


class SpotCheckError(workflow.DomainError):
    """A draw or a check the rules refuse; the message is for the user."""


# ------------------------------------------------------------------ the draw


def population(
    campaign: Campaign, root: Organization, kinds: Iterable[str] = ()
) -> list[list[int]]:
    """``[[organisation id, sector id], …]`` by id: the units below ``root`` that
    may be drawn (active, taking part in the campaign, of ``kinds`` if given)."""
    units = Organization.objects.filter(
        selectors.subtree_q(root, include_self=False), plan_units_q(campaign)
    )
    kinds = sorted(set(kinds))
    if kinds:
        units = units.filter(kind__in=kinds)
    return [[pk, sector] for pk, sector in units.order_by("pk").values_list("pk", "sector_id")]


def target_size(n: int, *, size: int | None, percent: int | None) -> int:
    """``size`` units, or ``percent`` % of ``n`` rounded half up and at least 1."""
    if size is not None:
        return size
    assert percent is not None
    return max(1, (n * percent * 2 + 100) // 200)


def allocate(counts: dict[Any, int], k: int) -> dict[Any, int]:
    """Each stratum's share of ``k``: in proportion to its units, at least one per
    non-empty stratum, by largest remainder.

    Each stratum first gets its quota ``k·n/N`` rounded down, but at least 1.
    While that is short of ``k``, one more goes to the stratum furthest below
    its quota (the largest ``quota − share``); while it is over (the minimum of
    one pushed it), one comes back from the stratum furthest above its quota
    that has more than one. Ties go to the stratum listed first (the caller
    lists them by sector id). With fewer ``k`` than non-empty strata, each
    keeps its one and the total is the number of strata.
    """
    strata = [key for key, n in counts.items() if n > 0]
    total = sum(counts[key] for key in strata)
    if not strata:
        return {}
    k = min(k, total)
    quota = {key: Decimal(k * counts[key]) / Decimal(total) for key in strata}
    share = {key: max(1, math.floor(quota[key])) for key in strata}
    order = {key: i for i, key in enumerate(strata)}
    while sum(share.values()) < k:
        open_ = [key for key in strata if share[key] < counts[key]]
        best = max(open_, key=lambda key: (quota[key] - share[key], -order[key]))
        share[best] += 1
    while sum(share.values()) > k:
        over = [key for key in strata if share[key] > 1]
        if not over:
            break  # fewer k than strata: one each
        best = max(over, key=lambda key: (share[key] - quota[key], -order[key]))
        share[best] -= 1
    return share


@dataclass(frozen=True)
class Stratum:
    sector_id: int | None  # None: the draw was not stratified
    units: int
    drawn: int
    name: str = ""


@dataclass(frozen=True)
class Draw:
    """What a draw gives: the sample (ids, ascending), the size asked for and the
    strata with their shares."""

    sample: list[int]
    asked: int
    strata: list[Stratum] = field(default_factory=list)

    @property
    def grown(self) -> bool:
        """Whether the minimum of one per stratum made the sample larger than asked."""
        return len(self.sample) > self.asked


def draw(
    frame: Sequence[Sequence[int]],
    *,
    seed: int,
    size: int | None,
    percent: int | None,
    stratify: bool,
) -> Draw:
    """The sample of ``frame`` (``[[id, sector id], …]``) the parameters and the seed
    give; the same arguments always give the same sample."""
    ids_by: dict[int | None, list[int]] = {}
    for pk, sector in sorted((int(pk), int(sector)) for pk, sector in frame):
        ids_by.setdefault(sector if stratify else None, []).append(pk)
    asked = target_size(len(frame), size=size, percent=percent)
    keys = sorted(ids_by, key=lambda key: -1 if key is None else key)
    shares = allocate({key: len(ids_by[key]) for key in keys}, asked)
    rng = random.Random(seed)
    sample: list[int] = []
    strata = []
    for key in keys:
        sample.extend(rng.sample(ids_by[key], shares[key]))
        strata.append(Stratum(key, len(ids_by[key]), shares[key]))
    return Draw(sorted(sample), asked, strata)


def redraw(round_: SpotCheckRound) -> Draw:
    """The round's draw repeated from its record alone (seed, population, parameters)."""
    return draw(
        round_.population,
        seed=int(round_.seed),
        size=round_.size,
        percent=round_.percent,
        stratify=round_.stratify,
    )


def named_strata(found: Draw) -> list[Stratum]:
    """The strata with their sectors' names (as they are called now)."""
    names = dict(
        Sector.objects.filter(
            pk__in=[s.sector_id for s in found.strata if s.sector_id]
        ).values_list("pk", "name")
    )
    return [
        Stratum(s.sector_id, s.units, s.drawn, names.get(s.sector_id, "") if s.sector_id else "")
        for s in found.strata
    ]


# ------------------------------------------------------------------ the checklist


def satisfaction_for(campaign: Campaign, unit_ids: Iterable[int]) -> dict[int, Decimal]:
    """群众满意率 (%) of each unit in the campaign, where survey results exist
    (``reviews.survey_results.satisfaction_rate``); a unit never surveyed has none
    and the checklist shows "—"."""
    from reviews.survey_results import satisfaction_rate

    return satisfaction_rate(campaign, unit_ids)


def prefill(campaign: Campaign, unit_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """What the data says of each unit for the checklist, in four queries."""
    ids = list(unit_ids)
    plans = dict(
        Plan.objects.filter(campaign=campaign, organization_id__in=ids).values_list(
            "organization_id", "state"
        )
    )
    pledged = set(
        Pledge.objects.filter(
            campaign=campaign,
            organization_id__in=ids,
            member__isnull=True,
            published_revision__gt=0,
        ).values_list("organization_id", flat=True)
    )
    met = set(
        Meeting.objects.filter(round__campaign=campaign, organization_id__in=ids).values_list(
            "organization_id", flat=True
        )
    )
    rates = satisfaction_for(campaign, ids)
    found = {}
    for pk in ids:
        state = plans.get(pk, "")
        rate = rates.get(pk)
        found[pk] = {
            "plan_filed": bool(state) and state != Plan.State.DRAFT,
            "plan_state": state,
            "pledges_public": pk in pledged,
            "meeting_held": pk in met,
            "satisfaction": None if rate is None else str(rate),
        }
    return found


# ------------------------------------------------------------------ reads


def rounds_for(user: Any) -> QuerySet[SpotCheckRound]:
    """The rounds of checks drawn inside the subtrees the user reviews (the office,
    a committee: ``REVIEW``)."""
    q = selectors.scope_q(user, selectors.REVIEW, prefix="organization__")
    rounds = SpotCheckRound.objects.select_related("campaign", "organization", "drawn_by")
    return rounds if q is None else rounds.filter(q)


def round_get(user: Any, pk: Any) -> SpotCheckRound:
    try:
        return rounds_for(user).get(pk=pk)
    except (SpotCheckRound.DoesNotExist, ValueError):
        raise Http404 from None


def check_get(round_: SpotCheckRound, organization_pk: Any) -> SpotCheck:
    """A sampled unit's check in a round already looked up through the scope."""
    try:
        return SpotCheck.objects.select_related("organization__sector").get(
            round=round_, organization_id=organization_pk
        )
    except (SpotCheck.DoesNotExist, ValueError):
        raise Http404 from None


def may_check(user: Any, round_: SpotCheckRound) -> bool:
    return selectors.can(user, selectors.REVIEW, round_.organization)


# ------------------------------------------------------------------ writes


def _kind_labels(kinds: Iterable[str]) -> str:
    return "、".join(str(Organization.Kind(k).label) for k in kinds)


def _parameter_problems(size: int | None, percent: int | None) -> list[str]:
    if (size is None) == (percent is None):
        return [_("请填写抽查数量或抽查比例（二者选一）")]
    if size is not None and size < 1:
        return [_("抽查数量至少为 1 个")]
    if percent is not None and not 1 <= percent <= 100:
        return [_("抽查比例应在 1% 至 100% 之间")]
    return []


def spot_check_draw(
    *,
    user: Any,
    campaign: Campaign,
    organization: Organization,
    title: str,
    size: int | None = None,
    percent: int | None = None,
    stratify: bool = True,
    kinds: Sequence[str] = (),
) -> SpotCheckRound:
    """Draw a round of checks: the sample recorded with its seed and population,
    and a check per sampled unit with its checklist prefilled; in one transaction,
    audited. The office or a committee (``REVIEW``) on ``organization``."""
    if not selectors.can(user, selectors.REVIEW, organization):
        raise SpotCheckError(
            _("只有活动办公室或上级党组织可以在“%(unit)s”开展随机抽查")
            % {"unit": organization.name}
        )
    if organization.tree_id != campaign.organization.tree_id:
        raise SpotCheckError(
            _("“%(unit)s”不在活动“%(campaign)s”的范围内")
            % {"unit": organization.name, "campaign": campaign.name}
        )
    problems = _parameter_problems(size, percent)
    unknown = sorted(set(kinds) - set(Organization.Kind.values))
    if unknown:
        problems.append(_("未知的组织类型：%(kinds)s") % {"kinds": "、".join(unknown)})
    if problems:
        raise SpotCheckError("；".join(problems))
    kinds = sorted(set(kinds))
    with transaction.atomic():
        frame = population(campaign, organization, kinds)
        if not frame:
            raise SpotCheckError(
                _("“%(unit)s”之下没有可抽取的单位（有效、参加本活动%(kinds)s的下级党组织）")
                % {
                    "unit": organization.name,
                    "kinds": (_("、类型为%(kinds)s") % {"kinds": _kind_labels(kinds)})
                    if kinds
                    else "",
                }
            )
        if size is not None and size > len(frame):
            raise SpotCheckError(
                _("抽查数量 %(k)s 个超过“%(unit)s”之下可抽取的单位数 %(n)s 个")
                % {"k": size, "unit": organization.name, "n": len(frame)}
            )
        seed = secrets.randbits(64)
        found = draw(frame, seed=seed, size=size, percent=percent, stratify=stratify)
        round_ = SpotCheckRound(
            campaign=campaign,
            organization=organization,
            title=title.strip(),
            size=size,
            percent=percent,
            stratify=stratify,
            kinds=kinds,
            seed=str(seed),
            population=frame,
            sample=found.sample,
            drawn_by=user if getattr(user, "is_authenticated", False) else None,
            drawn_at=timezone.now(),
        )
        try:
            round_.full_clean()
        except ValidationError as exc:
            raise SpotCheckError("；".join(exc.messages)) from None
        round_.save()
        audit.record(round_, audit.Action.CREATE, organization_id=organization.pk)
        data = prefill(campaign, found.sample)
        for pk in found.sample:
            known = data[pk]
            check = SpotCheck.objects.create(
                round=round_,
                organization_id=pk,
                plan_filed=known["plan_filed"],
                pledges_public=known["pledges_public"],
                meeting_held=known["meeting_held"],
                satisfaction=None if known["satisfaction"] is None else known["satisfaction"],
                prefilled=known,
            )
            audit.record(check, audit.Action.CREATE, organization_id=pk)
    return round_


CHECK_FIELDS = ("plan_filed", "pledges_public", "meeting_held", "satisfaction", "findings")


def spot_check_save(
    *, check: SpotCheck, user: Any, values: dict[str, Any], done: bool
) -> SpotCheck:
    """The checkers' record of a sampled unit: the checklist as they found it and
    their findings; ``done`` marks it 已检查 (else it stays or goes back to 待检查)."""
    round_ = check.round
    if not may_check(user, round_):
        raise SpotCheckError(
            _("只有活动办公室或上级党组织可以录入“%(unit)s”的检查情况")
            % {"unit": round_.organization.name}
        )
    if done and not str(values.get("findings", "")).strip():
        raise SpotCheckError(_("请填写检查发现的问题（没有问题请填写“未发现问题”）"))
    with transaction.atomic():
        check = SpotCheck.objects.select_for_update().get(pk=check.pk)
        before = audit.snapshot(check)
        for name in CHECK_FIELDS:
            setattr(check, name, values[name])
        check.findings = check.findings.strip()
        if done:
            check.state = SpotCheck.State.CHECKED
            check.checked_by = user if getattr(user, "is_authenticated", False) else None
            check.checked_at = timezone.now()
        else:
            check.state = SpotCheck.State.PENDING
        try:
            check.full_clean()
        except ValidationError as exc:
            raise SpotCheckError("；".join(exc.messages)) from None
        check.save()
        audit.record(check, audit.Action.UPDATE, before, organization_id=check.organization_id)
    return check


def sample_rows(round_: SpotCheckRound) -> list[SpotCheck]:
    """The round's checks with their units, by the units' position in the tree."""
    return list(
        SpotCheck.objects.filter(round=round_)
        .select_related("organization__sector", "organization__parent")
        .order_by("organization__tree_id", "organization__lft", "pk")
    )
