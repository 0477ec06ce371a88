"""随机抽查 pages: the office draws through the form (bad sizes refused in Chinese,
nothing written), the round's page says how it was drawn and that it re-draws
to the same sample, each unit is checked through its form, and the 检查通报 PDF
prints the draw, the checklist and the findings."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from core.models import Job
from reviews.models_spotcheck import SpotCheck, SpotCheckRound
from reviews.spotcheck import spot_check_draw
from tests.factories import OrganizationFactory, filed_plan, sector

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
needs_poppler = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils is not installed"
)


@pytest.fixture
def street(district, campaign):
    for i in range(4):
        OrganizationFactory(code=f"R-S1-V{i}", parent=district.street, sector=sector("农村"))
    return district, campaign


def form_data(district, campaign, **values):
    return {
        "campaign": campaign.pk,
        "organization": district.street.pk,
        "title": "2011年上半年随机抽查",
        "size": "3",
        "percent": "",
        "stratify": "on",
        **values,
    }


def test_the_office_draws_through_the_form_and_the_page_says_it_redraws(street, login):
    district, campaign = street
    client = login(district.users["office"])
    url = reverse("reviews:spotcheck_new")
    page = client.get(url, {"organization": district.street.pk})
    assert page.status_code == 200 and "第一街道党工委" in page.content.decode()
    response = client.post(url, form_data(district, campaign))
    round_ = SpotCheckRound.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:spotcheck_detail", kwargs={"pk": round_.pk})
    page = client.get(response["Location"]).content.decode()
    assert round_.seed in page and "redraw_spotcheck" in page
    assert "任何人都可以按记录重新抽取，得到相同的结果" in page
    assert "本页已按记录重新抽取：结果与记录一致。" in page
    assert "7 个单位" in page  # the community, its two branches and the four villages
    listing = client.get(reverse("reviews:spotcheck_list")).content.decode()
    assert "2011年上半年随机抽查" in listing and "0/3" in listing


def test_fewer_units_than_sectors_is_said_on_the_page(street, login):
    district, campaign = street
    client = login(district.users["office"])
    response = client.post(
        reverse("reviews:spotcheck_new"), form_data(district, campaign, size="1"), follow=True
    )
    page = response.content.decode()
    assert "共 2 个领域，实际抽取 2 个，多于所定的 1 个" in page
    assert SpotCheckRound.objects.get().sample.__len__() == 2


@pytest.mark.parametrize(
    "values,message",
    [
        ({"size": "8"}, "抽查数量 8 个超过“第一街道党工委”之下可抽取的单位数 7 个"),
        ({"size": "0"}, "抽查数量至少为 1 个"),
        ({"size": "", "percent": "120"}, "抽查比例应在 1% 至 100% 之间"),
        ({"size": "", "percent": ""}, "请填写抽查数量或抽查比例（二者选一）"),
        ({"size": "2", "percent": "10"}, "请填写抽查数量或抽查比例（二者选一）"),
    ],
)
def test_bad_sizes_come_back_on_the_form_in_chinese(street, login, values, message):
    district, campaign = street
    client = login(district.users["office"])
    response = client.post(
        reverse("reviews:spotcheck_new"), form_data(district, campaign, **values)
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert not SpotCheckRound.objects.exists()


def test_a_subtree_the_user_does_not_review_is_not_offered(street, login):
    district, campaign = street
    client = login(district.users["committee"])
    response = client.post(
        reverse("reviews:spotcheck_new"),
        form_data(district, campaign, organization=district.root.pk),
    )
    assert response.status_code == 400 and not SpotCheckRound.objects.exists()
    secretary = login(district.users["secretary"])
    assert secretary.get(reverse("reviews:spotcheck_new")).status_code == 403
    assert secretary.get(reverse("reviews:spotcheck_list")).status_code == 403


def _drawn(district, campaign, size=7):
    return spot_check_draw(
        user=district.users["office"],
        campaign=campaign,
        organization=district.street,
        title="2011年上半年随机抽查",
        size=size,
    )


def test_a_unit_is_checked_through_its_form_and_outsiders_get_404(street, login):
    district, campaign = street
    round_ = _drawn(district, campaign)
    url = reverse(
        "reviews:spotcheck_check", kwargs={"pk": round_.pk, "organization_pk": district.branch.pk}
    )
    client = login(district.users["committee"])
    page = client.get(url).content.decode()
    assert "抽取时系统数据" in page
    data = {"plan_filed": "on", "findings": "讲评会记录不完整", "done": "on", "satisfaction": ""}
    assert client.post(url, data).status_code == 302
    check = SpotCheck.objects.get(round=round_, organization=district.branch)
    assert check.state == SpotCheck.State.CHECKED and check.findings == "讲评会记录不完整"
    assert check.plan_filed and not check.pledges_public
    bad = client.post(url, data | {"satisfaction": "101"})
    assert bad.status_code == 400
    # A unit not in the sample, and a round the user does not reach, are missing.
    outside = reverse(
        "reviews:spotcheck_check",
        kwargs={"pk": round_.pk, "organization_pk": district.far_branch.pk},
    )
    assert client.get(outside).status_code == 404
    for user in ("secretary", "member", "contact_leader", "sibling_secretary", "no_role"):
        assert login(district.users[user]).get(url).status_code == 404


@needs_poppler
def test_the_report_prints_the_draw_the_checklist_and_the_findings(
    street, login, django_capture_on_commit_callbacks
):
    district, campaign = street
    filed_plan(campaign, district.branch, district.users["secretary"])
    round_ = _drawn(district, campaign)
    client = login(district.users["office"])
    url = reverse(
        "reviews:spotcheck_check", kwargs={"pk": round_.pk, "organization_pk": district.branch.pk}
    )
    client.post(
        url, {"plan_filed": "on", "findings": "公示栏承诺未更新\n群众知晓率不高", "done": "on"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reviews:spotcheck_report", kwargs={"pk": round_.pk}))
    job = Job.objects.get(kind="spot_check_report")
    assert response["Location"] == reverse("core:job_detail", kwargs={"pk": job.pk})
    assert job.status == Job.Status.SUCCEEDED, job.error
    download = client.get(reverse("core:job_download", kwargs={"pk": job.pk}))
    data = b"".join(download.streaming_content)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "spot-check-report.pdf").write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    compact = "".join(text.split())
    assert "关于2011年上半年随机抽查情况的通报" in compact
    assert round_.seed in compact and "7个单位" in compact
    assert job.result["document_number"] in text
    assert "公示栏承诺未更新" in compact and "群众知晓率不高" in compact
    assert "结果一致" in compact and "农村" in compact
    # A user who does not review the street may not have the file.
    assert login(district.users["secretary"]).get(
        reverse("core:job_download", kwargs={"pk": job.pk})
    ).status_code in (403, 404)
