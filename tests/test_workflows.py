"""Every declared workflow move, from every app, walked from one table.

For each move: from each state it does not start from it is refused and changes
nothing; a user in scope who may not make it is refused and changes nothing;
the user who may makes it, and the audit trail records its verb. A move
declared without a row in ``CASES`` fails ``test_every_declared_move_has_a_case``,
so a new app's state machine is tested by declaring it here.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.management import call_command

from campaign import plans
from campaign.models import Campaign, Phase, Plan
from core import workflow
from core.models import AuditEntry
from orgs.models import Role
from pledges import services as pledge_services
from pledges.models import Pledge, PledgeComment
from tests.factories import UserFactory, grant

FOUR_CLEAR = {
    "theme": "党建引领",
    "carriers": "党员先锋岗",
    "conditions": "五个好",
    "commitments": "三项承诺",
}


@dataclass
class World:
    district: Any
    campaign: Campaign
    users: dict[str, Any]


def _plan(world: World) -> Plan:
    plan = plans.plan_for(campaign=world.campaign, organization=world.district.branch)
    return plans.plan_save(plan=plan, user=world.users["secretary"], **FOUR_CLEAR)


def _pledge(world: World) -> Pledge:
    """A member's pledge taken to the board (so 评诺 has published text), filed by
    the branch's secretary on the member's behalf and approved by the committee
    above (the campaign asks for an approver other than the one who entered it)."""
    secretary = world.users["secretary"]
    pledge = pledge_services.pledge_create(
        campaign=world.campaign,
        user=secretary,
        organization=world.district.branch,
        member=world.district.member,
        audience=Pledge.Audience.PUBLIC,
        items=[
            pledge_services.ItemInput(
                content="每月走访群众", due_date=dt.date(2011, 6, 30), verification="走访记录"
            )
        ],
        on_behalf=True,
    )
    pledge = pledge_services.pledge_submit(pledge=pledge, user=secretary)
    pledge = pledge_services.pledge_approve(pledge=pledge, user=world.users["committee"])
    return pledge_services.pledge_publish(pledge=pledge, user=secretary)


def _comment(world: World) -> PledgeComment:
    return pledge_services.comment_add(
        pledge=_pledge(world), text="很好", author="", address="192.0.2.1"
    )


def _outcome_values(world: World) -> dict[str, Any]:
    phase = Phase.objects.filter(campaign=world.campaign).order_by("start_date").first()
    return {"outcome": Pledge.Outcome.HONOURED, "outcome_comment": "", "outcome_phase": phase}


def _award(world: World, **kw: Any) -> Any:
    from tests.awards.builders import award_world

    return award_world(world.district, world.campaign, **kw)


def _nomination(world: World) -> Any:
    return _award(world, nomination_state="endorsing").nomination


def _award_round(world: World) -> Any:
    """A round with one nomination 复审通过, its 公示 (if forced there) over."""
    from tests.awards.builders import in_publicity

    built = _award(world, round_state="draft", nomination_state="vetted")
    in_publicity(built, ended=True)
    type(built.round).objects.filter(pk=built.round.pk).update(state="draft")
    return built.round


def _objection(world: World) -> Any:
    from tests.awards.builders import in_publicity, objection

    built = in_publicity(_award(world, nomination_state="vetted"))
    return objection(built)


def _round(world: World) -> Any:
    """A 党员民主评议 round on the committee's street (licheng's review kinds)."""
    from reviews import services as review_services
    from reviews.models import ReviewKind

    return review_services.round_create(
        user=world.users["committee"],
        campaign=world.campaign,
        kind=ReviewKind.objects.get(campaign=world.campaign, name="党员民主评议"),
        organization=world.district.street,
        period="2010年第四季度",
        opens_on=dt.date(2010, 12, 1),
        closes_on=dt.date(2010, 12, 31),
    )


def _bulletin(world: World) -> Any:
    """issue 13: bulletins. A draft of the street's committee to 本组织及下级."""
    from campaign import bulletins

    return bulletins.bulletin_create(
        user=world.users["committee"],
        campaign=world.campaign,
        organization=world.district.street,
        kind="work",
        title="街道工作简报",
        body="正文",
        audience="subtree",
    )


def _rectification(world: World) -> Any:
    """issue 11: rectify. An item on the branch opened by the committee, with its
    evidence written (so 整改完成 may be made from 整改中)."""
    from reviews import rectify
    from reviews.models_rectify import Rectification

    item = rectify.rectification_open(
        user=world.users["committee"],
        campaign=world.campaign,
        organization=world.district.branch,
        description="公示栏承诺未及时更新",
        due_on=dt.date(2026, 12, 31),
        source_kind=Rectification.SourceKind.SPOT_CHECK,
    )
    Rectification.objects.filter(pk=item.pk).update(evidence="已更新公示栏")
    return Rectification.objects.get(pk=item.pk)


