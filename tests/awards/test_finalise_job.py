"""表彰 as a background job: started from the round page, refused up front when
the round cannot be finalised, one job per round however often it is asked for
(two racing requests included), the round read again through the starter's
scope, a reason in Chinese when it fails, and nothing written by a run that
breaks off midway."""

import datetime as dt
import threading

import pytest
from django.db import connections
from django.urls import reverse

from awards import publicity
from awards.models import Award, AwardRound, Nomination
from core import jobs
from core.models import DocumentNumber, DocumentSequence, Job
from orgs.models import RoleGrant
from tests.awards.builders import TODAY, award_world, in_publicity, objection
from tests.factories import MemberFactory


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("awards.nominations.today", lambda: TODAY)


def vetted_world(district, campaign, n=2, *, ended=True):
    """A round in 公示 (over, unless asked) with ``n`` vetted nominations."""
    world = award_world(district, campaign)
    for _ in range(n):
        Nomination.objects.create(
            round=world.round,
            category=world.category,
            unit=district.branch,
            member=MemberFactory(organization=district.branch),
            summary="带头走访群众",
            deeds="事迹" * 20,
            state=Nomination.State.VETTED,
        )
    return in_publicity(world, ended=ended)


def start(world, user, **kw):
    job, started = publicity.finalise_start(round_=world.round, user=user, **kw)
    return job, started


def test_the_job_awards_every_vetted_nomination_with_its_number(
    district, campaign, django_capture_on_commit_callbacks
):
    world = vetted_world(district, campaign, 3)
    with django_capture_on_commit_callbacks(execute=True):
        job, started = start(world, district.users["office"], decision_date=dt.date(2011, 6, 28))
    assert started
    job.refresh_from_db()
    assert job.kind == "award_finalise" and job.status == Job.Status.SUCCEEDED, job.error
    done = AwardRound.objects.get(pk=world.round.pk)
    assert done.state == "finished" and done.decision_date == dt.date(2011, 6, 28)
    assert done.decision_number.endswith("〔2011〕1号")
    assert job.result == {
        "round": done.pk,
        "awards": 3,
        "document_number": done.decision_number,
        "decision_date": "2011-06-28",
    }
    assert Award.objects.filter(round=done).count() == 3
    assert set(done.nominations.values_list("state", flat=True)) == {"awarded"}
    # Run again (a redelivery after the commit): nothing more is written.
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert Award.objects.count() == 3 and DocumentNumber.objects.count() == 1


def test_finalising_reports_its_progress(district, campaign):
    world = vetted_world(district, campaign, 25)
    seen = []
    publicity.round_move(
        round_=world.round,
        verb="finalise",
        user=district.users["office"],
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(20, 25), (25, 25)]


def test_a_second_start_while_the_job_waits_gets_the_same_job(district, campaign):
    world = vetted_world(district, campaign)
    first, started = start(world, district.users["office"])
    assert started and first.status == Job.Status.QUEUED
    again, started_again = start(world, district.users["office"])
    assert (again, started_again) == (first, False)
    # Another office user asking meanwhile is not given a second job either.
    from tests.factories import UserFactory, grant

    colleague = UserFactory(username="office2")
    grant(colleague, "campaign_office", district.root)
    assert start(world, colleague) == (first, False)
    assert Job.objects.filter(kind="award_finalise").count() == 1


def test_what_cannot_be_finalised_is_refused_before_any_job(district, campaign):
    office = district.users["office"]
    world = vetted_world(district, campaign, ended=False)
    with pytest.raises(publicity.RoundError, match="^公示期至 .* 结束，结束后才能表彰$"):
        start(world, office)
    in_publicity(world, ended=True)
    world.nomination = world.round.nominations.first()
    objection(world)
    with pytest.raises(publicity.RoundError) as refused:
        start(world, office)
    assert str(refused.value) == "还有 1 条异议未处理，处理完毕后才能表彰"
    with pytest.raises(publicity.RoundError) as refused:
        start(world, district.users["committee"])
    assert str(refused.value) == "只有活动办公室可以办理"
    AwardRound.objects.filter(pk=world.round.pk).update(state="nominating")
    world.round.refresh_from_db()
    with pytest.raises(publicity.RoundError) as refused:
        start(world, office)
    assert str(refused.value) == "评选表彰当前为“推荐评审”，不能表彰"
    assert not Job.objects.exists()


def test_the_job_fails_in_chinese_when_the_round_is_no_longer_ready(district, campaign):
    office = district.users["office"]
    world = vetted_world(district, campaign)
    job, _ = start(world, office)
    # Between the click and the run an objection came in.
    world.nomination = world.round.nominations.first()
    objection(world)
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "还有 1 条异议未处理，处理完毕后才能表彰"
    # And one whose round moved on meanwhile.
    world.round.objections.all().delete()
    second, started = start(world, office)
    assert started
    AwardRound.objects.filter(pk=world.round.pk).update(state="finished")
    jobs.job_run(second.pk)
    second.refresh_from_db()
    assert second.status == Job.Status.FAILED
    assert second.error == "“2011年“七一”表彰”现为已表彰，不能表彰"
    assert not Award.objects.exists()


def test_the_job_reads_the_round_again_through_the_starters_scope(district, campaign):
    office = district.users["office"]
    world = vetted_world(district, campaign)
    job, _ = start(world, office)
    # Meanwhile the office's grant moved to the other street: still an office
    # somewhere (the kind's right holds), no longer this round's.
    RoleGrant.objects.filter(user=office).update(organization=district.street2)
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "评选表彰不存在，或不在您可查看的范围内"
    assert AwardRound.objects.get(pk=world.round.pk).state == "publicity"
    assert not Award.objects.exists()


