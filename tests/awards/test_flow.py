"""择优推荐 → 层层推荐 → 组织复审 → 公示 → 表彰 through the services: each
refusal of issue 12 §5 with nothing changed, the chain in order, an objection
blocking finalisation, the quota race."""

import datetime as dt
import threading

import pytest
from django.db import connection

from awards import nominations, publicity, quotas
from awards.models import Award, AwardRound, EligibilityRule, Endorsement, Nomination, Objection
from awards.nominations import NominationError
from awards.publicity import RoundError
from core.models import AuditEntry
from orgs.models import Member
from tests.awards.builders import DEEDS, TODAY, award_world, in_publicity, objection
from tests.factories import MemberFactory


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("awards.nominations.today", lambda: TODAY)


@pytest.fixture
def world(district, campaign):
    return award_world(district, campaign)


def nominate(district, world, member=None, user="secretary", unit=None, **kw):
    return nominations.nomination_create(
        user=district.users[user],
        category=world.category,
        unit=unit or district.branch,
        subject=member or district.member,
        summary=kw.pop("summary", "带头走访群众"),
        deeds=kw.pop("deeds", DEEDS),
        **kw,
    )


def unchanged(fn):
    before = (Nomination.objects.count(), AuditEntry.objects.count())
    with pytest.raises((NominationError, RoundError)) as refused:
        fn()
    assert (Nomination.objects.count(), AuditEntry.objects.count()) == before
    return str(refused.value)


def test_a_branch_nominates_with_the_facts_and_the_quota_counts_it(district, world):
    EligibilityRule.objects.create(category=world.category, kind="full_member")
    made = nominate(district, world)
    assert made.state == "endorsing" and made.eligible
    assert made.facts == [
        {
            "rule": "full_member",
            "label": "仅限正式党员",
            "value": "正式党员",
            "passed": True,
            "reason": "",
            "number": None,
        }
    ]
    assert quotas.quota_used(world.category, district.branch) == 1
    entry = AuditEntry.objects.get(model="awards.nomination", object_id=str(made.pk))
    assert entry.verb == "择优推荐" and entry.organization_id == district.branch.pk


def test_the_refusals_of_nominating(district, world, monkeypatch):
    EligibilityRule.objects.create(category=world.category, kind="full_member")
    probationary = MemberFactory(organization=district.branch, category="probationary")
    assert unchanged(lambda: nominate(district, world, probationary)) == (
        f"不符合评选条件：仅限正式党员——{probationary.name}为预备党员，不是正式党员"
    )
    assert unchanged(lambda: nominate(district, world, district.far_member)) == (
        f"{district.far_member.name}不在第一党支部的推荐范围内"
    )
    assert (
        unchanged(lambda: nominate(district, world, user="sibling_secretary"))
        == "您不能以第一党支部的名义推荐"
    )
    assert unchanged(lambda: nominate(district, world, deeds="好")) == "事迹材料：至少 20 字"
    assert "事迹材料不能超过 3000 字" in unchanged(
        lambda: nominate(district, world, deeds="好" * 3001)
    )
    nominate(district, world)
    assert unchanged(lambda: nominate(district, world)) == (
        f"{district.member.name}已被第一党支部推荐为优秀共产党员，不能重复推荐"
    )
    nominate(district, world, district.own_member)
    third = MemberFactory(organization=district.branch)
    assert unchanged(lambda: nominate(district, world, third)) == (
        "第一党支部的优秀共产党员名额已用完（共 2 个，已占用 2 个）"
    )
    monkeypatch.setattr("awards.nominations.today", lambda: dt.date(2010, 7, 1))
    assert unchanged(lambda: nominate(district, world, third)) == (
        "推荐截止日期（2010-06-30）已过，不能再推荐"
    )
    AwardRound.objects.filter(pk=world.round.pk).update(state="draft")
    world.category.round.refresh_from_db()
    assert "不在推荐评审阶段" in unchanged(lambda: nominate(district, world, third))


