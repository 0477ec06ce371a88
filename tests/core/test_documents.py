"""The document kit: scope re-checked at run time, file names, 文号 and issuer, PDF or ZIP."""

import datetime as dt
import io
import threading
import time
import zipfile

import pytest
from django.db import connections
from django.utils import timezone

from core import documents
from core.jobs import JobError
from core.models import DocumentNumber, DocumentSequence, Job


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


ORGAN = documents.Organ(key=7, name="中共明湖区委组织部", number_pattern="明组〔{year}〕{number}号")


def _number(job, organ=ORGAN, title="公开承诺汇总表"):
    with documents.issuing(job, organ, title=title) as head:
        return head


def test_a_number_is_written_as_gbt9704_writes_it():
    assert documents.format_number(ORGAN.number_pattern, year=2026, number=7) == "明组〔2026〕7号"
    assert documents.format_number("{number}{year}{number.__class__}", year=1, number=2) == (
        "21{number.__class__}"  # replaced, never evaluated
    )


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("明组〔2026〕{number}号", "{year}"),
        ("明组〔{year}〕号", "{number}"),
        ("明组〔{year}〕{number}-{number}号", "现有 2 个"),
        ("明组〔{year}〕{number}号{x}", "花括号"),
        ("明组〔{year}〕{number.real}号", "花括号"),
    ],
)
def test_a_number_pattern_needs_the_year_and_the_number_once(pattern, problem):
    problems = documents.pattern_problems(pattern)
    assert problems and any(problem in p for p in problems)
    assert documents.pattern_problems("明组〔{year}〕{number}号") == []


@pytest.mark.django_db
def test_an_organs_documents_are_numbered_from_one_each_year_without_gaps(monkeypatch):
    first = [_number(Job.objects.create(kind="x")) for _ in range(3)]
    assert [h["doc_number"] for h in first] == [
        f"明组〔{timezone.localdate().year}〕{n}号" for n in (1, 2, 3)
    ]
    assert first[0]["issuer"] == "中共明湖区委组织部"
    assert first[0]["issued_on"] == timezone.localdate()
    # Another organ counts on its own.
    other = documents.Organ(key=8, name="中共第一党支部", number_pattern="一支〔{year}〕{number}号")
    assert _number(Job.objects.create(kind="x"), other)["doc_number"].endswith("〕1号")
    # A new year starts again at 1.
    monkeypatch.setattr(documents.timezone, "localdate", lambda *a: dt.date(2031, 1, 2))
    assert _number(Job.objects.create(kind="x"))["doc_number"] == "明组〔2031〕1号"
    register = DocumentNumber.objects.filter(organ=ORGAN.key)
    assert sorted(register.values_list("year", "serial")) == [
        (first[0]["issued_on"].year, 1),
        (first[0]["issued_on"].year, 2),
        (first[0]["issued_on"].year, 3),
        (2031, 1),
    ]


@pytest.mark.django_db
def test_a_document_that_fails_gives_its_number_back():
    failing = Job.objects.create(kind="x")
    with (
        pytest.raises(RuntimeError, match="排版失败"),
        documents.issuing(failing, ORGAN, title="海报"),
    ):
        raise RuntimeError("排版失败")
    assert not DocumentNumber.objects.exists()
    assert _number(Job.objects.create(kind="x"))["doc_number"].endswith("〕1号")
    # The failed job, run again, takes the next number: nobody saw the first one.
    assert _number(failing)["doc_number"].endswith("〕2号")


@pytest.mark.django_db
def test_a_job_numbered_again_keeps_its_number_organ_and_date(monkeypatch):
    job = Job.objects.create(kind="x")
    first = _number(job)
    _number(Job.objects.create(kind="x"))
    renamed = documents.Organ(
        key=ORGAN.key, name="改名后的机关", number_pattern="改〔{year}〕{number}号"
    )
    monkeypatch.setattr(documents.timezone, "localdate", lambda *a: dt.date(2031, 1, 2))
    assert _number(job, renamed) == first  # a redelivery prints the same document
    assert DocumentNumber.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_numbering_outside_the_documents_transaction_is_refused():
    with pytest.raises(RuntimeError, match="transaction"):
        documents.number_document(Job.objects.create(kind="x"), ORGAN, title="海报")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_documents_issued_at_once_get_one_to_n_without_gaps_or_duplicates(postgres_only):
    """Eight workers number documents of one organ at the same moment, each
    holding its number a while (as a render does) before committing."""
    count = 8
    job_ids = [Job.objects.create(kind="x").pk for _ in range(count)]
    barrier, errors = threading.Barrier(count), []

    def issue(job_id):
        try:
            job = Job.objects.get(pk=job_id)
            barrier.wait()
            with documents.issuing(job, ORGAN, title="海报"):
                time.sleep(0.05)
        except Exception as exc:  # noqa: BLE001 - the test reports what happened
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(pk,)) for pk in job_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    serials = sorted(DocumentNumber.objects.values_list("serial", flat=True))
    assert serials == list(range(1, count + 1))
    assert DocumentSequence.objects.get(organ=ORGAN.key).last == count


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
