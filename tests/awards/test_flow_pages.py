"""The flow through its pages, role by role: the branch nominates (a refusal
names the rule), the committee endorses for its levels, the office vets,
publishes, a visitor objects without a login, the office dismisses it and
finalises; the public page never shows private data nor objections' text."""

import datetime as dt

import pytest
from django.urls import reverse

from awards.models import AwardRound, EligibilityRule, Nomination, Objection
from orgs.models import Member
from tests.awards.builders import DEEDS, TODAY, award_world, in_publicity


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("awards.nominations.today", lambda: TODAY)


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_the_flow_through_its_pages(client, district, campaign, django_capture_on_commit_callbacks):
    world = award_world(district, campaign)
    EligibilityRule.objects.create(category=world.category, kind="full_member")
    Member.objects.filter(pk=district.own_member.pk).update(category="probationary")
    secretary, committee, office = (district.users[k] for k in ("secretary", "committee", "office"))

    client.force_login(secretary)
    home = client.get("/")
    assert "2011年“七一”表彰优秀共产党员还可推荐 2 个" in home.content.decode()
    url = reverse("awards:nominate", args=[world.category.pk, district.branch.pk])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "为预备党员，不是正式党员" in body
    refused = client.post(
        url, {"subject": district.own_member.pk, "summary": "带头走访", "deeds": DEEDS}
    )
    assert refused.status_code == 400
    assert "不符合评选条件：仅限正式党员" in refused.content.decode()
    done = client.post(url, {"subject": district.member.pk, "summary": "带头走访", "deeds": DEEDS})
    nomination = Nomination.objects.get()
    assert done.url == reverse("awards:nomination", args=[nomination.pk])

    client.force_login(committee)
    assert "待审核的推荐对象 1 个" in client.get("/").content.decode()
    detail = reverse("awards:nomination", args=[nomination.pk])
    move = reverse("awards:nomination_move", args=[nomination.pk])
    # a post on behalf of the street before the community: refused
    client.post(move, {"verb": "endorse", "level": district.street.pk})
    assert Nomination.objects.get().endorsements.count() == 0
    for level in (district.community, district.street):
        assert f'name="level" value="{level.pk}"' in client.get(detail).content.decode()
        client.post(move, {"verb": "endorse", "level": level.pk})
    client.force_login(office)
    client.post(move, {"verb": "endorse", "level": district.root.pk})
    assert Nomination.objects.get().state == "endorsed"
    chain = client.get(detail).content.decode()
    assert chain.count("同意推荐") >= 3
    with django_capture_on_commit_callbacks(execute=True):
        ranking = client.post(reverse("awards:ranking_start", args=[world.category.pk]))
    assert ranking.status_code == 302
    shown = client.get(reverse("awards:ranking", args=[world.category.pk])).content.decode()
    assert district.member.name in shown
    client.post(move, {"verb": "vet"})
    assert Nomination.objects.get().state == "vetted"
    round_move = reverse("awards:round_move", args=[world.round.pk])
    client.post(round_move, {"verb": "publish"})
    assert AwardRound.objects.get().state == "publicity"

    client.logout()
    public = reverse("award_public", args=[world.round.pk])
    body = client.get(public).content.decode()
    assert district.member.name in body and "带头走访" in body and "第一党支部" in body
    assert district.member.mobile not in body and DEEDS not in body
    posted = client.post(
        reverse("award_objection", args=[world.round.pk]),
        {"nomination": nomination.pk, "text": "该同志事迹有夸大，请核实", "contact": "13700000000"},
    )
    assert posted.status_code == 302
    body = client.get(public).content.decode()
    assert "正在核实处理的异议：1 件" in body
    assert "该同志事迹有夸大" not in body and "13700000000" not in body
    refused = client.post(
        reverse("award_objection", args=[world.round.pk]), {"nomination": nomination.pk, "text": ""}
    )
    assert refused.status_code == 400 and "异议内容：请填写" in refused.content.decode()

    client.force_login(office)
    in_publicity(world, ended=True)
    client.post(round_move, {"verb": "finalise", "decision_date": "2011-06-28"})
    assert AwardRound.objects.get().state == "publicity"  # the objection is open
    objection = Objection.objects.get()
    client.post(
        reverse("awards:objection_resolve", args=[objection.pk]),
        {"decision": "dismiss", "reason": "经核实事迹属实"},
    )
    # 表彰 is a job (run inline on commit here, as without a broker); the round
    # page shows its result.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(round_move, {"verb": "finalise", "decision_date": "2011-06-28"})
    finished = AwardRound.objects.get()
    assert finished.state == "finished" and finished.decision_date == dt.date(2011, 6, 28)
    page = client.get(reverse("awards:round_detail", args=[world.round.pk])).content.decode()
    assert f"表彰完成：共表彰 1 个，表彰决定文号 {finished.decision_number}" in page
    client.logout()
    body = client.get(public).content.decode()
    assert finished.decision_number in body and "提出异议" not in body


def test_a_round_not_yet_published_is_not_public(client, district, campaign):
    world = award_world(district, campaign, nomination_state="vetted")
    assert client.get(reverse("award_public", args=[world.round.pk])).status_code == 404
    posted = client.post(
        reverse("award_objection", args=[world.round.pk]),
        {"nomination": world.nomination.pk, "text": "异议"},
    )
    assert posted.status_code == 404
    assert not Objection.objects.exists()


def test_the_nomination_list_reads_in_bulk(client, district, campaign):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import MemberFactory

    world = award_world(district, campaign)
    client.force_login(district.users["office"])
    url = reverse("awards:nominations", args=[world.round.pk])

    def add(n):
        for _ in range(n):
            Nomination.objects.create(
                round=world.round,
                category=world.category,
                unit=district.branch,
                member=MemberFactory(organization=district.branch),
                summary="事迹",
                deeds=DEEDS,
            )

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(10)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert page.content.decode().count("待第一社区党委审核") == 12
    assert len(many) == len(few)
