"""The document kit: scope re-checked at run time, file names, issuer, PDF or ZIP."""

import datetime as dt
import io
import zipfile
from types import SimpleNamespace

import pytest
from django.utils import timezone

from core import documents
from core.jobs import JobError
from core.models import Job


@pytest.mark.django_db
def test_recheck_looks_the_subject_up_again_with_the_starter(district):
    job = Job(kind="x", created_by=district.users["committee"])
    seen = []
    assert (
        documents.recheck(job, lambda user: seen.append(user) or "主题", missing="不在") == "主题"
    )
    assert seen == [district.users["committee"]]
    with pytest.raises(JobError, match="^不在$"):
        documents.recheck(job, lambda user: None, missing="不在")
    with pytest.raises(JobError, match="发起人已不存在"):
        documents.recheck(Job(kind="x"), lambda user: "主题", missing="不在")


def test_a_file_is_named_by_title_code_part_and_local_minute(settings, monkeypatch):
    settings.TIME_ZONE = "Asia/Shanghai"
    at = dt.datetime(2010, 7, 1, 1, 30, tzinfo=dt.UTC)  # 09:30 in Beijing
    monkeypatch.setattr(
        documents, "stamp", lambda now=None: timezone.localtime(at).strftime("%Y%m%d-%H%M")
    )
    assert documents.file_name("公示栏", code="R-S1", ext="pdf") == "公示栏-R-S1-20100701-0930.pdf"
    assert documents.file_name("党员", ext="csv") == "党员-20100701-0930.csv"
    part = documents.file_name("承诺汇总表", code="R", suffix="-02", ext="pdf", stamped=False)
    assert part == "承诺汇总表-R-02.pdf"


def test_stamp_is_the_local_minute(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    assert documents.stamp(dt.datetime(2010, 7, 1, 16, 5, tzinfo=dt.UTC)) == "20100702-0005"


def test_the_issuer_is_the_campaigns_organ_else_its_organisation():
    campaign = SimpleNamespace(
        issuing_organ="",
        document_number="明委组〔2010〕30号",
        organization=SimpleNamespace(name="中共明湖区委"),
    )
    assert documents.issuing_organ(campaign) == "中共明湖区委"
    campaign.issuing_organ = "中共明湖区委创先争优活动领导小组"
    head = documents.letterhead(campaign)
    assert head["issuer"] == "中共明湖区委创先争优活动领导小组"
    assert head["document_number"] == "明委组〔2010〕30号"
    assert head["issued_on"] == timezone.localdate()


def test_parts_are_numbered_and_only_labelled_when_there_are_several():
    ((only, _),) = documents.parts_of(["a"])
    assert only.label == "" and only.suffix == ""
    parts = documents.parts_of(["a", "b", "c"])
    assert [(p.number, p.total, item) for p, item in parts] == [
        (1, 3, "a"),
        (2, 3, "b"),
        (3, 3, "c"),
    ]
    assert parts[1][0].label == "第2部分（共3部分）" and parts[1][0].suffix == "-02"


def test_one_part_is_its_pdf_and_several_are_one_zip():
    name, content = documents.pdf_or_zip([("a.pdf", b"%PDF-a")], title="承诺汇总表", code="R")
    assert name.startswith("承诺汇总表-R-") and name.endswith(".pdf") and content == b"%PDF-a"
    files = [("承诺汇总表-R-01.pdf", b"%PDF-1"), ("承诺汇总表-R-02.pdf", b"%PDF-2")]
    name, content = documents.pdf_or_zip(files, title="承诺汇总表", code="R")
    assert name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.namelist() == ["承诺汇总表-R-01.pdf", "承诺汇总表-R-02.pdf"]
        assert archive.read("承诺汇总表-R-02.pdf") == b"%PDF-2"
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}
