"""The organisation and member pages, the upload flow and exports, through the views."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from core.models import Job
from orgs.models import Member, MemberTransfer, Organization
from orgs.services import tree_problems
from tests.factories import MemberFactory, OrganizationFactory
from tests.orgs.test_imports import MEMBER_HEADERS, ORG_HEADERS, csv_bytes


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """Run the jobs a request queues (tasks run inline; on_commit needs a push in tests)."""

    def post(client, url, data=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, **extra)

    return post


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


# ------------------------------------------------------------------ upload flow


@pytest.mark.django_db
def test_upload_preview_then_confirm_imports_members(district, login, run_jobs):
    client = login(district.users["committee"])
    rows = [
        ["U1", "新党员", "女", "1990-03-08", "2015-07-01", "预备党员", district.branch.code, "", ""]
    ]
    response = run_jobs(
        client,
        reverse("orgs:import_upload"),
        {"target": "members", "file": _upload("m.csv", csv_bytes(MEMBER_HEADERS, rows))},
    )
    preview = Job.objects.get()
    assert response["Location"] == reverse("core:job_detail", kwargs={"pk": preview.pk})
    page = client.get(response["Location"]).content.decode()
    assert "导入预览（未写入）" in page and "确认导入" in page
    assert not Member.objects.filter(number="U1").exists()

    response = run_jobs(client, reverse("orgs:import_confirm", kwargs={"job_pk": preview.pk}))
    done = Job.objects.exclude(pk=preview.pk).get()
    assert done.status == Job.Status.SUCCEEDED and done.result["created"] == 1
    assert done.input_file.name == preview.input_file.name  # the same upload, not a copy
    assert Member.objects.get(number="U1").organization == district.branch


@pytest.mark.django_db
def test_upload_with_bad_rows_shows_every_error_in_chinese(district, login, run_jobs):
    client = login(district.users["committee"])
    rows = [
        ["U1", "甲", "女", "1990-02-30", "2015-07-01", "正式党员", district.branch.code, "", ""],
        [
            "U2",
            "乙",
            "男",
            "1990-01-01",
            "2015-07-01",
            "正式党员",
            district.far_branch.code,
            "",
            "",
        ],
    ]
    response = run_jobs(
        client,
        reverse("orgs:import_upload"),
        {"target": "members", "file": _upload("m.csv", csv_bytes(MEMBER_HEADERS, rows))},
    )
    page = client.get(response["Location"]).content.decode()
    assert "发现 2 处错误，未写入任何数据" in page
    assert "日期不存在" in page and "不在您的管辖范围内" in page
    assert "确认导入" not in page
    assert Job.objects.get().status == Job.Status.FAILED


@pytest.mark.django_db
def test_a_corrupt_upload_is_reported_not_a_500(district, login, run_jobs):
    client = login(district.users["committee"])
    response = run_jobs(
        client,
        reverse("orgs:import_upload"),
        {"target": "organizations", "file": _upload("o.xlsx", b"PK\x03\x04 not really")},
    )
    page = client.get(response["Location"]).content.decode()
    assert "已损坏" in page


@pytest.mark.django_db
def test_a_members_file_uploaded_as_organisations_is_imported_as_members(district, login, run_jobs):
    client = login(district.users["committee"])
    rows = [["U1", "新党员", "女", "1990-03-08", "2015-07-01", "预备党员", district.branch.code]]
    response = run_jobs(
        client,
        reverse("orgs:import_upload"),
        {
            "target": "organizations",  # the page's default, left as it was
            "file": _upload(
                "党员.csv", csv_bytes(MEMBER_HEADERS, [row + ["", ""] for row in rows])
            ),
        },
    )
    preview = Job.objects.get()
    assert preview.status == Job.Status.SUCCEEDED, preview.error
    assert (preview.params["target"], preview.result["kind"]) == ("members", "members")
    page = client.get(response["Location"]).content.decode()
    assert "按表头识别为「党员」文件（上传时选择的是「党组织」）" in page
    assert "确认导入" in page

    run_jobs(client, reverse("orgs:import_confirm", kwargs={"job_pk": preview.pk}))
    assert Member.objects.get(number="U1").organization == district.branch


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target,headers,hint",
    [
        # A member roll that lost a column, uploaded as organisations: said, not guessed.
        (
            "organizations",
            MEMBER_HEADERS[:-1],
            "表头是「党员」导入模板的列：请在「导入内容」中选择「党员」",
        ),
        (
            "members",
            ORG_HEADERS[1:],
            "表头是「党组织」导入模板的列：请在「导入内容」中选择「党组织」",
        ),
        (
            "members",
            ["党员编号", "承诺对象", "承诺事项", "完成时限", "检验方式"],
            "表头是「党员承诺」导入模板的列，不是「党员」的：请按本页的模板填写（「党员承诺」文件在「批量导入党员承诺」页面导入）",
        ),
    ],
)
def test_a_file_for_another_import_fails_its_check_saying_which_it_looks_like(
    district, login, run_jobs, target, headers, hint
):
    client = login(district.users["committee"])
    data = csv_bytes(headers, [["x"] * len(headers)])
    response = run_jobs(
        client, reverse("orgs:import_upload"), {"target": target, "file": _upload("f.csv", data)}
    )
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    assert hint in job.result["errors"][0]["reason"]
    page = client.get(response["Location"]).content.decode()
    assert hint in page


@pytest.mark.django_db
def test_a_failed_check_shows_its_errors_and_a_way_back_not_a_stalled_bar(
    district, login, run_jobs
):
    client = login(district.users["committee"])
    for name, data in [
        ("m.csv", "党员编号\nX\n".encode()),  # the importer's errors
        ("m.xlsx", b"PK\x03\x04 not really"),  # the file cannot be read
    ]:
        response = run_jobs(
            client,
            reverse("orgs:import_upload"),
            {"target": "members", "file": _upload(name, data)},
        )
        job = Job.objects.latest("pk")
        assert job.status == Job.Status.FAILED
        page = client.get(response["Location"]).content.decode()
        assert "errors-table" in page and job.result["errors"][0]["reason"] in page
        assert f'href="{reverse("orgs:import_upload")}">重新上传</a>' in page
        assert "<progress" not in page
        partial = client.get(reverse("core:job_progress", kwargs={"pk": job.pk})).content.decode()
        assert "<progress" not in partial and "失败" in partial


@pytest.mark.django_db
def test_an_upload_over_the_cap_is_refused_before_parsing(district, login, settings):
    settings.IMPORT_MAX_BYTES = 1024
    client = login(district.users["committee"])
    response = client.post(
        reverse("orgs:import_upload"), {"target": "members", "file": _upload("m.csv", b"x" * 4096)}
    )
    assert response.status_code == 200
    assert "文件过大" in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_confirming_a_failed_preview_is_refused(district, login, run_jobs):
    client = login(district.users["committee"])
    run_jobs(
        client,
        reverse("orgs:import_upload"),
        {"target": "members", "file": _upload("m.csv", "党员编号\nX\n".encode())},
    )
    preview = Job.objects.get()
    response = run_jobs(client, reverse("orgs:import_confirm", kwargs={"job_pk": preview.pk}))
    assert response.status_code == 302 and Job.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target,fmt", [("members", "csv"), ("members", "xlsx"), ("organizations", "xlsx")]
)
def test_templates_carry_the_expected_headers(district, login, target, fmt):
    from core.tabular import read_table

    response = login(district.users["office"]).get(
        reverse("orgs:import_template", kwargs={"target": target, "fmt": fmt})
    )
    assert response.status_code == 200
    headers = (
        read_table(response.content + ("\nx" if fmt == "csv" else "").encode(), f"t.{fmt}").headers
        if fmt == "csv"
        else load_workbook(io.BytesIO(response.content)).active[1]
    )
    names = headers if fmt == "csv" else [c.value for c in headers]
    # The columns of the issue, in its order.
    assert names == (MEMBER_HEADERS if target == "members" else ORG_HEADERS)


# ---------------------------------------------------------------------- export


@pytest.mark.django_db
def test_export_holds_only_what_the_user_sees_and_neutralises_formulas(district, login, run_jobs):
    MemberFactory(
        organization=district.branch, name='=HYPERLINK("http://evil")', post="+1", mobile=""
    )
    client = login(district.users["committee"])
    response = run_jobs(client, reverse("orgs:export", kwargs={"target": "members", "fmt": "xlsx"}))
    job = Job.objects.get()
    assert job.status == Job.Status.SUCCEEDED, job.error
    download = client.get(reverse("core:job_download", kwargs={"pk": job.pk}))
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    numbers = {row[0] for row in values[1:]}
    assert district.member.number in numbers and district.sibling_member.number in numbers
    assert district.far_member.number not in numbers
    cells = {v for row in values for v in row if isinstance(v, str)}
    assert '\'=HYPERLINK("http://evil")' in cells and "'+1" in cells
    assert not any(v.startswith(("=", "+", "@")) for v in cells)
    assert response.status_code == 302


@pytest.mark.django_db
def test_export_applies_the_member_list_filters(district, login, run_jobs):
    client = login(district.users["office"])
    run_jobs(
        client,
        reverse("orgs:export", kwargs={"target": "members", "fmt": "csv"}),
        {"organization": district.street2.pk},
    )
    job = Job.objects.get()
    content = b"".join(
        client.get(reverse("core:job_download", kwargs={"pk": job.pk})).streaming_content
    ).decode("utf-8-sig")
    assert district.far_member.number in content and district.member.number not in content


# ------------------------------------------------------------ organisation pages


@pytest.mark.django_db
def test_committee_creates_edits_moves_and_deletes_an_organisation(district, login):
    client = login(district.users["committee"])
    response = client.post(
        reverse("orgs:organization_create", kwargs={"parent_pk": district.community.pk}),
        {
            "code": "R-S1-C1-B3",
            "name": "第三党支部",
            "kind": "branch",
            "sector": district.branch.sector_id,
            "is_active": "on",
        },
    )
    new = Organization.objects.get(code="R-S1-C1-B3")
    assert response.status_code == 302 and new.parent == district.community

    client.post(
        reverse("orgs:organization_edit", kwargs={"pk": new.pk}),
        {
            "code": new.code,
            "name": "第三党支部（改）",
            "kind": "branch",
            "sector": new.sector_id,
            "phone": "0531-1234567",
            "is_active": "on",
        },
    )
    assert Organization.objects.get(pk=new.pk).name == "第三党支部（改）"

    client.post(
        reverse("orgs:organization_move", kwargs={"pk": new.pk}), {"new_parent": district.street.pk}
    )
    assert Organization.objects.get(pk=new.pk).parent == district.street
    assert tree_problems() == []

    client.post(reverse("orgs:organization_delete", kwargs={"pk": new.pk}))
    assert not Organization.objects.filter(pk=new.pk).exists()
    assert tree_problems() == []


@pytest.mark.django_db
def test_bad_organisation_input_gets_messages_not_a_500(district, login):
    client = login(district.users["committee"])
    response = client.post(
        reverse("orgs:organization_create", kwargs={"parent_pk": district.community.pk}),
        {
            "code": district.branch.code,
            "name": "",
            "kind": "nonsense",
            "sector": "",
            "phone": "call me",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "已存在" in page and "这个字段是必填项" in page and "电话号码格式不正确" in page


@pytest.mark.django_db
def test_cannot_move_into_own_subtree_or_outside_scope(district, login):
    client = login(district.users["committee"])
    response = client.post(
        reverse("orgs:organization_move", kwargs={"pk": district.community.pk}),
        {"new_parent": district.branch.pk},
    )
    assert (
        response.status_code == 200
        and Organization.objects.get(pk=district.community.pk).parent == district.street
    )
    response = client.post(
        reverse("orgs:organization_move", kwargs={"pk": district.community.pk}),
        {"new_parent": district.street2.pk},
    )
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()
    # Its own grant root cannot be moved away by the committee.
    assert (
        client.get(reverse("orgs:organization_move", kwargs={"pk": district.street.pk})).status_code
        == 403
    )


@pytest.mark.django_db
def test_an_organisation_with_members_or_children_cannot_be_deleted(district, login):
    client = login(district.users["office"])
    response = client.post(
        reverse("orgs:organization_delete", kwargs={"pk": district.branch.pk}), follow=True
    )
    assert "还有党员" in response.content.decode()
    response = client.post(
        reverse("orgs:organization_delete", kwargs={"pk": district.community.pk}), follow=True
    )
    assert "还有下级组织" in response.content.decode()
    assert (
        Organization.objects.filter(pk__in=[district.branch.pk, district.community.pk]).count() == 2
    )


@pytest.mark.django_db
def test_tree_search_finds_by_name_and_code_within_scope(district, login):
    client = login(district.users["committee"])
    page = client.get(reverse("orgs:tree"), {"q": "党支部"}).content.decode()
    assert "第一党支部" in page and "远方党支部" not in page
    page = client.get(reverse("orgs:tree"), {"q": "R-S1-C1-B2"}).content.decode()
    assert "第二党支部" in page


@pytest.mark.django_db
def test_tree_shows_subtree_counts(district, login):
    MemberFactory(organization=district.branch)
    client = login(district.users["office"])
    page = client.get(
        reverse("orgs:tree_children", kwargs={"pk": district.street.pk})
    ).content.decode()
    # community: 3 organisations (itself and two branches), 4 members (3 in branch, 1 in sibling)
    assert "第一社区党委" in page and "(3 / 4)" in page


# ------------------------------------------------------------------ member pages


@pytest.mark.django_db
def test_secretary_adds_and_edits_a_member_of_the_branch(district, login):
    client = login(district.users["secretary"])
    data = {
        "number": "S001",
        "name": "新党员",
        "gender": "female",
        "birth_date": "1992-06-01",
        "joined_on": "2016-07-01",
        "category": "probationary",
        "post": "护士",
        "mobile": "13912345678",
    }
    response = client.post(
        reverse("orgs:member_create", kwargs={"organization_pk": district.branch.pk}), data
    )
    member = Member.objects.get(number="S001")
    assert response.status_code == 302 and member.organization == district.branch
    client.post(
        reverse("orgs:member_edit", kwargs={"pk": member.pk}),
        data | {"category": "full", "is_party_worker": "on"},
    )
    member.refresh_from_db()
    assert member.category == "full" and member.is_party_worker


@pytest.mark.django_db
def test_member_form_rejects_impossible_input_with_messages(district, login):
    client = login(district.users["secretary"])
    data = {
        "number": district.sibling_member.number,
        "name": "x",
        "gender": "female",
        "birth_date": "2000-01-01",
        "joined_on": "1999-01-01",
        "category": "full",
        "mobile": "123",
    }
    response = client.post(
        reverse("orgs:member_create", kwargs={"organization_pk": district.branch.pk}), data
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "党员编号" in page and "已存在" in page and "手机号码应为 11 位数字" in page
    assert Member.objects.filter(number=district.sibling_member.number).count() == 1


@pytest.mark.django_db
def test_transfer_keeps_history(district, login):
    client = login(district.users["committee"])
    response = client.post(
        reverse("orgs:member_transfer", kwargs={"pk": district.member.pk}),
        {"to": district.sibling.pk, "transferred_on": "2026-03-01", "note": "工作调动"},
    )
    assert response.status_code == 302
    transfer = MemberTransfer.objects.get(member=district.member)
    assert (transfer.from_organization, transfer.to_organization) == (
        district.branch,
        district.sibling,
    )
    page = client.get(
        reverse("orgs:member_detail", kwargs={"pk": district.member.pk})
    ).content.decode()
    assert "2026-03-01" in page and "工作调动" in page and "第一党支部" in page
    # The old branch's secretary no longer sees the member.
    assert (
        login(district.users["secretary"])
        .get(reverse("orgs:member_detail", kwargs={"pk": district.member.pk}))
        .status_code
        == 404
    )


@pytest.mark.django_db
def test_member_list_filters(district, login):
    MemberFactory(
        organization=district.branch, name="张预备", category=Member.Category.PROBATIONARY
    )
    client = login(district.users["office"])
    page = client.get(reverse("orgs:member_list"), {"category": "probationary"}).content.decode()
    assert "张预备" in page and district.member.name not in page
    page = client.get(
        reverse("orgs:member_list"), {"organization": district.street2.pk}
    ).content.decode()
    assert district.far_member.name in page and district.member.name not in page
    page = client.get(reverse("orgs:member_list"), {"name": "张预"}).content.decode()
    assert "张预备" in page and "共 1 名党员" in page
    page = login(district.users["no_role"]).get(reverse("orgs:member_list")).content.decode()
    assert "共 0 名党员" in page


# ----------------------------------------------------------------- query counts


def _grow(root, branches: int, members_each: int):
    for _ in range(branches):
        branch = OrganizationFactory(parent=root)
        Member.objects.bulk_create(
            [
                MemberFactory.build(organization=branch, number=f"G{branch.pk}-{j}")
                for j in range(members_each)
            ]
        )


def _queries(client, url) -> int:
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["office", "committee"])
def test_tree_and_member_list_queries_do_not_grow_with_the_district(district, login, role):
    client = login(district.users[role])
    urls = [
        reverse("orgs:tree"),
        reverse("orgs:tree_children", kwargs={"pk": district.community.pk}),
        reverse("orgs:organization_detail", kwargs={"pk": district.street.pk}),
        reverse("orgs:member_list"),
        reverse("orgs:member_list") + "?page=2",
        reverse("home"),
    ]
    _grow(district.community, branches=3, members_each=20)
    # A page deep in the list, after the members of the first branches.
    deep = reverse("orgs:member_list") + f"?after={Member.objects.order_by('-pk')[0].pk}"
    small = [_queries(client, url) for url in [*urls, deep]]
    _grow(district.community, branches=30, members_each=20)
    big = [_queries(client, url) for url in [*urls, deep]]
    assert Organization.objects.count() > 35 and Member.objects.count() > 600
    assert small == big


@pytest.mark.django_db
def test_an_english_page_still_imports_and_exports_chinese_spreadsheets(
    district, login, run_jobs, settings
):
    client = login(district.users["committee"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Members" in client.get(reverse("orgs:member_list")).content.decode()
    rows = [
        [
            "E1",
            "英文界面",
            "女",
            "1990-03-08",
            "2015-07-01",
            "正式党员",
            district.branch.code,
            "",
            "",
        ]
    ]
    response = run_jobs(
        client,
        reverse("orgs:import_upload"),
        {"target": "members", "file": _upload("m.csv", csv_bytes(MEMBER_HEADERS, rows))},
    )
    preview = Job.objects.get()
    assert preview.status == Job.Status.SUCCEEDED, preview.result
    run_jobs(client, reverse("orgs:import_confirm", kwargs={"job_pk": preview.pk}))
    assert Member.objects.filter(number="E1").exists()

    run_jobs(client, reverse("orgs:export", kwargs={"target": "members", "fmt": "csv"}))
    export = Job.objects.filter(kind="export").get()
    content = b"".join(
        client.get(reverse("core:job_download", kwargs={"pk": export.pk})).streaming_content
    ).decode("utf-8-sig")
    assert "正式党员" in content and "党员编号" in content
    assert response.status_code == 302


@pytest.mark.django_db
def test_chinese_is_the_default_whatever_the_browser_asks(district, login):
    client = login(district.users["committee"])
    page = client.get(
        reverse("orgs:member_list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
    ).content.decode()
    assert "党员名册" in page and 'lang="zh-hans"' in page


def test_the_demo_generator_uses_the_import_columns():
    from orgs import demo
    from orgs.resources import MemberResource, OrganizationResource, columns

    assert demo.ORG_HEADERS == [h for h, _ in columns(OrganizationResource)] == ORG_HEADERS
    assert demo.MEMBER_HEADERS == [h for h, _ in columns(MemberResource)] == MEMBER_HEADERS


@pytest.mark.django_db
def test_a_phone_number_is_for_the_roll_keepers_and_the_member_only(district, login):
    page = lambda user, member: (  # noqa: E731
        login(district.users[user])
        .get(reverse("orgs:member_detail", kwargs={"pk": member.pk}))
        .content.decode()
    )
    assert district.member.mobile in page("secretary", district.member)
    assert district.own_member.mobile in page("member", district.own_member)
    assert district.member.mobile not in page("member", district.member)
    assert district.member.mobile not in page("contact_leader", district.member)


def test_the_change_record_is_for_editing_roles_only(district, login):
    from orgs.services import organization_update

    organization_update(organization=district.branch, name="第一党支部（更名）")
    url = reverse("orgs:organization_detail", args=[district.branch.pk])
    for who in ("secretary", "committee", "office"):
        assert "变更记录" in login(district.users[who]).get(url).content.decode(), who
    for who in ("member", "contact_leader"):
        page = login(district.users[who]).get(url)
        assert page.status_code == 200
        assert "变更记录" not in page.content.decode() and "更名" in page.content.decode(), who
