"""Regressions found in review: items kept on edit, item keys, the board's own rules
on photos and comments, and the export right."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaign.models import Campaign
from core.models import Job
from orgs.models import Role, RoleGrant
from pledges import services
from pledges.models import PledgeComment, PledgeItem
from tests import images
from tests.factories import items, published

pytestmark = pytest.mark.django_db


def _edit(client, pledge, rows, initial):
    """Post the edit form as the page does: the pre-filled rows first, then a blank one."""
    data = {
        "items-TOTAL_FORMS": str(len(rows) + 1),
        "items-INITIAL_FORMS": str(initial),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "20",
    }
    for n, (key, content) in enumerate(rows):
        data |= {
            f"items-{n}-key": str(key) if key else "",
            f"items-{n}-content": content,
            f"items-{n}-due_date": "2011-06-30",
            f"items-{n}-verification": "群众评议",
        }
    return client.post(reverse("pledges:pledge_edit", args=[pledge.pk]), data)


def _texts(pledge, number):
    return list(
        PledgeItem.objects.filter(revision__pledge=pledge, revision__number=number)
        .order_by("position")
        .values_list("key", "content")
    )


def test_editing_one_item_keeps_the_untouched_ones(district, campaign, login):
    pledge = published(district, campaign, member=district.member, texts=("甲", "乙"))
    client = login(district.users["secretary"])
    _edit(client, pledge, [(1, "甲"), (2, "乙（细化）")], initial=2)
    pledge.refresh_from_db()
    assert _texts(pledge, pledge.revision) == [(1, "甲"), (2, "乙（细化）")]


def test_adding_an_item_to_a_draft_keeps_the_first_and_numbers_the_new_one(
    district, campaign, login
):
    pledge = services.pledge_create(
        campaign=campaign,
        user=district.users["secretary"],
        organization=district.branch,
        member=district.member,
        audience="public",
        items=items("甲"),
    )
    client = login(district.users["secretary"])
    _edit(client, pledge, [(1, "甲"), (None, "丙")], initial=1)
    assert _texts(pledge, 1) == [(1, "甲"), (2, "丙")]
    _edit(client, pledge, [(1, "甲"), (2, "丙"), (None, "丁")], initial=2)
    assert _texts(pledge, 1) == [(1, "甲"), (2, "丙"), (3, "丁")]


def test_saving_a_published_pledge_unchanged_through_the_page_changes_nothing(
    district, campaign, login
):
    pledge = published(district, campaign, member=district.member, texts=("甲", "乙"))
    _edit(login(district.users["secretary"]), pledge, [(1, "甲"), (2, "乙")], initial=2)
    pledge.refresh_from_db()
    assert (pledge.revision, pledge.state) == (1, "published")


def test_a_revised_draft_gets_fresh_keys_for_each_new_item(district, campaign):
    secretary = district.users["secretary"]
    pledge = published(district, campaign, member=district.member, texts=("甲", "乙"))
    keep = services.ItemInput(content="甲", due_date=dt.date(2011, 6, 30), verification="x", key=1)
    pledge = services.pledge_save(pledge=pledge, user=secretary, items=[keep] + items("丙"))
    third = services.ItemInput(content="丙", due_date=dt.date(2011, 6, 30), verification="x", key=3)
    pledge = services.pledge_save(pledge=pledge, user=secretary, items=[keep, third] + items("丁"))
    assert [k for k, _ in _texts(pledge, 2)] == [1, 3, 4]  # key 2 (乙) is never reused


def test_keys_sent_by_the_browser_cannot_break_a_pledge(district, campaign):
    secretary = district.users["secretary"]
    forged = [
        services.ItemInput(content=t, due_date=dt.date(2011, 6, 30), verification="x", key=k)
        for t, k in (("甲", 1), ("乙", 1), ("丙", 40000))
    ]
    pledge = services.pledge_create(
        campaign=campaign,
        user=secretary,
        organization=district.branch,
        member=district.member,
        audience="public",
        items=forged,
    )
    assert [k for k, _ in _texts(pledge, 1)] == [1, 2, 3]
    with pytest.raises(services.PledgeError, match="刷新页面"):
        services.pledge_save(pledge=pledge, user=secretary, items=forged[:2])


def test_photos_and_comments_follow_the_boards_rules(district, campaign, client):
    pledge = published(district, campaign, member=district.member)
    update = services.pledge_update_add(
        pledge=pledge,
        user=district.users["secretary"],
        item_key=1,
        happened_on=dt.date(2011, 3, 1),
        text="照片",
        photo=SimpleUploadedFile("a.png", images.png()),
    )
    photo = reverse("board_photo", args=[update.pk])
    comment = reverse("board_comment", args=[district.branch.code, pledge.pk])
    assert client.get(photo).status_code == 200
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    assert client.get(photo).status_code == 404
    assert client.post(comment, {"text": "意见"}).status_code == 404
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.ACTIVE)
    district.branch.is_active = False
    district.branch.save()
    assert client.get(photo).status_code == 404
    assert not PledgeComment.objects.exists()


def test_exporting_needs_the_export_right_and_a_revoked_one_stops_the_download(
    district, campaign, login, django_capture_on_commit_callbacks
):
    published(district, campaign, member=district.member)
    member_only = district.users["no_role"]
    RoleGrant.objects.create(user=member_only, organization=district.branch, role=Role.MEMBER)
    client = login(member_only)
    assert client.post(reverse("pledges:pledge_export", args=["csv"])).status_code == 403
    secretary = login(district.users["secretary"])
    with django_capture_on_commit_callbacks(execute=True):
        secretary.post(reverse("pledges:pledge_export", args=["csv"]))
    job = Job.objects.get(kind="pledge_export")
    download = reverse("core:job_download", args=[job.pk])
    assert secretary.get(download).status_code == 200
    district.users["secretary"].role_grants.all().delete()
    assert secretary.get(download).status_code == 404