@dataclass(frozen=True)
class Case:
    """Who may make the move, who in scope may not, and what else the move takes."""

    may: str
    may_not: tuple[str, ...]
    values: Any = None  # World -> extra field values
    reason: str = ""


@dataclass(frozen=True)
class Subject:
    build: Any  # World -> an object of the workflow's model
    moves: dict[str, Case] = field(default_factory=dict)


# reader: a contact-point leader granted on the branch (sees it, may change nothing);
# member_self: the member with a login whose pledge it is.
CASES: dict[str, Subject] = {
    "campaign.plan": Subject(
        _plan,
        {
            "submit": Case("secretary", ("reader",)),
            "accept": Case("committee", ("secretary", "reader")),
            "return": Case("committee", ("secretary", "reader"), reason="内容不具体"),
        },
    ),
    "pledges.pledge": Subject(
        _pledge,
        {
            "submit": Case("secretary", ("reader",)),
            # The secretary entered it: with the campaign's separate_approver (on by
            # default) another person with the right approves it.
            "approve": Case("committee", ("member_self", "reader", "secretary")),
            "return": Case("secretary", ("member_self", "reader"), reason="不够具体"),
            "publish": Case("secretary", ("reader",)),
            "outcome": Case("secretary", ("member_self", "reader"), values=_outcome_values),
        },
    ),
    # The office or a committee above runs a round; only the admin reopens a closed one.
    "reviews.reviewround": Subject(
        _round,
        {
            "open": Case("committee", ("secretary", "reader")),
            "close": Case("committee", ("secretary", "reader")),
            "publish": Case("committee", ("secretary", "reader")),
            "reopen": Case("admin", ("committee", "secretary"), reason="补录纸质票"),
        },
    ),
    # issue 11: rectify. The branch works on its item; the committee above verifies
    # it or sends it back (重新整改, with a reason); the contact leader reads only.
    "reviews.rectification": Subject(
        _rectification,
        {
            "start": Case("secretary", ("reader",)),
            "complete": Case("secretary", ("reader",)),
            "verify": Case("committee", ("secretary", "reader")),
            "redo": Case("committee", ("secretary", "reader"), reason="佐证材料不足"),
        },
    ),
    # issue 12: the branch nominates; the committee endorses for the levels of its
    # street (the community first); the office vets, returns, publishes, finalises
    # and resolves objections; the contact leader (reader) may do nothing.
    "awards.nomination": Subject(
        _nomination,
        {
            "endorse": Case("committee", ("secretary", "reader")),
            "reject": Case("committee", ("secretary", "reader"), reason="事迹不突出"),
            "vet": Case("office", ("committee", "secretary")),
            "return": Case("office", ("committee", "secretary"), reason="事迹材料不完整"),
            "resubmit": Case("secretary", ("reader",)),
            "withdraw": Case("secretary", ("reader",), reason="本人调离"),
            "award": Case("office", ("committee", "secretary")),
        },
    ),
    "awards.awardround": Subject(
        _award_round,
        {
            "open": Case("office", ("committee", "secretary")),
            "publish": Case("office", ("committee", "secretary")),
            "finalise": Case("office", ("committee", "secretary")),
        },
    ),
    "awards.objection": Subject(
        _objection,
        {
            "uphold": Case("office", ("committee", "secretary"), reason="经核实属实"),
            "dismiss": Case("office", ("committee", "secretary"), reason="经核实不属实"),
        },
    ),
    # issue 13: bulletins. The street's committee publishes and withdraws (with a
    # reason); the branch's secretary and the contact leader below only read.
    "campaign.bulletin": Subject(
        _bulletin,
        {
            "publish": Case("committee", ("secretary", "reader")),
            "withdraw": Case("committee", ("secretary", "reader"), reason="数据有误"),
        },
    ),
    "pledges.pledgecomment": Subject(
        _comment,
        {
            "show": Case("secretary", ("member_self", "reader")),
            "hide": Case("secretary", ("member_self", "reader")),
        },
    ),
}


def _declared() -> list[tuple[workflow.Workflow, str]]:
    return [(flow, verb) for flow in workflow.workflows() for verb in flow.moves]


def _label(flow: workflow.Workflow) -> str:
    return flow.model._meta.label_lower


def _state_cases() -> list[Any]:
    cases = []
    for flow, verb in _declared():
        states = [s for s in flow.model._meta.get_field(flow.state_field).choices or []]
        for state, _ in states:
            if state not in flow.moves[verb].sources:
                cases.append(pytest.param(flow, verb, state, id=f"{_label(flow)}-{verb}-{state}"))
    return cases


