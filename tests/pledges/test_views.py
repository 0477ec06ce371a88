"""Pledge pages: filing through the forms, the workflow buttons, lists and the dashboard."""

import pytest
from django.urls import reverse

from pledges import services
from pledges.models import Pledge
from tests.factories import items, published

pytestmark = pytest.mark.django_db


def _form(audience="public", rows=(("每月走访两户", "2011-06-30", "走访记录"),), **extra):
    data = {
        "audience": audience,
        "items-TOTAL_FORMS": str(len(rows) + 1),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "20",
    }
    for n, (content, due, check) in enumerate(rows):
        data |= {
            f"items-{n}-content": content,
            f"items-{n}-due_date": due,
            f"items-{n}-verification": check,
        }
    return data | extra


def test_a_secretary_files_a_pledge_for_a_member_without_a_login(district, campaign, login):
    client = login(district.users["secretary"])
    url = reverse("pledges:pledge_create") + f"?member={district.member.pk}"
    assert "代为录入" in client.get(url).content.decode()
    response = client.post(url, _form(member=district.member.pk))
    pledge = Pledge.objects.get()
    assert response["Location"] == reverse("pledges:pledge_detail", args=[pledge.pk])
    assert pledge.member == district.member and pledge.on_behalf
    assert pledge.state == Pledge.State.DRAFT and pledge.campaign == campaign
    page = client.get(response["Location"]).content.decode()
    assert "每月走访两户" in page and "提交审核" in page