def test_a_photo_is_checked_by_its_content(district, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import images

    fake = SimpleUploadedFile("p.jpg", b"not a picture at all")
    assert unchanged(lambda: nominate(district, world, photos=[fake])) == (
        "事迹照片只接受 PNG 或 JPG 图片：p.jpg"
    )
    made = nominate(district, world, photos=[SimpleUploadedFile("x.png", images.png())])
    assert made.photos.count() == 1


def _endorse(district, nomination, user, level=None, reason=""):
    return nominations.move(
        nomination=nomination,
        verb="endorse",
        user=district.users[user],
        reason=reason,
        as_level=level.pk if level else None,
    )


def test_every_ancestor_endorses_in_order_then_the_office_vets(district, world):
    made = nominate(district, world)
    assert [level.name for level in nominations.chain(made)] == [
        "第一社区党委",
        "第一街道党工委",
        "中共测试区委",
    ]
    # out of order: the street before the community
    assert (
        unchanged(lambda: _endorse(district, made, "committee", district.street))
        == "第一街道党工委还不能审核：现在应由第一社区党委审核"
    )
    # not an ancestor
    assert (
        unchanged(lambda: _endorse(district, made, "office", district.street2))
        == "审核单位不是第一党支部的上级党组织，不能审核"
    )
    # the branch cannot endorse its own nomination
    assert unchanged(lambda: _endorse(district, made, "secretary")) == "现在应由第一社区党委审核"
    made = _endorse(district, made, "committee", district.community)
    made = _endorse(district, made, "committee", district.street)
    assert made.state == "endorsing"
    assert quotas.quota_used(world.category, district.street) == 1
    made = _endorse(district, made, "office", district.root)
    assert made.state == "endorsed"
    rows = nominations.chain_rows(made)
    assert [r["endorsement"].decision for r in rows] == ["endorsed"] * 3
    made = nominations.move(nomination=made, verb="vet", user=district.users["office"])
    assert made.state == "vetted"
    verbs = list(
        AuditEntry.objects.filter(model="awards.nomination", object_id=str(made.pk))
        .order_by("at", "pk")
        .values_list("verb", flat=True)
    )
    assert verbs == ["择优推荐", "endorse", "endorse", "endorse", "vet"]


def test_an_ancestor_endorses_within_its_own_quota(district, world):
    from awards.models import Quota

    Quota.objects.filter(category=world.category, organization=district.community).update(amount=1)
    first = nominate(district, world)
    second = nominate(district, world, district.own_member)
    _endorse(district, first, "committee", district.community)
    assert (
        unchanged(lambda: _endorse(district, second, "committee", district.community))
        == "第一社区党委的优秀共产党员名额已用完（共 1 个，已占用 1 个）"
    )
    assert Endorsement.objects.filter(nomination=second).count() == 0


def test_a_rejection_needs_a_reason_and_frees_the_place(district, world):
    made = nominate(district, world)
    assert "必须填写理由" in unchanged(
        lambda: nominations.move(nomination=made, verb="reject", user=district.users["committee"])
    )
    made = nominations.move(
        nomination=made, verb="reject", user=district.users["committee"], reason="事迹不突出"
    )
    assert made.state == "rejected"
    assert Endorsement.objects.get(nomination=made).decision == "rejected"
    assert quotas.quota_used(world.category, district.branch) == 0


def test_the_office_returns_and_the_unit_sends_again_from_the_bottom(district, world):
    made = nominate(district, world)
    for level, user in ((district.community, "committee"), (district.street, "committee")):
        made = _endorse(district, made, user, level)
    made = _endorse(district, made, "office", district.root)
    made = nominations.move(
        nomination=made, verb="return", user=district.users["office"], reason="事迹材料不完整"
    )
    assert made.state == "returned" and made.return_reason == "事迹材料不完整"
    made = nominations.move(nomination=made, verb="resubmit", user=district.users["secretary"])
    assert made.state == "endorsing" and made.cycle == 2
    assert nominations.next_endorser(made) == district.community


def _vetted(district, world, member=None):
    made = nominate(district, world, member)
    Nomination.objects.filter(pk=made.pk).update(state="vetted")
    return Nomination.objects.get(pk=made.pk)


def test_publishing_needs_everything_vetted(district, world):
    office = district.users["office"]
    made = nominate(district, world)
    assert (
        unchanged(lambda: publicity.round_move(round_=world.round, verb="publish", user=office))
        == "没有复审通过的推荐对象，不能公示"
    )
    Nomination.objects.filter(pk=made.pk).update(state="endorsed")
    assert (
        unchanged(lambda: publicity.round_move(round_=world.round, verb="publish", user=office))
        == "还有待组织复审的推荐对象，请先复审"
    )
    Nomination.objects.filter(pk=made.pk).update(state="vetted")
    done = publicity.round_move(round_=world.round, verb="publish", user=office)
    assert done.state == "publicity"
    assert done.publicity_ends_at - done.publicity_starts_at == dt.timedelta(days=7)


def test_objections_are_capped_rate_limited_and_refused_after_publicity(district, world, settings):
    settings.AWARD_OBJECTION_LIMIT = 2
    made = _vetted(district, world)
    in_publicity(world)

    def add(text="材料有夸大", address="192.0.2.7", pk=made.pk):
        return publicity.objection_add(
            round_=world.round, nomination_pk=pk, text=text, contact="", address=address
        )

    assert "异议内容不能超过 1000 字" in unchanged(lambda: add("异" * 1001))
    assert unchanged(lambda: add("  ")) == "异议内容：请填写"
    assert unchanged(lambda: add(pk=0)) == "异议对象：请从公示名单中选择"
    add()
    add()
    assert unchanged(add) == "提交过于频繁，请 10 分钟后再试"
    add(address="192.0.2.8")
    assert Objection.objects.count() == 3
    assert not Objection.objects.filter(address_hash__contains="192").exists()
    in_publicity(world, ended=True)
    assert unchanged(lambda: add(address="192.0.2.9")) == "公示期已结束，不再受理异议"


def test_an_open_objection_blocks_finalising_then_upheld_withdraws(district, world):
    office = district.users["office"]
    kept = _vetted(district, world)
    doubted = _vetted(district, world, district.own_member)
    in_publicity(world)
    assert unchanged(
        lambda: publicity.round_move(round_=world.round, verb="finalise", user=office)
    ).startswith("公示期至")
    in_publicity(world, ended=True)
    world.nomination = doubted
    first = objection(world)
    assert (
        unchanged(lambda: publicity.round_move(round_=world.round, verb="finalise", user=office))
        == "还有 1 条异议未处理，处理完毕后才能表彰"
    )
    assert AwardRound.objects.get(pk=world.round.pk).state == "publicity"
    publicity.objection_resolve(objection=first, user=office, upheld=True, reason="经核实属实")
    assert Nomination.objects.get(pk=doubted.pk).state == "withdrawn"
    second = objection(world, "另一条")
    world.nomination = kept
    dismissed = publicity.objection_resolve(
        objection=second, user=office, upheld=False, reason="经核实不属实"
    )
    assert dismissed.state == "dismissed" and dismissed.resolution == "经核实不属实"
    done = publicity.round_move(
        round_=world.round, verb="finalise", user=office, decision_date=dt.date(2011, 6, 28)
    )
    assert done.state == "finished" and done.decision_date == dt.date(2011, 6, 28)
    assert done.decision_number.endswith("〔2011〕1号")
    award = Award.objects.get()
    assert award.member == district.member and award.title == "优秀共产党员"
    assert award.nomination == kept and award.awarded_on == dt.date(2011, 6, 28)
    assert Nomination.objects.get(pk=kept.pk).state == "awarded"


def test_a_later_round_reads_the_award(district, world, campaign):
    office = district.users["office"]
    _vetted(district, world)
    in_publicity(world, ended=True)
    publicity.round_move(round_=world.round, verb="finalise", user=office)
    later = award_world(district, campaign, name="2012年“七一”表彰")
    AwardRound.objects.filter(pk=later.round.pk).update(nomination_deadline=dt.date(2011, 6, 30))
    later.round.refresh_from_db()
    later.category.refresh_from_db()
    EligibilityRule.objects.create(category=later.category, kind="not_awarded", rounds_back=2)
    refusal = unchanged(lambda: nominate(district, later))
    assert refusal == (
        "不符合评选条件：近几次未获同一称号——已在2011年“七一”表彰获得“优秀共产党员”称号"
        "（近 2 次评选不得重复）"
    )


@pytest.mark.django_db(transaction=True)
def test_two_racing_nominations_cannot_exceed_the_quota(postgres_only, monkeypatch):
    from awards.models import Quota
    from tests.factories import licheng_campaign, make_district

    district = make_district()
    world = award_world(district, licheng_campaign(district))
    Quota.objects.filter(category=world.category, organization=district.branch).update(amount=1)
    members = [MemberFactory(organization=district.branch) for _ in range(4)]
    barrier = threading.Barrier(len(members))
    outcomes = []

    def post(member):
        try:
            barrier.wait()
            nominate(district, world, member)
            outcomes.append("ok")
        except NominationError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert Nomination.objects.filter(category=world.category).count() == 1


def test_an_endorsement_after_its_deadline_is_refused(district, world, monkeypatch):
    made = nominate(district, world)
    monkeypatch.setattr("awards.nominations.today", lambda: dt.date(2010, 7, 11))
    assert unchanged(lambda: _endorse(district, made, "committee", district.community)) == (
        "审核截止日期（2010-07-10）已过"
    )
    assert Endorsement.objects.count() == 0


def test_an_organisation_category_takes_organisations_below_the_unit(district, world):
    from awards.models import AwardCategory, Quota

    category = AwardCategory.objects.create(
        round=world.round, name="先进基层党组织", subject="organization", total_quota=4
    )
    Quota.objects.create(
        category=category, organization=district.street, amount=2, source="allocated"
    )
    world.category = category
    made = nominate(district, world, district.branch, user="committee", unit=district.street)
    assert made.organization == district.branch and made.member is None
    assert (
        unchanged(
            lambda: nominate(
                district, world, district.street, user="committee", unit=district.street
            )
        )
        == "第一街道党工委不在第一街道党工委的推荐范围内"
    )
    assert (
        unchanged(
            lambda: nominate(
                district, world, district.member, user="committee", unit=district.street
            )
        )
        == "先进基层党组织的表彰对象是党组织"
    )


def test_a_party_worker_category_takes_only_flagged_members(district, world):
    from awards.models import AwardCategory, Quota

    category = AwardCategory.objects.create(
        round=world.round, name="优秀党务工作者", subject="party_worker", total_quota=2
    )
    Quota.objects.create(
        category=category, organization=district.branch, amount=1, source="allocated"
    )
    world.category = category
    assert unchanged(lambda: nominate(district, world)) == (
        f"{district.member.name}未登记为党务工作者，不能推荐为优秀党务工作者"
    )
    Member.objects.filter(pk=district.member.pk).update(is_party_worker=True)
    assert nominate(district, world, Member.objects.get(pk=district.member.pk)).member_id


def test_a_unit_without_a_quota_cannot_nominate(district, world):
    assert (
        unchanged(
            lambda: nominate(
                district,
                world,
                district.sibling_member,
                user="sibling_secretary",
                unit=district.sibling,
            )
        )
        == "第二党支部没有优秀共产党员名额"
    )