def _actor_cases() -> list[Any]:
    cases = []
    for flow, verb in _declared():
        case = CASES.get(_label(flow), Subject(None)).moves.get(verb)
        for who in case.may_not if case else ():
            cases.append(pytest.param(flow, verb, who, id=f"{_label(flow)}-{verb}-{who}"))
    return cases


def _move_cases() -> list[Any]:
    return [pytest.param(flow, verb, id=f"{_label(flow)}-{verb}") for flow, verb in _declared()]


@pytest.fixture
def world(district, monkeypatch) -> World:
    from tests.awards.builders import TODAY

    monkeypatch.setattr("awards.nominations.today", lambda: TODAY)
    call_command("load_campaign", "licheng", "--root", district.root.code, verbosity=0)
    users = dict(district.users)
    users["reader"] = UserFactory(username="reader")
    grant(users["reader"], Role.CONTACT_LEADER, district.branch)
    users["member_self"] = UserFactory(username="member_self")
    district.member.user = users["member_self"]
    district.member.save()
    return World(district, Campaign.objects.get(), users)


def _row(obj: Any) -> dict[str, Any]:
    return type(obj).objects.filter(pk=obj.pk).values().get()


def _force(flow: workflow.Workflow, obj: Any, state: str) -> Any:
    """Put the object in ``state`` directly (the constraints a state carries kept)."""
    values: dict[str, Any] = {flow.state_field: state}
    if state == "returned":  # a returned record carries its reason (a CHECK constraint)
        values["return_reason"] = "此前退回"
    if flow.model._meta.label_lower == "campaign.bulletin" and state != "draft":
        # a published or withdrawn bulletin carries its 期数, a withdrawn one its reason
        values |= {"year": 2011, "number": 99, "withdraw_reason": "此前撤回"}
    type(obj).objects.filter(pk=obj.pk).update(**values)
    return type(obj).objects.get(pk=obj.pk)


def _source(flow: workflow.Workflow, verb: str) -> str:
    return flow.moves[verb].sources[0]


def _arguments(world: World, case: Case) -> dict[str, Any]:
    values = case.values(world) if case.values else {}
    return {"reason": case.reason, **values}


def test_every_declared_move_has_a_case():
    declared = {(_label(flow), verb) for flow, verb in _declared()}
    assert {("campaign.plan", "accept"), ("pledges.pledge", "publish")} <= declared
    tested = {(label, verb) for label, subject in CASES.items() for verb in subject.moves}
    assert declared - tested == set(), "declared moves without a row in CASES"


@pytest.mark.parametrize("flow,verb,state", _state_cases())
def test_a_move_from_a_state_it_does_not_start_from_is_refused(world, flow, verb, state):
    case = CASES[_label(flow)].moves[verb]
    obj = _force(flow, CASES[_label(flow)].build(world), state)
    before, entries = _row(obj), AuditEntry.objects.count()
    with pytest.raises(flow.error, match="不能"):
        workflow.apply(flow, verb, obj=obj, user=world.users[case.may], **_arguments(world, case))
    assert _row(obj) == before
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("flow,verb,who", _actor_cases())
def test_a_user_in_scope_who_may_not_make_the_move_is_refused(world, flow, verb, who):
    case = CASES[_label(flow)].moves[verb]
    obj = _force(flow, CASES[_label(flow)].build(world), _source(flow, verb))
    before, entries = _row(obj), AuditEntry.objects.count()
    assert not workflow.may(flow, verb, obj=obj, user=world.users[who])
    with pytest.raises(flow.error) as refused:
        workflow.apply(flow, verb, obj=obj, user=world.users[who], **_arguments(world, case))
    assert str(refused.value) == workflow._refusal(flow.moves[verb], obj)
    assert _row(obj) == before
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("flow,verb", _move_cases())
def test_the_user_who_may_makes_the_move_and_the_trail_names_it(world, flow, verb):
    case = CASES[_label(flow)].moves[verb]
    move = flow.moves[verb]
    obj = _force(flow, CASES[_label(flow)].build(world), _source(flow, verb))
    user = world.users[case.may]
    assert workflow.may(flow, verb, obj=obj, user=user)
    done = workflow.apply(flow, verb, obj=obj, user=user, **_arguments(world, case))
    expected = move.target or _source(flow, verb)
    assert getattr(type(obj).objects.get(pk=obj.pk), flow.state_field) == expected
    assert done.pk == obj.pk
    entry = AuditEntry.objects.filter(model=_label(flow), object_id=str(obj.pk)).first()
    assert entry is not None and entry.verb == verb
    assert str(workflow.verb_label(_label(flow), verb)) == str(move.label)


