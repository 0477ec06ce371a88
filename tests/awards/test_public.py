"""The public 公示 page (/biaozhang/<id>/) leaks nothing: only nominees 复审通过
are listed, with name, unit, category and the 简要事迹 written for 公示; no
phone number, 事迹材料, facts, reasons, objections' text or contact, photo, nor
the nominees still under review, rejected or withdrawn."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from awards.models import Nomination, NominationPhoto, Objection
from tests.awards.builders import award_world, in_publicity
from tests.factories import MemberFactory


@pytest.fixture
def published(district, campaign):
    world = award_world(district, campaign)
    district.member.mobile = "13912345678"
    district.member.save()

    def nominee(member, state, **kw):
        return Nomination.objects.create(
            round=world.round,
            category=world.category,
            unit=district.branch,
            member=member,
            summary=kw.pop("summary", f"{member.name}的简要事迹"),
            deeds=kw.pop("deeds", "不公开的事迹材料全文" * 3),
            facts=[
                {
                    "rule": "score",
                    "label": "评议得分或等次",
                    "value": "秘密得分 88.5",
                    "passed": True,
                    "reason": "",
                    "number": 88.5,
                }
            ],
            state=state,
            **kw,
        )

    shown = nominee(district.member, "vetted", summary="扎根社区十年")
    NominationPhoto.objects.create(nomination=shown, image=ContentFile(b"x", name="secret.png"))
    hidden = [
        nominee(MemberFactory(organization=district.branch, name="审核中的人"), "endorsing"),
        nominee(
            MemberFactory(organization=district.branch, name="未通过的人"),
            "rejected",
            reason="不通过的理由",
        ),
        nominee(
            MemberFactory(organization=district.branch, name="撤销的人"),
            "withdrawn",
            reason="撤销的理由",
        ),
        nominee(
            MemberFactory(organization=district.branch, name="退回的人"),
            "returned",
            return_reason="退回的理由",
        ),
    ]
    in_publicity(world)
    Objection.objects.create(
        round=world.round,
        nomination=shown,
        text="异议的秘密内容",
        contact="13700001111",
        address_hash="a" * 64,
    )
    return world, shown, hidden


def test_the_public_page_shows_the_list_and_leaks_nothing(client, district, published):
    world, shown, hidden = published
    pages = [
        client.get(reverse("award_public", args=[world.round.pk])),
        client.post(
            reverse("award_objection", args=[world.round.pk]),
            {"nomination": hidden[0].pk, "text": "请核实此人"},
        ),
    ]
    assert pages[0].status_code == 200 and pages[1].status_code == 400
    for page in pages:
        text = page.content.decode()
        assert district.member.name in text and "扎根社区十年" in text and "第一党支部" in text
        assert "正在核实处理的异议：1 件" in text
        for secret in (
            "13912345678",
            "不公开的事迹材料全文",
            "秘密得分",
            "异议的秘密内容",
            "13700001111",
            "secret.png",
            district.member.number,
            "不通过的理由",
            "撤销的理由",
            "退回的理由",
            *(n.member.name for n in hidden),
        ):
            assert secret not in text, secret
    assert Objection.objects.count() == 1


@pytest.mark.parametrize("state", ["draft", "nominating"])
def test_a_round_before_publicity_is_not_public(client, district, campaign, state):
    world = award_world(district, campaign, round_state=state, nomination_state="vetted")
    assert client.get(reverse("award_public", args=[world.round.pk])).status_code == 404