def test_a_crash_midway_leaves_no_award_and_no_number(district, campaign, monkeypatch):
    office = district.users["office"]
    world = vetted_world(district, campaign, 3)
    save = Award.save
    calls = []

    def breaks_on_the_second(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker crashed")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Award, "save", breaks_on_the_second)
    job, _ = start(world, office)
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error == "任务执行出错：RuntimeError"
    assert len(calls) == 2
    after = AwardRound.objects.get(pk=world.round.pk)
    assert after.state == "publicity" and after.decision_number == ""
    assert not Award.objects.exists()
    assert set(after.nominations.values_list("state", flat=True)) == {"vetted"}
    assert not DocumentNumber.objects.exists() and not DocumentSequence.objects.exists()
    # Started again once the fault is gone: the first number, no gap.
    monkeypatch.setattr(Award, "save", save)
    again, started = start(world, office)
    assert started and again != job
    jobs.job_run(again.pk)
    number = DocumentNumber.objects.get()
    assert number.serial == 1
    assert AwardRound.objects.get(pk=world.round.pk).decision_number == number.text
    assert Award.objects.count() == 3


def test_the_round_page_starts_the_job_and_shows_it(
    district, campaign, client, django_capture_on_commit_callbacks
):
    world = vetted_world(district, campaign)
    client.force_login(district.users["office"])
    detail = reverse("awards:round_detail", args=[world.round.pk])
    move = reverse("awards:round_move", args=[world.round.pk])
    progress = reverse("awards:finalise_progress", args=[world.round.pk])
    assert client.get(progress).status_code == 404  # no job yet
    # The broker holds the job (not run yet): the page shows it waiting, no button.
    response = client.post(move, {"verb": "finalise", "decision_date": "2011-06-28"})
    assert response.status_code == 302 and response["Location"] == detail
    page = client.get(detail).content.decode()
    assert "表彰已开始，在后台进行，完成后本页显示结果" in page
    assert "等待中" in page and f'hx-get="{progress}"' in page
    assert 'value="finalise"' not in page
    client.post(move, {"verb": "finalise"})
    page = client.get(detail).content.decode()
    assert "表彰正在后台进行，无需重复提交" in page
    [job] = Job.objects.filter(kind="award_finalise")
    assert job.params == {"round": world.round.pk, "decision_date": "2011-06-28"}
    partial = client.get(progress, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "HX-Refresh" not in partial
    with django_capture_on_commit_callbacks(execute=True):
        jobs.job_enqueue(job.pk)
    partial = client.get(progress, headers={"HX-Request": "true"})
    assert partial["HX-Refresh"] == "true"
    page = client.get(detail).content.decode()
    number = AwardRound.objects.get(pk=world.round.pk).decision_number
    assert f"表彰完成：共表彰 2 个，表彰决定文号 {number}。" in page
    assert "hx-get" not in page.split('id="finalise-job"')[1].split(">")[0]


def test_a_failed_job_shows_its_reason_and_the_button_again(district, campaign, client):
    world = vetted_world(district, campaign)
    office = district.users["office"]
    job, _ = start(world, office)
    world.nomination = world.round.nominations.first()
    objection(world)
    jobs.job_run(job.pk)
    world.round.objections.all().delete()
    client.force_login(office)
    page = client.get(reverse("awards:round_detail", args=[world.round.pk])).content.decode()
    assert "表彰未完成，未写入任何表彰结果：还有 1 条异议未处理，处理完毕后才能表彰" in page
    assert 'value="finalise"' in page


def test_a_bad_decision_date_is_refused_in_chinese(district, campaign, client):
    world = vetted_world(district, campaign)
    client.force_login(district.users["office"])
    response = client.post(
        reverse("awards:round_move", args=[world.round.pk]),
        {"verb": "finalise", "decision_date": "2011-02-30"},
        follow=True,
    )
    assert "成文日期“2011-02-30”不是有效日期" in response.content.decode()
    assert not Job.objects.exists()


@pytest.fixture
def racing_world(transactional_db):
    import importlib

    from orgs.models import Sector
    from tests.factories import licheng_campaign, make_district

    sectors = importlib.import_module("orgs.migrations.0002_seed_sectors").SECTORS
    for position, name in enumerate(sectors, start=1):
        Sector.objects.get_or_create(name=name, defaults={"position": position})
    district = make_district()
    world = vetted_world(district, licheng_campaign(district))
    world.district = district
    return world


@pytest.mark.postgres
def test_two_racing_clicks_start_one_job(postgres_only, racing_world, monkeypatch):
    """Two requests at the same moment (two threads, two connections): the round
    row's lock makes the second wait for the first's job and return it."""
    # The broker keeps the job: both requests only start it.
    monkeypatch.setattr(jobs, "job_enqueue", lambda job_id, countdown=None: None)
    office = racing_world.district.users["office"]
    barrier, results, errors = threading.Barrier(2), [], []

    def click():
        try:
            barrier.wait(timeout=30)
            results.append(publicity.finalise_start(round_=racing_world.round, user=office))
        except BaseException as exc:  # noqa: BLE001 - the test reports what happened
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    [job] = Job.objects.filter(kind="award_finalise")
    assert sorted(started for _job, started in results) == [False, True]
    assert {found.pk for found, _started in results} == {job.pk}
