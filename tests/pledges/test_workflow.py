"""The pledge workflow at the service level: legal and illegal moves, revisions, 践诺, 评诺."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEntry
from pledges import services
from pledges.models import Pledge, PledgeItem, PledgeRevision, PledgeUpdate
from tests import images
from tests.factories import items, published

pytestmark = pytest.mark.django_db

PNG = images.png()


def test_a_member_pledge_goes_from_draft_to_published(district, campaign):
    secretary = district.users["secretary"]
    pledge = services.pledge_create(
        campaign=campaign,
        user=secretary,
        organization=district.branch,
        member=district.member,
        audience="organization",
        items=items("带头学习", "每月服务群众"),
        on_behalf=True,
    )
    assert pledge.state == Pledge.State.DRAFT and pledge.revision == 1 and not pledge.is_public
    pledge = services.pledge_submit(pledge=pledge, user=secretary)
    assert pledge.state == Pledge.State.SUBMITTED and pledge.submitted_at
    committee = district.users["committee"]  # not the secretary who entered it
    pledge = services.pledge_approve(pledge=pledge, user=committee)
    assert pledge.state == Pledge.State.APPROVED and pledge.approved_by == committee
    pledge = services.pledge_publish(pledge=pledge, user=secretary)
    assert pledge.state == Pledge.State.PUBLISHED and pledge.published_revision == 1
    assert PledgeRevision.objects.get(pledge=pledge, number=1).published_at is not None
    states = [
        e.changes["state"]
        for e in AuditEntry.objects.filter(model="pledges.pledge", action="update").order_by("id")
        if "state" in e.changes
    ]
    assert states == [
        ["draft", "submitted"],
        ["submitted", "approved"],
        ["approved", "published"],
    ]


def test_an_organisation_pledge_is_approved_by_the_parent_not_by_itself(district, campaign):
    secretary, committee = district.users["secretary"], district.users["committee"]
    pledge = services.pledge_create(
        campaign=campaign,
        user=secretary,
        organization=district.branch,
        audience="parent",
        items=items("建好党员活动室"),
    )
    pledge = services.pledge_submit(pledge=pledge, user=secretary)
    with pytest.raises(services.PledgeError, match="只有上级党组织可以审核"):
        services.pledge_approve(pledge=pledge, user=secretary)
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.SUBMITTED
    assert services.pledge_approve(pledge=pledge, user=committee).state == Pledge.State.APPROVED


@pytest.mark.parametrize(
    "who,move,message",
    [
        ("secretary", "approve_draft", "承诺当前为“草稿”，不能审核"),
        ("secretary", "publish_submitted", "承诺当前为“已提交”，不能公示"),
        ("sibling_secretary", "approve", "只有党员所在党支部可以审核"),
        ("far_secretary", "return", "只有党员所在党支部可以退回"),
        ("secretary", "return_without_reason", "退回必须填写理由"),
        ("sibling_secretary", "submit_draft", "只有承诺人或本组织可以提交"),
        ("secretary", "edit_submitted", "等待审核"),
        ("member_self", "approve_own", "只有党员所在党支部可以审核"),
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(district, campaign, who, move, message):
    secretary = district.users["secretary"]
    users = dict(district.users)
    users["far_secretary"] = (
        district.users.get("far_secretary") or district.users["sibling_secretary"]
    )
    # The member persona files their own pledge; everyone else acts on the co-member's.
    member = district.own_member if who == "member_self" else district.member
    users["member_self"] = district.users["member"]
    pledge = services.pledge_create(
        campaign=campaign,
        user=secretary,
        organization=district.branch,
        member=member,
        audience="public",
        items=items("带头服务群众"),
    )
    if move not in ("approve_draft", "submit_draft"):
        pledge = services.pledge_submit(pledge=pledge, user=secretary)
    before = Pledge.objects.values().get(pk=pledge.pk)
    user = users[who]
    calls = {
        "approve_draft": lambda: services.pledge_approve(pledge=pledge, user=user),
        "publish_submitted": lambda: services.pledge_publish(pledge=pledge, user=user),
        "approve": lambda: services.pledge_approve(pledge=pledge, user=user),
        "return": lambda: services.pledge_return(pledge=pledge, user=user, reason="不具体"),
        "return_without_reason": lambda: services.pledge_return(
            pledge=pledge, user=user, reason=" "
        ),
        "submit_draft": lambda: services.pledge_submit(pledge=pledge, user=user),
        "edit_submitted": lambda: services.pledge_save(
            pledge=pledge, user=user, items=items("改了")
        ),
        "approve_own": lambda: services.pledge_approve(pledge=pledge, user=user),
    }
    with pytest.raises(services.PledgeError, match=message):
        calls[move]()
    assert Pledge.objects.values().get(pk=pledge.pk) == before


def test_a_returned_pledge_keeps_its_reason_and_can_be_resubmitted(district, campaign):
    secretary = district.users["secretary"]
    pledge = services.pledge_create(
        campaign=campaign,
        user=secretary,
        organization=district.branch,
        member=district.member,
        audience="public",
        items=items("做好事"),
    )
    pledge = services.pledge_submit(pledge=pledge, user=secretary)
    pledge = services.pledge_return(pledge=pledge, user=secretary, reason="承诺不具体，无法检验")
    assert pledge.state == Pledge.State.RETURNED and pledge.return_reason
    pledge = services.pledge_save(
        pledge=pledge, user=secretary, items=items("每月为孤寡老人办一件实事")
    )
    assert services.pledge_submit(pledge=pledge, user=secretary).state == Pledge.State.SUBMITTED


def test_bad_items_are_refused_naming_the_item(district, campaign):
    bad = items("好好干") + [
        services.ItemInput(content=" ", due_date=dt.date(2011, 1, 1), verification="x"),
        services.ItemInput(content="迎世博", due_date=dt.date(2015, 1, 1), verification="x"),
        services.ItemInput(content="学习", due_date=None, verification=""),
    ]
    with pytest.raises(services.PledgeError) as caught:
        services.pledge_create(
            campaign=campaign,
            user=district.users["secretary"],
            organization=district.branch,
            member=district.member,
            audience="public",
            items=bad,
        )
    text = str(caught.value)
    assert "第2项：承诺事项不能为空" in text
    assert "第3项：完成时限 2015-01-01 不在活动期间" in text
    assert "第4项：请填写完成时限" in text and "第4项：请填写检验方式" in text
    assert not Pledge.objects.exists()


def test_an_organisation_cannot_pledge_to_its_own_organisation(district, campaign):
    with pytest.raises(services.PledgeError, match="党组织的承诺对象只能是"):
        services.pledge_create(
            campaign=campaign,
            user=district.users["secretary"],
            organization=district.branch,
            audience="organization",
            items=items("x"),
        )


def test_one_pledge_per_member_and_audience(district, campaign):
    published(district, campaign, member=district.member)
    with pytest.raises(services.PledgeError, match="已有“向群众”的承诺"):
        services.pledge_create(
            campaign=campaign,
            user=district.users["secretary"],
            organization=district.branch,
            member=district.member,
            audience="public",
            items=items("另一份"),
        )


def test_editing_a_published_pledge_opens_a_new_revision_and_keeps_the_public_text(
    district, campaign
):
    secretary = district.users["secretary"]
    pledge = published(district, campaign, member=district.member, texts=("每月走访", "学习"))
    first_keys = sorted(
        PledgeItem.objects.filter(revision__pledge=pledge, revision__number=1).values_list(
            "key", flat=True
        )
    )
    kept = services.ItemInput(
        content="每月走访两户", due_date=dt.date(2011, 6, 30), verification="走访记录", key=1
    )
    pledge = services.pledge_save(
        pledge=pledge, user=secretary, items=[kept] + items("新增：结对帮扶"), change_note="细化"
    )
    assert pledge.state == Pledge.State.DRAFT
    assert (pledge.revision, pledge.published_revision) == (2, 1) and pledge.is_revising
    # The published text is untouched.
    assert [
        i.content for i in PledgeItem.objects.filter(revision__pledge=pledge, revision__number=1)
    ] == [
        "每月走访",
        "学习",
    ]
    second = PledgeItem.objects.filter(revision__pledge=pledge, revision__number=2).order_by(
        "position"
    )
    assert [(i.key, i.content) for i in second] == [(1, "每月走访两户"), (3, "新增：结对帮扶")]
    assert first_keys == [1, 2]  # the removed item's key 2 is never reused
    pledge = services.pledge_submit(pledge=pledge, user=secretary)
    pledge = services.pledge_approve(pledge=pledge, user=district.users["committee"])
    pledge = services.pledge_publish(pledge=pledge, user=secretary)
    assert pledge.published_revision == 2
    assert PledgeRevision.objects.get(pledge=pledge, number=2).change_note == "细化"


def test_progress_updates_go_on_published_items_with_a_checked_photo(district, campaign):
    secretary = district.users["secretary"]
    pledge = published(district, campaign, member=district.member)
    update = services.pledge_update_add(
        pledge=pledge,
        user=secretary,
        item_key=1,
        happened_on=dt.date(2011, 3, 1),
        text="走访了3户",
        photo=SimpleUploadedFile("p.png", PNG),
    )
    assert update.photo.name.endswith(".png")
    with pytest.raises(services.PledgeError, match="照片只接受 PNG 或 JPG"):
        services.pledge_update_add(
            pledge=pledge,
            user=secretary,
            item_key=1,
            happened_on=dt.date(2011, 3, 1),
            text="x",
            photo=SimpleUploadedFile("p.png", b"<svg onload=alert(1)>"),
        )
    with pytest.raises(services.PledgeError, match="不在公示的承诺中"):
        services.pledge_update_add(
            pledge=pledge, user=secretary, item_key=9, happened_on=dt.date(2011, 3, 1), text="x"
        )
    with pytest.raises(services.PledgeError, match="晚于今天"):
        services.pledge_update_add(
            pledge=pledge, user=secretary, item_key=1, happened_on=dt.date(2999, 1, 1), text="x"
        )


def test_the_approver_sets_the_outcome_with_a_comment_when_not_honoured(district, campaign):
    secretary = district.users["secretary"]
    pledge = published(district, campaign, member=district.member)
    phase = campaign.phases.order_by("start_date").first()
    with pytest.raises(services.PledgeError, match="必须填写评诺意见"):
        services.pledge_outcome_set(
            pledge=pledge, user=secretary, outcome="partial", comment="", phase=phase
        )
    with pytest.raises(services.PledgeError, match="只有党员所在党支部可以评诺"):
        services.pledge_outcome_set(
            pledge=pledge,
            user=district.users["sibling_secretary"],
            outcome="honoured",
            comment="",
            phase=phase,
        )
    pledge = services.pledge_outcome_set(
        pledge=pledge, user=secretary, outcome="honoured", comment="", phase=phase
    )
    assert pledge.outcome == "honoured" and pledge.outcome_phase == phase


def test_an_unpublished_pledge_gets_no_outcome(district, campaign):
    secretary = district.users["secretary"]
    pledge = services.pledge_create(
        campaign=campaign,
        user=secretary,
        organization=district.branch,
        member=district.member,
        audience="public",
        items=items("x"),
    )
    with pytest.raises(services.PledgeError, match="公示后才能评诺"):
        services.pledge_outcome_set(
            pledge=pledge,
            user=secretary,
            outcome="honoured",
            comment="",
            phase=campaign.phases.first(),
        )


def test_a_transferred_member_takes_running_pledges_to_the_new_branch(district, campaign):
    from orgs.services import member_transfer

    pledge = published(district, campaign, member=district.member, texts=("跟随党员",))
    member_transfer(member=district.member, to=district.sibling, by=district.users["office"])
    pledge.refresh_from_db()
    assert pledge.organization == district.sibling
    assert services.can_approve(district.users["sibling_secretary"], pledge)
    assert not services.can_write(district.users["secretary"], pledge)
    moved = (
        AuditEntry.objects.filter(model="pledges.pledge", object_id=str(pledge.pk))
        .order_by("id")
        .last()
    )
    assert moved.changes == {"organization": [district.branch.pk, district.sibling.pk]}


def test_an_import_that_moves_a_member_moves_the_pledges_too(district, campaign):
    from core.tabular import Table
    from orgs.importers import import_members
    from orgs.resources import MemberResource, columns

    pledge = published(district, campaign, member=district.member)
    m = district.member
    headers = [h for h, _ in columns(MemberResource)]
    values = {
        "number": m.number,
        "name": m.name,
        "gender": m.get_gender_display(),
        "birth_date": m.birth_date.isoformat(),
        "joined_on": m.joined_on.isoformat(),
        "category": m.get_category_display(),
        "organization_code": district.sibling.code,
        "post": m.post,
        "mobile": m.mobile,
        "is_leading_cadre": "否",
        "is_party_worker": "否",
    }
    row = [values.get(name, "") for _, name in columns(MemberResource)]
    report = import_members(Table(headers, [row]), user=district.users["admin"], dry_run=False)
    assert report.ok, report.errors
    pledge.refresh_from_db()
    assert pledge.organization == district.sibling


def test_a_progress_photo_loses_its_metadata_and_stands_upright(district, campaign):
    from PIL import Image

    pledge = published(district, campaign, member=district.member)
    original = images.jpeg(gps=True, size=(40, 20), orientation=6)  # 6: turn 90° to view
    assert b"PhoneMaker" in original and Image.open(io.BytesIO(original)).getexif()
    update = services.pledge_update_add(
        pledge=pledge,
        user=district.users["secretary"],
        item_key=1,
        happened_on=dt.date(2011, 3, 1),
        text="现场照片",
        photo=SimpleUploadedFile("gps.jpg", original),
    )
    stored = update.photo.read()
    picture = Image.open(io.BytesIO(stored))
    assert picture.format == "JPEG" and picture.size == (20, 40)  # turned as recorded
    assert not picture.getexif() and b"PhoneMaker" not in stored and b"Exif" not in stored

    marked = services.pledge_update_add(
        pledge=pledge,
        user=district.users["secretary"],
        item_key=1,
        happened_on=dt.date(2011, 3, 2),
        text="截图",
        photo=SimpleUploadedFile("note.png", images.png(text="拍摄于某小区3号楼")),
    )
    stored = marked.photo.read()
    assert Image.open(io.BytesIO(stored)).mode == "RGBA"
    assert "拍摄于".encode() not in stored and b"tEXt" not in stored and b"Comment" not in stored


@pytest.mark.parametrize(
    "content,message",
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "图片已损坏或无法识别"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 64, "图片已损坏或无法识别"),
    ],
)
def test_a_picture_that_does_not_decode_is_refused(district, campaign, content, message):
    pledge = published(district, campaign, member=district.member)
    with pytest.raises(services.PledgeError, match=message):
        services.pledge_update_add(
            pledge=pledge,
            user=district.users["secretary"],
            item_key=1,
            happened_on=dt.date(2011, 3, 1),
            text="照片",
            photo=SimpleUploadedFile("broken.png", content),
        )
    assert not PledgeUpdate.objects.exists()


@pytest.mark.parametrize(
    "side,message",
    [
        (8000, "图片尺寸过大：8000×8000 像素，上限为 50 百万像素"),
        (60_000, "图片尺寸过大，拒绝读取"),
    ],
)
def test_a_small_file_declaring_a_huge_canvas_is_refused_before_decoding(
    district, campaign, side, message
):
    import struct
    import zlib

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    pledge = published(district, campaign, member=district.member)
    with pytest.raises(services.PledgeError, match=message):
        services.pledge_update_add(
            pledge=pledge,
            user=district.users["secretary"],
            item_key=1,
            happened_on=dt.date(2011, 3, 1),
            text="照片",
            photo=SimpleUploadedFile("bomb.png", bomb),
        )