def test_a_bad_item_comes_back_with_a_message_naming_it(district, campaign, login):
    client = login(district.users["secretary"])
    url = reverse("pledges:pledge_create") + f"?member={district.member.pk}"
    response = client.post(
        url,
        _form(rows=(("好好干", "2011-06-30", "记录"), ("迎世博", "2030-01-01", "记录"))),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "第2项：完成时限 2030-01-01 不在活动期间" in page
    assert not Pledge.objects.exists()
    missing = client.post(url, _form(rows=(("", "2011-06-30", "记录"), ("x", "", ""))))
    assert "第1项 承诺事项" in missing.content.decode() and not Pledge.objects.exists()


def test_a_sibling_branch_cannot_file_for_another_branchs_member(district, campaign, login):
    client = login(district.users["sibling_secretary"])
    url = reverse("pledges:pledge_create") + f"?member={district.member.pk}"
    assert client.get(url).status_code == 404
    assert client.post(url, _form()).status_code == 404
    assert not Pledge.objects.exists()


def test_the_workflow_buttons_move_the_pledge_and_errors_become_messages(district, campaign, login):
    secretary = login(district.users["secretary"])
    pledge = services.pledge_create(
        campaign=campaign,
        user=district.users["secretary"],
        organization=district.branch,
        member=district.member,
        audience="public",
        items=items("带头学习"),
    )
    approve = reverse("pledges:pledge_approve", args=[pledge.pk])
    page = secretary.post(approve, follow=True).content.decode()
    assert "承诺当前为“草稿”，不能审核" in page
    secretary.post(reverse("pledges:pledge_submit", args=[pledge.pk]))
    returned = secretary.post(reverse("pledges:pledge_return", args=[pledge.pk]), {"reason": ""})
    assert returned.status_code == 302
    assert Pledge.objects.get().state == Pledge.State.SUBMITTED  # no reason, no return
    # The secretary entered it: the page offers no 审核通过, and a forced POST is refused.
    detail = secretary.get(reverse("pledges:pledge_detail", args=[pledge.pk])).content.decode()
    assert ">审核通过</button>" not in detail and "须由另一位有审核权的同志审核通过" in detail
    page = secretary.post(approve, follow=True).content.decode()
    assert "审核人须不同于录入人（secretary）" in page
    assert Pledge.objects.get().state == Pledge.State.SUBMITTED
    committee = login(district.users["committee"])
    assert (
        "审核通过"
        in committee.get(reverse("pledges:pledge_detail", args=[pledge.pk])).content.decode()
    )
    committee.post(approve)
    secretary = login(district.users["secretary"])
    secretary.post(reverse("pledges:pledge_publish", args=[pledge.pk]))
    assert Pledge.objects.get().state == Pledge.State.PUBLISHED


def test_editing_a_published_pledge_through_the_page_opens_a_revision(district, campaign, login):
    pledge = published(district, campaign, member=district.member, texts=("每月走访一户",))
    client = login(district.users["secretary"])
    url = reverse("pledges:pledge_edit", args=[pledge.pk])
    assert "形成新的修订版本" in client.get(url).content.decode()
    data = _form(rows=(("每月走访三户", "2011-06-30", "走访记录"),), change_note="加码")
    data["items-0-key"] = "1"
    client.post(url, data)
    pledge.refresh_from_db()
    assert (pledge.revision, pledge.published_revision, pledge.state) == (2, 1, "draft")


def test_saving_a_published_pledge_unchanged_keeps_it_published(district, campaign, login):
    pledge = published(district, campaign, member=district.member, texts=("每月走访一户",))
    client = login(district.users["secretary"])
    data = _form(rows=(("每月走访一户", "2011-06-30", "群众评议"),))
    data["items-0-key"] = "1"
    client.post(reverse("pledges:pledge_edit", args=[pledge.pk]), data)
    pledge.refresh_from_db()
    assert (pledge.revision, pledge.state) == (1, "published")


def test_the_list_shows_only_pledges_in_scope(district, campaign, login):
    published(district, campaign, member=district.member, texts=("本支部",))
    published(district, campaign, member=district.far_member, texts=("远处",))
    page = login(district.users["secretary"]).get(reverse("pledges:pledge_list")).content.decode()
    assert district.member.name in page and district.far_member.name not in page
    office = login(district.users["office"]).get(reverse("pledges:pledge_list")).content.decode()
    assert district.member.name in office and district.far_member.name in office


def test_the_dashboard_counts_pledges_per_subtree(district, campaign, login):
    pledge = published(district, campaign, member=district.member)
    services.pledge_outcome_set(
        pledge=pledge,
        user=district.users["secretary"],
        outcome="honoured",
        comment="",
        phase=campaign.phases.order_by("start_date").first(),
    )
    published(district, campaign, member=district.far_member)
    services.pledge_create(
        campaign=campaign,
        user=district.users["secretary"],
        organization=district.branch,
        audience="parent",
        items=items("草稿"),
    )
    client = login(district.users["office"])
    response = client.get(reverse("campaign:dashboard", args=[district.root.pk]))
    total = response.context["total"]
    assert total.counts["pledges"] == {"pledged": 3, "published": 2, "honoured": 1}
    by_child = {row.organization: row.counts["pledges"] for row in response.context["children"]}
    assert by_child[district.street] == {"pledged": 2, "published": 1, "honoured": 1}
    assert by_child[district.street2] == {"pledged": 1, "published": 1, "honoured": 0}
    page = response.content.decode()
    assert "承诺已兑现" in page and "已公示" in page  # the columns pledges register
    published_list = (
        f"{reverse('pledges:pledge_list')}?campaign={campaign.pk}"
        f"&amp;organization={district.street.pk}&amp;public=1"
    )
    assert f'<a href="{published_list}">1</a>' in page
    by_sector = {row.label: row.counts["pledges"] for row in response.context["sectors"]}
    assert sum(p["pledged"] for p in by_sector.values()) == 3
    assert sum(p["honoured"] for p in by_sector.values()) == 1
    branch_sector = by_sector[district.branch.sector.name]
    assert branch_sector["pledged"] >= 2 and branch_sector["published"] >= 1


def test_the_pledge_import_template_has_the_columns(district, login):
    client = login(district.users["secretary"])
    response = client.get(reverse("pledges:import_template", args=["csv"]))
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header == "党员编号,承诺对象,承诺事项,完成时限,检验方式,对应标准"


def test_the_export_holds_the_filtered_rows_in_scope_in_the_import_columns(
    district, campaign, login, django_capture_on_commit_callbacks
):
    from core.models import Job

    published(district, campaign, member=district.member, texts=("=HYPERLINK(1)", "第二项"))
    published(district, campaign, member=district.sibling_member, texts=("兄弟支部",))
    client = login(district.users["secretary"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("pledges:pledge_export", args=["csv"]), {"pledger": "member"})
    job = Job.objects.get(kind="pledge_export")
    assert job.status == Job.Status.SUCCEEDED, job.error
    response = client.get(reverse("core:job_download", args=[job.pk]))
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("党组织,组织代码,党员编号,姓名,承诺对象,承诺事项,完成时限,检验方式")
    body = "\n".join(lines[1:])
    assert district.member.number in body and "第二项" in body
    assert "'=HYPERLINK(1)" in body  # a formula is neutralised
    assert "兄弟支部" not in body and district.sibling_member.number not in body


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_pledge_export_imports_back_with_nothing_to_update(
    district, campaign, login, django_capture_on_commit_callbacks, fmt
):
    """Issue 9 §3: the branch's export, re-imported unchanged, updates nothing and
    keeps text that starts like a formula as it was (the guard's ' comes off)."""
    from core.models import Job
    from core.tabular import read_table
    from pledges.importer import import_pledges
    from pledges.models import PledgeItem, PledgeRevision
    from tests.factories import MemberFactory

    texts = ("=HYPERLINK(1)", "+1 次走访", "-每月两次", "@群众 反映的问题")
    published(district, campaign, member=district.member, texts=texts)
    draft_member = MemberFactory(organization=district.branch, number="B9")
    services.pledge_create(
        campaign=campaign,
        user=district.users["secretary"],
        organization=district.branch,
        member=draft_member,
        audience="public",
        items=items("=草稿中的一项"),
        on_behalf=True,
    )
    client = login(district.users["secretary"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("pledges:pledge_export", args=[fmt]), {"pledger": "member"})
    job = Job.objects.get(kind="pledge_export")
    assert job.status == Job.Status.SUCCEEDED, job.error
    data = b"".join(client.get(reverse("core:job_download", args=[job.pk])).streaming_content)
    revisions = PledgeRevision.objects.count()

    report = import_pledges(
        read_table(data, f"公开承诺.{fmt}"),
        user=district.users["secretary"],
        campaign=campaign,
        organization=district.branch,
        dry_run=False,
    )

    assert report.ok, [str(e) for e in report.errors]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert PledgeRevision.objects.count() == revisions  # no new revision to approve again
    assert sorted(PledgeItem.objects.values_list("content", flat=True)) == sorted(
        [*texts, "=草稿中的一项"]
    )


def test_a_secretary_uploads_previews_and_confirms_a_pledge_file(
    district, campaign, login, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import Job

    client = login(district.users["secretary"])
    assert district.branch.name in client.get(reverse("pledges:import_upload")).content.decode()
    rows = (
        "党员编号,承诺对象,承诺事项,完成时限,检验方式,对应标准\n"
        f"{district.member.number},向群众,每月走访两户,2011-06-30,走访记录,\n"
        f"{district.member.number},向群众,带头学习,2011-09-30,学习笔记,\n"
    )
    upload = SimpleUploadedFile("承诺.csv", rows.encode("gb18030"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("pledges:import_upload"), {"file": upload})
    preview = Job.objects.get(kind="pledge_import")
    assert preview.status == Job.Status.SUCCEEDED, preview.error
    page = client.get(response["Location"]).content.decode()
    assert "新增承诺 1 份" in page and "确认导入" in page
    assert not Pledge.objects.exists()  # a dry run writes nothing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("pledges:import_confirm", args=[preview.pk]))
    pledge = Pledge.objects.get()
    assert pledge.member == district.member and pledge.on_behalf
    assert [i.content for i in pledge.revisions.get().items.all()] == ["每月走访两户", "带头学习"]
    from core.models import AuditEntry

    created = AuditEntry.objects.get(model="pledges.pledge", action="create")
    assert created.source == "import" and created.job_id is not None


def test_a_bad_pledge_file_lists_each_error_and_writes_nothing(
    district, campaign, login, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(district.users["secretary"])
    rows = (
        "党员编号,承诺事项,完成时限,检验方式\n"
        f"{district.sibling_member.number},在别的支部,2011-06-30,记录\n"
        f"{district.member.number},,2011-13-01,记录\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("pledges:import_upload"),
            {"file": SimpleUploadedFile("p.csv", rows.encode("utf-8"))},
        )
    page = client.get(response["Location"]).content.decode()
    assert "党员编号不存在或不在本组织" in page and "未写入任何数据" in page
    assert "承诺事项" in page and "完成时限" in page
    assert not Pledge.objects.exists()


@pytest.mark.parametrize(
    "rows",
    [
        "党员编号,姓名,性别,出生日期,入党日期,党员类别,所在党组织代码,工作岗位,手机号码\n"
        "P1,张三,男,1980-01-01,2005-07-01,正式党员,B,,\n",
        "组织代码,组织名称,上级组织代码,组织类型,所属领域,书记姓名,联系电话,成立日期\n"
        "B1,一支部,B,党支部,农村,,,\n",
    ],
    ids=["member-roll", "organisations"],
)
def test_a_roll_uploaded_as_pledges_says_where_it_belongs_and_links_back(
    district, campaign, login, django_capture_on_commit_callbacks, rows
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import Job

    client = login(district.users["secretary"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("pledges:import_upload"),
            {"file": SimpleUploadedFile("名册.csv", rows.encode("utf-8"))},
        )
    job = Job.objects.get(kind="pledge_import")
    assert job.status == Job.Status.FAILED
    page = client.get(response["Location"]).content.decode()
    assert "导入模板的列，不是「党员承诺」的：请按本页的模板填写" in page
    assert "文件在「批量导入党组织和党员」页面导入" in page
    back = (
        f"{reverse('pledges:import_upload')}?organization={job.params['organization']}"
        f"&amp;campaign={job.params['campaign']}"
    )
    assert f'href="{back}">重新上传</a>' in page
    assert "<progress" not in page
    assert not Pledge.objects.exists()


def test_a_member_with_a_login_files_their_own_pledge(district, campaign, login):
    me = district.users["no_role"]
    district.member.user = me
    district.member.save()
    client = login(me)
    assert "作出我的承诺" in client.get(reverse("pledges:pledge_list")).content.decode()
    client.post(reverse("pledges:pledge_create"), _form())
    pledge = Pledge.objects.get()
    assert pledge.member == district.member and not pledge.on_behalf
    client.post(reverse("pledges:pledge_submit", args=[pledge.pk]))
    client.post(reverse("pledges:pledge_approve", args=[pledge.pk]))  # not their own approval
    assert Pledge.objects.get().state == Pledge.State.SUBMITTED
    login(district.users["secretary"]).post(reverse("pledges:pledge_approve", args=[pledge.pk]))
    assert Pledge.objects.get().state == Pledge.State.APPROVED


def test_awaiting_approval_matches_the_approval_rule_for_every_user(district, campaign, login):
    from pledges.selectors import awaiting_approval

    admin = district.users["admin"]
    district.member.user = district.users["no_role"]
    district.member.save()
    submitted = []
    for organization, member, audience in (
        (district.branch, district.member, "public"),
        (district.branch, None, "parent"),
        (district.sibling, district.sibling_member, "organization"),
        (district.community, None, "public"),
        (district.far_branch, district.far_member, "public"),
        (district.street2, None, "parent"),
    ):
        pledge = services.pledge_create(
            campaign=campaign,
            user=admin,
            organization=organization,
            member=member,
            audience=audience,
            items=items("承诺"),
        )
        submitted.append(services.pledge_submit(pledge=pledge, user=admin))
    # One the secretary entered: the query leaves it to others, like may_approve.
    secretary = district.users["secretary"]
    own = services.pledge_create(
        campaign=campaign,
        user=secretary,
        organization=district.branch,
        member=district.own_member,
        audience="public",
        items=items("承诺"),
    )
    submitted.append(services.pledge_submit(pledge=own, user=secretary))
    for name, user in district.users.items():
        if user is None:  # the anonymous visitor
            continue
        expected = {p.pk for p in submitted if services.may_approve(user, p)}
        assert set(awaiting_approval(user).values_list("pk", flat=True)) == expected, name
    page = login(district.users["secretary"]).get(reverse("home")).content.decode()
    assert "1 份承诺待审核" in page  # the member's pledge in the branch, not the one entered
    assert awaiting_approval(district.users["committee"]).filter(pk=own.pk).exists()


def test_a_comment_not_shown_appears_on_no_page_and_waiting_ones_only_to_moderators(
    district, campaign, login
):
    from orgs.models import Role
    from tests.factories import UserFactory, grant

    pledge = published(district, campaign, member=district.member)
    texts = {}
    for text in ("已显示的意见", "不予显示的意见", "待审核的意见"):
        texts[text] = services.comment_add(
            pledge=pledge, text=text, author="", address=f"192.0.2.{len(texts) + 1}"
        )
    secretary = district.users["secretary"]
    services.comment_moderate(comment=texts["已显示的意见"], user=secretary, approve=True)
    services.comment_moderate(comment=texts["不予显示的意见"], user=secretary, approve=False)
    reader = UserFactory(username="leader")
    grant(reader, Role.CONTACT_LEADER, district.branch)
    url = reverse("pledges:pledge_detail", args=[pledge.pk])

    moderator_page = login(secretary).get(url).content.decode()
    assert "已显示的意见" in moderator_page and "待审核的意见" in moderator_page
    assert "不予显示的意见" not in moderator_page
    reader_page = login(reader).get(url).content.decode()
    assert "已显示的意见" in reader_page
    assert "待审核的意见" not in reader_page and "不予显示的意见" not in reader_page
    board = login(None).get(reverse("board", args=[district.branch.code])).content.decode()
    assert "不予显示的意见" not in board and "待审核的意见" not in board