def test_a_move_that_needs_a_reason_is_refused_without_one(world):
    plan = plans.plan_submit(plan=_plan(world), user=world.users["secretary"])
    with pytest.raises(plans.PlanError, match="退回必须填写理由"):
        plans.plan_return(plan=plan, user=world.users["committee"], reason="  ")
    assert Plan.objects.get(pk=plan.pk).state == Plan.State.SUBMITTED


def test_every_domain_error_extends_the_one_base():
    from orgs.services import DomainError as OrgError

    for error in (plans.PlanError, pledge_services.PledgeError, OrgError):
        assert issubclass(error, workflow.DomainError)


def test_the_history_reads_the_moves_by_name(world, login):
    secretary, committee = world.users["secretary"], world.users["committee"]
    plan = plans.plan_submit(plan=_plan(world), user=secretary)
    plan = plans.plan_return(plan=plan, user=committee, reason="内容不具体")
    plan = plans.plan_submit(plan=plan, user=secretary)
    plans.plan_accept(plan=plan, user=committee)
    from core import audit

    labels = [e.action_label for e in audit.history(world.district.branch.pk) if e.verb]
    assert labels == ["备案", "报送", "退回", "报送"]  # newest first
    page = login(committee).get(f"/orgs/{world.district.branch.pk}/").content.decode()
    assert "<strong>备案</strong>" in page and "<strong>退回</strong>" in page


def _entered_by_secretary(world: World) -> Pledge:
    secretary = world.users["secretary"]
    pledge = pledge_services.pledge_create(
        campaign=world.campaign,
        user=secretary,
        organization=world.district.branch,
        member=world.district.member,
        audience=Pledge.Audience.ORGANIZATION,
        items=[
            pledge_services.ItemInput(
                content="带头学习", due_date=dt.date(2011, 6, 30), verification="学习笔记"
            )
        ],
        on_behalf=True,
    )
    return pledge_services.pledge_submit(pledge=pledge, user=secretary)


def test_one_secretary_cannot_enter_approve_and_publish_alone(world):
    pledge = _entered_by_secretary(world)
    secretary = world.users["secretary"]
    flow = pledge_services.WORKFLOW
    assert pledge.entered_by == secretary and world.campaign.separate_approver
    assert pledge_services.can_approve(secretary, pledge)  # the branch's right ...
    assert not workflow.may(flow, "approve", obj=pledge, user=secretary)  # ... but not alone
    with pytest.raises(pledge_services.PledgeError, match="审核人须不同于录入人（secretary）"):
        pledge_services.pledge_approve(pledge=pledge, user=secretary)
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.SUBMITTED
    # Someone else with the right may; then the one who entered it may publish it.
    pledge = pledge_services.pledge_approve(pledge=pledge, user=world.users["committee"])
    pledge = pledge_services.pledge_publish(pledge=pledge, user=secretary)
    assert pledge.state == Pledge.State.PUBLISHED and pledge.approved_by == world.users["committee"]


def test_the_enterer_may_approve_where_the_campaign_allows_it(world):
    Campaign.objects.filter(pk=world.campaign.pk).update(separate_approver=False)
    pledge = _entered_by_secretary(world)
    secretary = world.users["secretary"]
    assert workflow.may(pledge_services.WORKFLOW, "approve", obj=pledge, user=secretary)
    assert pledge_services.pledge_approve(pledge=pledge, user=secretary).state == "approved"


def test_whoever_revises_the_text_is_the_one_who_may_not_approve_it(world):
    """A second revision entered by the committee: now the secretary may approve it."""
    pledge = pledge_services.pledge_approve(
        pledge=_entered_by_secretary(world), user=world.users["committee"]
    )
    pledge = pledge_services.pledge_publish(pledge=pledge, user=world.users["committee"])
    committee, secretary = world.users["committee"], world.users["secretary"]
    pledge = pledge_services.pledge_save(
        pledge=pledge,
        user=committee,
        items=[
            pledge_services.ItemInput(
                content="带头学习，每季度一篇体会",
                due_date=dt.date(2011, 6, 30),
                verification="学习笔记",
                key=1,
            )
        ],
    )
    assert pledge.entered_by == committee and pledge.created_by == secretary
    pledge = pledge_services.pledge_submit(pledge=pledge, user=committee)
    with pytest.raises(pledge_services.PledgeError, match="审核人须不同于录入人"):
        pledge_services.pledge_approve(pledge=pledge, user=committee)
    assert pledge_services.pledge_approve(pledge=pledge, user=secretary).state == "approved"
