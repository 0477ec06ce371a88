"""An export imports back unchanged (issue 9 §3): nothing to update, and the
apostrophe the export puts before text a spreadsheet would run as a formula
(= + - @) is taken off again, not stored."""

import pytest
from django.urls import reverse

from core.models import Job
from core.tabular import read_table
from orgs.importers import import_members, import_organizations
from orgs.models import Member, Organization
from tests.factories import MemberFactory


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """POST and run the jobs the request queues (inline, once the test's transaction "commits")."""

    def post(client, url, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return post


FORMULA_LIKE = ["=HYPERLINK(1)", "+86 531 8888 6666", "-副主任", "@王芳"]


@pytest.fixture
def formula_like(district):
    """Organisations and members whose text starts with a formula's first character."""
    Organization.objects.filter(pk=district.branch.pk).update(
        name=FORMULA_LIKE[0], secretary_name=FORMULA_LIKE[3], phone=FORMULA_LIKE[1]
    )
    Organization.objects.filter(pk=district.sibling.pk).update(secretary_name=FORMULA_LIKE[2])
    MemberFactory(organization=district.branch, name="+张三", post="=SUM(A1)", number="F1")
    MemberFactory(organization=district.sibling, name="@李四", post="-主任", number="F2")
    return district


def _exported(client, run_jobs, target: str, fmt: str) -> bytes:
    run_jobs(client, reverse("orgs:export", kwargs={"target": target, "fmt": fmt}))
    job = Job.objects.filter(kind="export").latest("pk")
    assert job.status == Job.Status.SUCCEEDED, job.error
    response = client.get(reverse("core:job_download", kwargs={"pk": job.pk}))
    return b"".join(response.streaming_content)


def _texts(queryset, *fields):
    return sorted(queryset.values_list(*fields))


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_organisation_export_imports_back_with_nothing_to_update(
    formula_like, login, run_jobs, fmt
):
    district = formula_like
    office = district.users["office"]
    data = _exported(login(office), run_jobs, "organizations", fmt)
    assert b"'=HYPERLINK(1)" in data or fmt == "xlsx"  # the export guards it
    before = _texts(Organization.objects, "code", "name", "secretary_name", "phone", "updated_at")

    report = import_organizations(read_table(data, f"党组织.{fmt}"), user=office, dry_run=False)

    assert report.ok, [str(e) for e in report.errors]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 7)
    assert _texts(
        Organization.objects, "code", "name", "secretary_name", "phone", "updated_at"
    ) == (before)
    branch = Organization.objects.get(pk=district.branch.pk)
    assert (branch.name, branch.secretary_name, branch.phone) == (
        FORMULA_LIKE[0],
        FORMULA_LIKE[3],
        FORMULA_LIKE[1],
    )


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_member_export_imports_back_with_nothing_to_update(formula_like, login, run_jobs, fmt):
    district = formula_like
    committee = district.users["committee"]
    data = _exported(login(committee), run_jobs, "members", fmt)
    before = _texts(Member.objects, "number", "name", "post", "mobile", "updated_at")

    report = import_members(read_table(data, f"党员.{fmt}"), user=committee, dry_run=False)

    assert report.ok, [str(e) for e in report.errors]
    in_scope = Member.objects.filter(organization__in=[district.branch, district.sibling]).count()
    assert (report.created, report.updated, report.unchanged) == (0, 0, in_scope)
    assert _texts(Member.objects, "number", "name", "post", "mobile", "updated_at") == before
    assert _texts(Member.objects.filter(number__in=["F1", "F2"]), "name", "post") == [
        ("+张三", "=SUM(A1)"),
        ("@李四", "-主任"),
    ]


@pytest.mark.django_db
def test_the_upload_page_says_an_exported_file_needs_no_import(formula_like, login, run_jobs):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(formula_like.users["committee"])
    data = _exported(client, run_jobs, "members", "xlsx")
    response = run_jobs(
        client,
        reverse("orgs:import_upload"),
        {"target": "members", "file": SimpleUploadedFile("党员.xlsx", data)},
    )
    preview = Job.objects.filter(kind="import").get()
    assert preview.status == Job.Status.SUCCEEDED, preview.error
    assert (preview.result["created"], preview.result["updated"]) == (0, 0)
    page = client.get(response["Location"]).content.decode()
    assert "文件与系统中的数据一致，无需导入" in page and "确认导入" not in page
