"""The public pledge board: what a visitor may read, and 群众监督 comments."""

import datetime as dt

import pytest
from django.urls import reverse

from campaign.models import Campaign
from pledges import services
from pledges.models import PledgeComment
from tests import images
from tests.factories import MemberFactory, items, published

pytestmark = pytest.mark.django_db


def _board(client, organization) -> str:
    response = client.get(reverse("board", args=[organization.code]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_board_shows_published_pledges_without_a_login(district, campaign, client):
    published(district, campaign, texts=("建成党员服务站",))
    published(district, campaign, member=district.member, texts=("每月走访两户困难群众",))
    page = _board(client, district.branch)
    assert "建成党员服务站" in page and "每月走访两户困难群众" in page
    assert district.member.name in page


def test_the_board_leaks_nothing_unpublished(district, campaign, client):
    secretary = district.users["secretary"]
    district.member.mobile = "13912345678"
    district.member.save()
    district.branch.phone = "0531-88886666"
    district.branch.save()
    published(district, campaign, member=district.member, texts=("公开的承诺",))
    services.pledge_create(
        campaign=campaign,
        user=secretary,
        organization=district.branch,
        audience="parent",
        items=items("草稿里的承诺"),
    )
    returned = services.pledge_submit(
        pledge=services.pledge_create(
            campaign=campaign,
            user=secretary,
            organization=district.branch,
            member=district.member,
            audience="organization",
            items=items("被退回的承诺"),
        ),
        user=secretary,
    )
    services.pledge_return(pledge=returned, user=secretary, reason="不具体的退回理由")
    # A published pledge of an older campaign of the same district.
    old = Campaign.objects.create(
        organization=district.root,
        name="往年活动",
        status=Campaign.Status.CLOSED,
        start_date=dt.date(2008, 1, 1),
        end_date=dt.date(2009, 12, 31),
    )
    published(
        district, old, member=district.member, texts=("往年活动的承诺",), due=dt.date(2009, 6, 1)
    )
    page = _board(client, district.branch)
    assert "公开的承诺" in page
    for secret in (
        "草稿里的承诺",
        "被退回的承诺",
        "不具体的退回理由",
        "往年活动的承诺",
        "13912345678",
        "0531-88886666",
        district.member.number,
    ):
        assert secret not in page, secret


def test_a_revision_keeps_the_published_text_until_it_is_published(district, campaign, client):
    secretary = district.users["secretary"]
    pledge = published(district, campaign, member=district.member, texts=("每月走访一户",))
    pledge = services.pledge_save(
        pledge=pledge,
        user=secretary,
        items=items("每月走访三户"),
        change_note="增加走访户数",
    )
    page = _board(client, district.branch)
    assert "每月走访一户" in page and "每月走访三户" not in page
    pledge = services.pledge_submit(pledge=pledge, user=secretary)
    pledge = services.pledge_approve(pledge=pledge, user=district.users["committee"])
    services.pledge_publish(pledge=pledge, user=secretary)
    page = _board(client, district.branch)
    current, history = page.split("修改记录", 1)
    assert "每月走访三户" in current
    # The history shows the earlier text and the dated change.
    assert "每月走访一户" in history and "增加走访户数" in history and "第1版" in history


def test_progress_and_outcome_appear_on_the_board(district, campaign, client):
    secretary = district.users["secretary"]
    pledge = published(district, campaign, member=district.member)
    services.pledge_update_add(
        pledge=pledge, user=secretary, item_key=1, happened_on=dt.date(2011, 3, 1), text="走访了5户"
    )
    services.pledge_outcome_set(
        pledge=pledge,
        user=secretary,
        outcome="partial",
        comment="还差一户",
        phase=campaign.phases.order_by("start_date").first(),
    )
    page = _board(client, district.branch)
    assert "走访了5户" in page and "部分兑现" in page and "还差一户" in page


def test_an_unknown_board_is_a_404(db, client):
    assert client.get(reverse("board", args=["NOPE"])).status_code == 404


def _comment(client, district, pledge, text="请把走访情况按月公布", address="10.1.1.1"):
    return client.post(
        reverse("board_comment", args=[district.branch.code, pledge.pk]),
        {"text": text, "author": "居民"},
        REMOTE_ADDR=address,
        follow=True,
    )


def test_a_comment_shows_only_after_the_branch_approves_it(district, campaign, client, login):
    pledge = published(district, campaign, member=district.member)
    response = _comment(client, district, pledge)
    assert "感谢您的监督" in response.content.decode()
    assert "请把走访情况按月公布" not in _board(client, district.branch)
    comment = PledgeComment.objects.get()
    assert comment.state == PledgeComment.State.PENDING and "10.1.1.1" not in comment.address_hash
    # A sibling branch cannot see or decide it; the pledge's branch can.
    sibling = login(district.users["sibling_secretary"])
    moderate = reverse("pledges:comment_moderate", args=[comment.pk])
    assert sibling.post(moderate, {"decision": "approve"}).status_code == 404
    secretary = login(district.users["secretary"])
    assert "请把走访情况按月公布" in secretary.get(reverse("pledges:comment_list")).content.decode()
    secretary.post(moderate, {"decision": "approve"})
    secretary.logout()
    assert "请把走访情况按月公布" in _board(client, district.branch)


def test_a_rejected_comment_never_shows(district, campaign, client, login):
    pledge = published(district, campaign, member=district.member)
    _comment(client, district, pledge, text="广告内容")
    comment = PledgeComment.objects.get()
    login(district.users["secretary"]).post(
        reverse("pledges:comment_moderate", args=[comment.pk]), {"decision": "reject"}
    )
    client.logout()
    assert "广告内容" not in _board(client, district.branch)


def test_comments_are_rate_limited_per_address(district, campaign, client, settings):
    settings.PLEDGE_COMMENT_LIMIT = 2
    pledge = published(district, campaign, member=district.member)
    for n in range(2):
        _comment(client, district, pledge, text=f"意见{n}")
    refused = _comment(client, district, pledge, text="第三条").content.decode()
    assert "留言过于频繁" in refused
    assert PledgeComment.objects.count() == 2
    other = _comment(client, district, pledge, text="别人的意见", address="10.9.9.9")
    assert "感谢您的监督" in other.content.decode() and PledgeComment.objects.count() == 3


def test_a_too_long_or_empty_comment_is_refused_with_a_reason(district, campaign, client):
    pledge = published(district, campaign, member=district.member)
    long = _comment(client, district, pledge, text="长" * 301).content.decode()
    assert "意见建议" in long and "300" in long
    empty = _comment(client, district, pledge, text="   ").content.decode()
    assert "意见建议" in empty
    assert not PledgeComment.objects.exists()


def test_nobody_can_comment_on_an_unpublished_pledge(district, campaign, client):
    draft = services.pledge_create(
        campaign=campaign,
        user=district.users["secretary"],
        organization=district.branch,
        member=district.member,
        audience="public",
        items=items("草稿"),
    )
    response = client.post(
        reverse("board_comment", args=[district.branch.code, draft.pk]), {"text": "x"}
    )
    assert response.status_code == 404 and not PledgeComment.objects.exists()


def test_a_progress_photo_is_public_only_for_a_published_pledge(district, campaign, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pledge = published(district, campaign, member=district.member)
    update = services.pledge_update_add(
        pledge=pledge,
        user=district.users["secretary"],
        item_key=1,
        happened_on=dt.date(2011, 3, 1),
        text="现场照片",
        photo=SimpleUploadedFile("a.jpg", images.jpeg()),
    )
    response = client.get(reverse("board_photo", args=[update.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    type(pledge).objects.filter(pk=pledge.pk).update(published_revision=0)
    assert client.get(reverse("board_photo", args=[update.pk])).status_code == 404


def _comment_area(page: str, pledge) -> str:
    return page.split(f'id="pledge-{pledge.pk}-comment"', 1)[1].split("</details>", 1)[0]


def test_the_thanks_are_shown_where_the_visitor_posted(district, campaign, client):
    """On a phone the top of the page is off-screen: the answer is at the pledge's form."""
    first = published(district, campaign, member=district.member)
    second = published(district, campaign, member=MemberFactory(organization=district.branch))
    response = client.post(
        reverse("board_comment", args=[district.branch.code, second.pk]),
        {"text": "很好", "author": ""},
    )
    assert response["Location"].endswith(
        f"/gongshi/{district.branch.code}/#pledge-{second.pk}-comment"
    )
    page = client.get(response["Location"]).content.decode()
    assert "感谢您的监督" in _comment_area(page, second)
    assert "感谢您的监督" not in _comment_area(page, first)
    assert page.count("感谢您的监督") == 1  # not repeated at the top of the page
    # The form posts to an address that lands back at its own place.
    assert f'#pledge-{first.pk}-comment"' in page


def test_a_refused_comment_keeps_the_text_and_says_why_at_the_form(
    district, campaign, client, settings
):
    settings.PLEDGE_COMMENT_LIMIT = 1
    pledge = published(district, campaign, member=district.member)
    _comment(client, district, pledge, text="第一条")
    response = client.post(
        reverse("board_comment", args=[district.branch.code, pledge.pk]),
        {"text": "第二条意见，请保留", "author": "老李"},
        REMOTE_ADDR="10.1.1.1",
    )
    assert response.status_code == 400
    area = _comment_area(response.content.decode(), pledge)
    assert "留言过于频繁" in area and "第二条意见，请保留" in area and "老李" in area
    assert '<details class="comment-form" open>' in area
    assert PledgeComment.objects.count() == 1
