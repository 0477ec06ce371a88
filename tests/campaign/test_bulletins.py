"""工作简报 / 通报 / 检查通报: who writes and reads them, 期数 per organisation and
year, bad input refused in Chinese with nothing written, the login-free
``/jianbao/`` pages showing only published 公开 bulletins (the leak tests), the
home page's 最新简报, and a spot-check round's 检查通报 landing as a draft."""

import datetime as dt
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from campaign import bulletins
from campaign.models_bulletins import BODY_MAX, Bulletin, BulletinAttachment
from core.models import AuditEntry, Job
from orgs.models import Role
from tests import images
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


def make(district, campaign, *, by="committee", org=None, audience="subtree", **values):
    return bulletins.bulletin_create(
        user=district.users[by],
        campaign=campaign,
        organization=org or district.street,
        kind=values.pop("kind", Bulletin.Kind.WORK),
        title=values.pop("title", "街道创先争优工作简报"),
        body=values.pop("body", "第一段。\n\n第二段。"),
        audience=audience,
        **values,
    )


def published(district, campaign, **values):
    bulletin = make(district, campaign, **values)
    return bulletins.bulletin_publish(bulletin=bulletin, user=district.users["committee"])


def counts():
    return (
        Bulletin.objects.count(),
        BulletinAttachment.objects.count(),
        AuditEntry.objects.count(),
        list(Bulletin.objects.values_list("state", "number", "title", "body")),
    )


# ------------------------------------------------------------------ writes


def test_publishing_numbers_per_organisation_kind_and_year_and_stamps_who(district, campaign):
    first = published(district, campaign)
    second = published(district, campaign, kind=Bulletin.Kind.NOTICE, title="通报")
    again = published(district, campaign, title="第二期简报")
    other = bulletins.bulletin_publish(
        bulletin=make(district, campaign, by="office", org=district.root),
        user=district.users["office"],
    )
    year = timezone.localdate().year
    # 工作简报 and 通报 are each their own series; another organisation its own.
    numbers = (first.number, again.number, second.number, other.number)
    assert (first.year, *numbers) == (year, 1, 2, 1, 1)
    assert first.number_text == f"{year}年第1期"
    assert first.published_by == district.users["committee"] and first.published_at
    # Last year's numbers do not count toward this year's.
    Bulletin.objects.filter(pk=first.pk).update(year=year - 1, number=7)
    third = published(district, campaign, title="第三份")
    assert third.number == 3  # after 第2期 (again): last year's 第7期 is not counted
    verbs = AuditEntry.objects.filter(model="campaign.bulletin", object_id=str(second.pk))
    assert set(verbs.values_list("verb", flat=True)) == {"", "publish"}


def test_a_withdrawn_bulletin_keeps_its_number_and_reason(district, campaign):
    bulletin = published(district, campaign)
    done = bulletins.bulletin_withdraw(
        bulletin=bulletin, user=district.users["office"], reason="数据有误，待核实后重发"
    )
    assert done.state == Bulletin.State.WITHDRAWN and done.number == 1
    assert done.withdraw_reason == "数据有误，待核实后重发" and done.withdrawn_at
    assert published(district, campaign, title="重发").number == 2


def test_the_body_is_plain_text_in_paragraphs(district, campaign):
    bulletin = make(district, campaign, body="  一段\x07文字  \r\n\r\n\r\n\r\n二段<b>粗</b>\r\n")
    assert bulletin.body == "一段文字\n\n二段<b>粗</b>"
    bulletin = bulletins.bulletin_publish(bulletin=bulletin, user=district.users["committee"])
    client = _client_for(district, "secretary")
    page = client.get(reverse("campaign:bulletin_detail", kwargs={"pk": bulletin.pk}))
    text = page.content.decode()
    assert "<p>一段文字</p>" in text and "&lt;b&gt;粗&lt;/b&gt;" in text and "<b>粗" not in text


@pytest.mark.parametrize(
    "values,message",
    [
        ({"title": "   "}, "标题：请填写标题"),
        ({"body": "\x00\n \n"}, "正文：请填写正文"),
        ({"body": "字" * (BODY_MAX + 1)}, f"正文：最多 {BODY_MAX} 个字"),
        (
            {"uploads_": [SimpleUploadedFile("通报.pdf", b"MZ\x90\x00 not a pdf")]},
            "附件“通报.pdf”：只接受 PDF、PNG、JPG 文件",
        ),
        (
            {"uploads_": [SimpleUploadedFile("照片.pdf", images.png())]},
            "附件“照片.pdf”：文件内容与扩展名不符",
        ),
        (
            {"uploads_": [SimpleUploadedFile("坏图.png", b"\x89PNG\r\n\x1a\nbroken")]},
            "附件“坏图.png”：图片已损坏",
        ),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(
    district, campaign, values, message
):
    before = counts()
    with pytest.raises(bulletins.BulletinError, match=message):
        make(district, campaign, **values)
    assert counts() == before


def test_publishing_twice_and_withdrawing_without_a_reason_are_refused(district, campaign):
    bulletin = published(district, campaign)
    before = counts()
    with pytest.raises(bulletins.BulletinError, match="简报当前为“已发布”，不能发布"):
        bulletins.bulletin_publish(bulletin=bulletin, user=district.users["committee"])
    with pytest.raises(bulletins.BulletinError, match="撤回必须填写理由"):
        bulletins.bulletin_withdraw(bulletin=bulletin, user=district.users["committee"], reason=" ")
    assert counts() == before


def test_the_pages_refuse_bad_input_with_the_message_and_write_nothing(district, campaign, login):
    client = login(district.users["committee"])
    before = counts()
    form = {
        "campaign": campaign.pk,
        "organization": district.street.pk,
        "kind": "work",
        "audience": "subtree",
        "title": "",
        "body": "正文",
    }
    response = client.post(reverse("campaign:bulletin_new"), form)
    assert response.status_code == 400 and "标题：请填写标题" in response.content.decode()
    form |= {"title": "简报", "attachment": SimpleUploadedFile("x.png", b"GIF89a....")}
    response = client.post(reverse("campaign:bulletin_new"), form)
    assert response.status_code == 400
    assert "附件“x.png”：只接受 PDF、PNG、JPG 文件" in response.content.decode()
    # The street's committee may not issue for the district.
    form |= {"organization": district.root.pk, "attachment": ""}
    response = client.post(reverse("campaign:bulletin_new"), form)
    assert response.status_code == 400 and "发布单位" in response.content.decode()
    assert counts() == before
    bulletin = published(district, campaign)
    before = counts()
    url = reverse("campaign:bulletin_withdraw", kwargs={"pk": bulletin.pk})
    response = client.post(url, {"reason": ""}, follow=True)
    assert "撤回必须填写理由" in response.content.decode()
    url = reverse("campaign:bulletin_publish", kwargs={"pk": bulletin.pk})
    response = client.post(url, follow=True)
    assert "简报当前为“已发布”，不能发布" in response.content.decode()
    edit = reverse("campaign:bulletin_edit", kwargs={"pk": bulletin.pk})
    response = client.post(edit, {**form, "title": "改"}, follow=True)
    assert "不能修改" in response.content.decode()
    assert counts() == before


def test_a_draft_is_written_through_the_pages_with_a_picture_without_its_metadata(
    district, campaign, login
):
    client = login(district.users["committee"])
    form = {
        "campaign": campaign.pk,
        "organization": district.street.pk,
        "kind": "notice",
        "audience": "public",
        "title": "关于表扬先进支部的通报",
        "body": "各社区党委：\n\n现将情况通报如下。",
        "attachment": SimpleUploadedFile("现场.jpg", images.jpeg(gps=True)),
    }
    response = client.post(reverse("campaign:bulletin_new"), form)
    bulletin = Bulletin.objects.get()
    assert response["Location"] == reverse("campaign:bulletin_detail", kwargs={"pk": bulletin.pk})
    assert (bulletin.state, bulletin.kind, bulletin.created_by) == (
        "draft",
        "notice",
        district.users["committee"],
    )
    stored = bulletin.attachments.get().file.read()
    assert stored.startswith(b"\xff\xd8") and b"GPS" not in stored and b"Exif" not in stored
    edit = reverse("campaign:bulletin_edit", kwargs={"pk": bulletin.pk})
    client.post(edit, {**form, "title": "关于表扬先进基层党组织的通报", "attachment": ""})
    assert Bulletin.objects.get().title == "关于表扬先进基层党组织的通报"
    client.post(reverse("campaign:bulletin_publish", kwargs={"pk": bulletin.pk}))
    assert Bulletin.objects.get().state == "published"


# ------------------------------------------------------------------ reading


def _client_for(district, role):
    from django.test import Client

    client = Client()
    if district.users[role] is not None:
        client.force_login(district.users[role])
    return client


def test_who_reads_what(district, campaign):
    """A street's bulletin to 本组织及下级: the staff below the street and the office
    above read it; the member, a user without a role, and the other street do
    not. A draft is its writers'; a withdrawn one too."""
    far = UserFactory(username="far")
    grant(far, Role.BRANCH_SECRETARY, district.far_branch)
    district.users["far"] = far
    subtree = published(district, campaign, title="本街道简报")
    public = published(district, campaign, title="公开简报", audience="public")
    draft = make(district, campaign, title="草稿")
    withdrawn = bulletins.bulletin_withdraw(
        bulletin=published(district, campaign, title="撤回的"),
        user=district.users["committee"],
        reason="有误",
    )
    district_wide = bulletins.bulletin_publish(
        bulletin=make(district, campaign, by="office", org=district.root, title="区委简报"),
        user=district.users["office"],
    )

    def titles(role):
        return set(bulletins.bulletins_for(district.users[role]).values_list("title", flat=True))

    mine = {subtree.title, public.title, district_wide.title}
    for role in ("secretary", "sibling_secretary", "contact_leader"):
        assert titles(role) == mine, role
    assert titles("committee") == mine | {draft.title, withdrawn.title}
    assert titles("office") == titles("committee")
    assert titles("admin") == titles("committee")
    assert titles("member") == {public.title}
    assert titles("no_role") == {public.title}
    assert titles("far") == {public.title, district_wide.title}
    for role, pk in (("far", subtree.pk), ("secretary", draft.pk), ("secretary", withdrawn.pk)):
        url = reverse("campaign:bulletin_detail", kwargs={"pk": pk})
        assert _client_for(district, role).get(url).status_code == 404, (role, pk)
    # The reader sees no edit, publish or withdraw, nor the history.
    page = _client_for(district, "secretary").get(
        reverse("campaign:bulletin_detail", kwargs={"pk": subtree.pk})
    )
    text = page.content.decode()
    assert page.status_code == 200 and "本街道简报" in text
    assert "withdraw" not in text and "变更记录" not in text


def test_the_home_page_shows_the_latest_three_readable(district, campaign, login):
    for i in range(4):
        published(district, campaign, title=f"第{i}份简报")
    make(district, campaign, title="草稿不显示")
    page = login(district.users["secretary"]).get(reverse("home")).content.decode()
    assert "最新简报" in page
    assert [t for t in ("第0份简报", "第1份简报", "第2份简报", "第3份简报") if t in page] == [
        "第1份简报",
        "第2份简报",
        "第3份简报",
    ]
    assert "草稿不显示" not in page
    assert "最新简报" not in login(district.users["member"]).get(reverse("home")).content.decode()


# ------------------------------------------------------------------ the public pages


def test_the_public_pages_show_only_published_public_bulletins(district, campaign, client):
    """The leak test: no draft, no bulletin to 本组织及下级, no withdrawn one, and
    nothing of who wrote or published it; their files are missing too."""
    committee = district.users["committee"]
    committee.first_name, committee.last_name = "", "王审核"
    committee.save()
    shown = published(
        district,
        campaign,
        title="公开的工作简报",
        audience="public",
        uploads_=[SimpleUploadedFile("简报.pdf", PDF)],
    )
    hidden = {
        "内部通报": published(
            district, campaign, title="内部通报", uploads_=[SimpleUploadedFile("内部.pdf", PDF)]
        ),
        "公开草稿": make(
            district,
            campaign,
            title="公开草稿",
            audience="public",
            uploads_=[SimpleUploadedFile("草稿.pdf", PDF)],
        ),
        "撤回的公开简报": bulletins.bulletin_withdraw(
            bulletin=published(district, campaign, title="撤回的公开简报", audience="public"),
            user=committee,
            reason="撤回理由保密",
        ),
    }
    listing = client.get(reverse("public_bulletins"))
    text = listing.content.decode()
    assert listing.status_code == 200 and "公开的工作简报" in text
    page = client.get(reverse("public_bulletin", kwargs={"pk": shown.pk}))
    text += page.content.decode()
    assert page.status_code == 200 and "第一段。" in text
    for title, bulletin in hidden.items():
        assert title not in text
        assert client.get(reverse("public_bulletin", kwargs={"pk": bulletin.pk})).status_code == 404
        for item in bulletin.attachments.all():
            url = reverse("public_bulletin_file", kwargs={"pk": item.pk})
            assert client.get(url).status_code == 404
    for private in ("王审核", committee.username, "撤回理由保密", "起草人", "发布人"):
        assert private not in text, private
    shown_file = shown.attachments.get()
    response = client.get(reverse("public_bulletin_file", kwargs={"pk": shown_file.pk}))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    # Withdrawing takes it off the public pages at once.
    bulletins.bulletin_withdraw(bulletin=shown, user=committee, reason="有误")
    assert client.get(reverse("public_bulletin", kwargs={"pk": shown.pk})).status_code == 404
    assert "公开的工作简报" not in client.get(reverse("public_bulletins")).content.decode()


# ------------------------------------------------------------------ 检查通报


def _round(district, campaign):
    from reviews.spotcheck import spot_check_draw

    return spot_check_draw(
        user=district.users["office"],
        campaign=campaign,
        organization=district.street,
        title="2011年上半年随机抽查",
        percent=100,
    )


def test_a_spot_check_report_lands_as_a_draft_once_and_follows_until_published(
    district, campaign, login, django_capture_on_commit_callbacks
):
    from reviews.models_spotcheck import SpotCheck

    round_ = _round(district, campaign)
    SpotCheck.objects.filter(round=round_, organization=district.branch).update(
        state="checked", findings="讲评会记录不完整"
    )
    client = login(district.users["committee"])
    detail = reverse("reviews:spotcheck_detail", kwargs={"pk": round_.pk})
    assert "发布为检查通报" not in client.get(detail).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reviews:spotcheck_report", kwargs={"pk": round_.pk}))
    job = Job.objects.get()
    assert job.status == Job.Status.SUCCEEDED, job.error
    bulletin = Bulletin.objects.get()
    assert job.result["bulletin"] == bulletin.pk
    assert (bulletin.kind, bulletin.state, bulletin.organization, bulletin.audience) == (
        "spot_check",
        "draft",
        district.street,
        "subtree",
    )
    assert bulletin.title == "关于2011年上半年随机抽查情况的通报"
    assert "第一党支部：讲评会记录不完整" in bulletin.body and "已检查1个" in bulletin.body
    assert bulletin.attachments.get().file.read().startswith(b"%PDF-")
    page = client.get(detail).content.decode()
    assert "发布为检查通报" in page
    assert reverse("campaign:bulletin_detail", kwargs={"pk": bulletin.pk}) in page
    # The bulletin links back to its round for those who see the round.
    page = client.get(reverse("campaign:bulletin_detail", kwargs={"pk": bulletin.pk}))
    assert detail in page.content.decode()
    # Again while a draft: the same bulletin, its text and PDF replaced.
    SpotCheck.objects.filter(round=round_, organization=district.sibling).update(
        state="checked", findings="公示栏未更新"
    )
    Job.objects.all().delete()
    # A minute later (the file's name is stamped to the minute): still one file.
    later = timezone.now() + dt.timedelta(minutes=2)
    with (
        mock.patch("core.documents.timezone.now", lambda: later),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(reverse("reviews:spotcheck_report", kwargs={"pk": round_.pk}))
    bulletin = Bulletin.objects.get()
    assert "第二党支部：公示栏未更新" in bulletin.body and bulletin.attachments.count() == 1
    # Published, it is left as it was.
    bulletin = bulletins.bulletin_publish(bulletin=bulletin, user=district.users["committee"])
    body = bulletin.body
    Job.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reviews:spotcheck_report", kwargs={"pk": round_.pk}))
    assert Job.objects.get().result["bulletin"] is None
    assert Bulletin.objects.get().body == body
    assert "查看检查通报（简报）" in client.get(detail).content.decode()


def test_seed_bulletins_is_idempotent(district, campaign):
    call_command("seed_spotchecks", "--root", district.root.code, verbosity=0)
    call_command("seed_bulletins", "--root", district.root.code, verbosity=0)
    first = sorted(Bulletin.objects.values_list("kind", "audience", "state", "title"))
    call_command("seed_bulletins", "--root", district.root.code, verbosity=0)
    assert sorted(Bulletin.objects.values_list("kind", "audience", "state", "title")) == first
    kinds = {(kind, audience, state) for kind, audience, state, _ in first}
    assert ("work", "public", "published") in kinds
    assert ("notice", "subtree", "published") in kinds
    assert any(kind == "spot_check" for kind, *_ in first)
    spot = Bulletin.objects.get(kind="spot_check")
    assert spot.attachments.get().content_type == "application/pdf"
    assert dt.date.today().year - 1 <= spot.created_at.year


def test_drafts_wait_for_their_writers_on_the_home_page(district, campaign, login):
    make(district, campaign, title="待发布的草稿一")
    published(district, campaign, title="已发布的")
    for role in ("committee", "office"):
        page = login(district.users[role]).get(reverse("home")).content.decode()
        assert "1 份简报草稿待发布" in page, role
        listing = login(district.users[role]).get(
            reverse("campaign:bulletin_list") + "?state=draft"
        )
        text = listing.content.decode()
        assert "待发布的草稿一" in text and "已发布的" not in text, role
    for role in ("secretary", "contact_leader", "member"):
        page = login(district.users[role]).get(reverse("home")).content.decode()
        assert "简报草稿待发布" not in page, role
        listing = login(district.users[role]).get(
            reverse("campaign:bulletin_list") + "?state=draft"
        )
        assert "待发布的草稿一" not in listing.content.decode(), role


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_drafts_published_at_once_get_one_to_n_without_duplicates(postgres_only, monkeypatch):
    """Six publishers of one organisation's drafts at the same moment, each
    holding its number a while before saving: the row lock on the organisation
    hands out 1 … 6, none twice, nothing refused."""
    import threading
    import time

    from django.db import connections

    from tests.factories import licheng_campaign, make_district

    district = make_district()
    campaign = licheng_campaign(district)
    count = 6
    drafts = [make(district, campaign, title=f"简报{i}").pk for i in range(count)]
    barrier, errors = threading.Barrier(count), []
    checked = Bulletin.full_clean

    def slow_check(self, *args, **kwargs):
        time.sleep(0.05)  # between taking the number and saving it
        return checked(self, *args, **kwargs)

    monkeypatch.setattr(Bulletin, "full_clean", slow_check)

    def publish(pk):
        try:
            bulletin = Bulletin.objects.get(pk=pk)
            barrier.wait()
            bulletins.bulletin_publish(bulletin=bulletin, user=district.users["committee"])
        except Exception as exc:  # noqa: BLE001 - the test reports what happened
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=(pk,)) for pk in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(Bulletin.objects.values_list("number", flat=True))
    assert numbers == list(range(1, count + 1))
