"""站内通知, deadline reminders and the outbound channels: a move tells the unit
it concerns (and nobody else), a reminder goes once per user and deadline
however often the beat runs, e-mail and SMS go through one call, and the
menu's badges are the 待办 total and the unread count."""

import datetime as dt
import re
import threading

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign import plans
from campaign.models import Plan
from core import channels, notify, reminders, todo
from core.models import Notification, Reminder
from core.tasks import send_reminders
from pledges import services as pledge_services
from reviews import rectify
from reviews import services as review_services
from reviews.models import ReviewKind
from tests.factories import filed_plan, items, licheng_campaign, make_district

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sms_records():
    channels.LoggingSMSBackend.records.clear()
    yield channels.LoggingSMSBackend.records
    channels.LoggingSMSBackend.records.clear()


def texts(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("text", flat=True))


# ------------------------------------------------------------------ notices of moves


def test_a_returned_plan_is_notified_to_the_units_secretary_only(district, campaign, login):
    secretary, committee = district.users["secretary"], district.users["committee"]
    plan = filed_plan(campaign, district.branch, secretary)
    plans.plan_return(plan=plan, user=committee, reason="承诺内容不具体")

    assert texts(secretary) == ["第一党支部的实施方案被退回：承诺内容不具体"]
    # The one who returned it is not told of their own move; nobody else is told.
    assert Notification.objects.count() == 1
    notice = Notification.objects.get()
    assert notice.url == reverse(
        "campaign:plan_detail",
        kwargs={"campaign_pk": campaign.pk, "organization_pk": district.branch.pk},
    )
    assert (notice.about, notice.about_id) == ("campaign.plan", plan.pk)

    page = login(secretary).get(reverse("core:notification_list")).content.decode()
    assert "第一党支部的实施方案被退回：承诺内容不具体" in page
    for role in ("sibling_secretary", "committee", "office", "member"):
        page = login(district.users[role]).get(reverse("core:notification_list"))
        assert "承诺内容不具体" not in page.content.decode(), role


def test_an_accepted_plan_is_notified_too(district, campaign):
    plan = filed_plan(campaign, district.branch, district.users["secretary"])
    plans.plan_accept(plan=plan, user=district.users["committee"])
    assert texts(district.users["secretary"]) == ["第一党支部的实施方案已备案"]


def test_a_refused_move_writes_no_notice(district, campaign):
    plan = filed_plan(campaign, district.branch, district.users["secretary"])
    with pytest.raises(plans.PlanError):
        plans.plan_return(plan=plan, user=district.users["sibling_secretary"], reason="x")
    assert not Notification.objects.exists()
    assert Plan.objects.get(pk=plan.pk).state == Plan.State.SUBMITTED


def test_a_returned_member_pledge_tells_the_member_and_the_branch(district, campaign):
    d = district
    own = d.own_member
    pledge = pledge_services.pledge_create(
        campaign=campaign,
        user=d.users["member"],
        organization=d.branch,
        member=own,
        audience="public",
        items=items("每月走访"),
    )
    pledge = pledge_services.pledge_submit(pledge=pledge, user=d.users["member"])
    pledge_services.pledge_return(pledge=pledge, user=d.users["secretary"], reason="写具体些")
    assert texts(d.users["member"]) == [f"{own.name}的承诺被退回：写具体些"]
    # The secretary returned it: not told of their own move.
    assert texts(d.users["secretary"]) == []


def test_every_registered_notice_names_a_declared_move():
    from core import workflow

    declared = {
        f"{flow.model._meta.label_lower}:{verb}"
        for flow in workflow.workflows()
        for verb in flow.moves
    }
    assert set(notify.registered()) <= declared
    assert {"campaign.plan:return", "pledges.pledge:return"} <= set(notify.registered())


# ------------------------------------------------------------------ the page


def test_marking_read_one_and_all_touches_only_the_users_own(district, login):
    secretary, sibling = district.users["secretary"], district.users["sibling_secretary"]
    mine = notify.notify(user_ids=[secretary.pk, secretary.pk], verb="x", text="一", url="/")
    notify.notify(user_ids=[secretary.pk], verb="x", text="二")
    theirs = notify.notify(user_ids=[sibling.pk], verb="x", text="三")
    assert len(mine) == 1  # each user once
    client = login(secretary)
    assert client.post(reverse("core:notification_read", args=[theirs[0].pk])).status_code == 404
    response = client.post(reverse("core:notification_read", args=[mine[0].pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert notify.unread_count(secretary) == 1
    client.post(reverse("core:notifications_read_all"))
    assert notify.unread_count(secretary) == 0
    assert notify.unread_count(sibling) == 1


def test_a_notice_never_redirects_off_site(district, login):
    secretary = district.users["secretary"]
    [notice] = notify.notify(user_ids=[secretary.pk], verb="x", text="t", url="//evil.example/")
    response = login(secretary).post(
        reverse("core:notification_read", args=[notice.pk]), {"open": "1"}
    )
    assert response["Location"] == reverse("core:notification_list")


# ------------------------------------------------------------------ the menu


def badges(page: str) -> dict[str, int]:
    found = re.findall(r'<b class="badge" title="([^"]+)">(\d+)</b>', page)
    return {title: int(n) for title, n in found}


def test_the_menu_badge_is_the_todo_total_and_the_unread_count(district, campaign, login):
    secretary = district.users["secretary"]
    plan = filed_plan(campaign, district.branch, secretary)
    plans.plan_return(plan=plan, user=district.users["committee"], reason="补充措施")
    rectify.rectification_open(
        user=district.users["committee"],
        campaign=campaign,
        organization=district.branch,
        description="制度上墙",
        due_on=dt.date(2020, 1, 1),
        source_kind="spot_check",
    )
    lines = todo.todos_for(secretary)
    assert todo.todo_total(lines) >= 3  # returned plan, open item, overdue item
    page = login(secretary).get(reverse("orgs:tree")).content.decode()
    assert badges(page) == {"待办事项": todo.todo_total(lines), "未读通知": 1}


def test_the_menu_figure_is_kept_until_the_home_page_or_a_write_of_ones_own(
    district, campaign, login, settings
):
    settings.TODO_BADGE_SECONDS = 60
    secretary, committee = district.users["secretary"], district.users["committee"]
    client = login(committee)
    first = badges(client.get(reverse("orgs:tree")).content.decode())["待办事项"]
    filed_plan(campaign, district.branch, secretary)  # another user's move: one more to 备案
    now = todo.todo_total(todo.todos_for(committee))
    assert now == first + 1
    # Other pages show the kept figure (for TODO_BADGE_SECONDS); the home page counts.
    assert badges(client.get(reverse("orgs:tree")).content.decode())["待办事项"] == first
    assert badges(client.get(reverse("home")).content.decode())["待办事项"] == now
    assert badges(client.get(reverse("orgs:tree")).content.decode())["待办事项"] == now
    # The committee's own write forgets the kept figure: the next page counts again.
    plan = Plan.objects.get(campaign=campaign, organization=district.branch)
    client.post(
        reverse("campaign:plan_return", args=[campaign.pk, district.branch.pk]),
        {"reason": "请补充工作措施"},
    )
    assert Plan.objects.get(pk=plan.pk).state == Plan.State.RETURNED
    after = badges(client.get(reverse("orgs:tree")).content.decode())["待办事项"]
    assert after == todo.todo_total(todo.todos_for(committee)) == now - 1


def test_the_home_page_asks_the_counters_once(district, login, monkeypatch):
    calls = []

    @todo.register("test.counted")
    def counted(user):
        calls.append(user.pk)
        return todo.Todo("一件", 1, "/")

    try:
        login(district.users["office"]).get(reverse("home"))
    finally:
        todo._counters.entries.pop("test.counted")
    assert calls == [district.users["office"].pk]


def test_a_long_todo_line_is_counted_to_the_cap_and_says_so(district, campaign, monkeypatch):
    """The menu asks every counter on every page, so a line stops counting past
    ``todo.CAP`` (the database reads CAP + 1 rows) and shows "CAP+"."""
    from tests.factories import OrganizationFactory

    committee = district.users["committee"]

    def plans_line():
        lines = [t for t in todo.todos_for(committee) if "实施方案待备案" in t.label]
        return (lines[0].label, lines[0].count) if lines else None

    for n in range(3):
        unit = OrganizationFactory(parent=district.community, name=f"新党支部{n}")
        filed_plan(campaign, unit, district.users["office"])
    exact = plans_line()
    assert exact is not None and exact[1] >= 3
    monkeypatch.setattr(todo, "CAP", 2)
    assert plans_line() == ("2+ 份实施方案待备案", 3)
    monkeypatch.setattr(todo, "CAP", exact[1])
    assert plans_line() == exact


def _menu_queries(user) -> int:
    from orgs.selectors import grants_read_once

    with grants_read_once(), CaptureQueriesContext(connection) as queries:
        todo.todo_total(todo.todos_for(user))
        notify.unread_count(user)
    return len(queries)


def test_the_menu_counts_cost_for_the_office_stays_flat(district, campaign):
    """The office's badges: every registered counter once plus the unread count,
    in a number of queries that does not grow with the district (printed)."""
    from tests.factories import OrganizationFactory

    office = district.users["office"]
    before = _menu_queries(office)
    for n in range(6):
        unit = OrganizationFactory(parent=district.community, name=f"新党支部{n}")
        plan = filed_plan(campaign, unit, district.users["office"])
        if n % 2:
            plans.plan_return(plan=plan, user=district.users["committee"], reason="补充")
        _overdue_item(district, campaign, organization=unit)
    after = _menu_queries(office)
    print(f"office menu counts: {before} queries, {after} with six more units")
    assert after == before


# ------------------------------------------------------------------ channels


def test_channels_send_mail_and_sms_to_the_users_own_record(district, sms_records):
    member = district.users["member"]
    member.email = "member@example.org"
    member.save()
    assert channels.send(member, "截止提醒", "请按时报送") == ["email", "sms"]
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["member@example.org"], "截止提醒", "请按时报送")
    ]
    # The member's own record's number, never a co-member's (13800138000).
    assert sms_records == [("13900139000", "截止提醒：请按时报送")]


def test_a_user_without_a_member_record_gets_no_sms(district, sms_records):
    assert channels.send(district.users["secretary"], "s", "t") == []
    assert sms_records == [] and mail.outbox == []


def test_a_failing_channel_does_not_stop_the_other(district, settings, sms_records):
    settings.EMAIL_BACKEND = "tests.core.test_notifications.BrokenMail"
    member = district.users["member"]
    member.email = "member@example.org"
    assert channels.send(member, "s", "t") == ["sms"]


class BrokenMail:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("mail server down")


# ------------------------------------------------------------------ reminders


def _overdue_item(d, campaign, due=dt.date(2011, 3, 1), organization=None):
    return rectify.rectification_open(
        user=d.users["committee"],
        campaign=campaign,
        organization=organization or d.branch,
        description="公示栏未更新",
        due_on=due,
        source_kind="spot_check",
    )


def test_a_reminder_goes_once_per_user_and_deadline(
    district, campaign, sms_records, django_capture_on_commit_callbacks
):
    secretary = district.users["secretary"]
    secretary.email = "sec@example.org"
    secretary.save()
    item = _overdue_item(district, campaign)
    today = dt.date(2011, 3, 5)
    with django_capture_on_commit_callbacks(execute=True):
        first = reminders.reminders_send(today=today, kinds=["reviews.rectify_overdue"])
        again = reminders.reminders_send(today=today, kinds=["reviews.rectify_overdue"])
    assert first == {"reviews.rectify_overdue": 1}
    assert again == {"reviews.rectify_overdue": 0}
    assert list(
        Reminder.objects.values_list("user_id", "kind", "about", "about_id", "deadline")
    ) == [(secretary.pk, "reviews.rectify_overdue", "reviews.rectification", item.pk, item.due_on)]
    assert texts(secretary) == ["第一党支部的整改事项已逾期（期限 2011-03-01）：公示栏未更新"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["sec@example.org"]
    assert reverse("reviews:rectify_detail", kwargs={"pk": item.pk}) in mail.outbox[0].body


def test_a_new_due_date_is_a_new_deadline(district, campaign):
    item = _overdue_item(district, campaign)
    reminders.reminders_send(today=dt.date(2011, 3, 5), kinds=["reviews.rectify_overdue"])
    type(item).objects.filter(pk=item.pk).update(due_on=dt.date(2011, 3, 10))
    sent = reminders.reminders_send(today=dt.date(2011, 3, 20), kinds=["reviews.rectify_overdue"])
    assert sent == {"reviews.rectify_overdue": 1}
    assert Reminder.objects.count() == 2


def test_due_soon_within_the_lead_days_only(district, campaign, settings):
    settings.REMINDER_LEAD_DAYS = 3
    _overdue_item(district, campaign, due=dt.date(2011, 3, 10))
    assert reminders.reminders_send(today=dt.date(2011, 3, 6), kinds=["reviews.rectify_due"]) == {
        "reviews.rectify_due": 0
    }
    assert reminders.reminders_send(today=dt.date(2011, 3, 7), kinds=["reviews.rectify_due"]) == {
        "reviews.rectify_due": 1
    }


def test_plan_due_reminds_the_units_that_have_not_filed(district, campaign):
    first = campaign.phases.order_by("position").first()
    filed_plan(campaign, district.sibling, district.users["sibling_secretary"])
    sent = reminders.reminders_send(
        today=first.end_date - dt.timedelta(days=1), kinds=["campaign.plan_due"]
    )
    assert sent["campaign.plan_due"] >= 1
    [text] = texts(district.users["secretary"])
    assert text.startswith("第一党支部的实施方案尚未报送") and first.name in text
    # The sibling filed its plan: nothing for it.
    assert texts(district.users["sibling_secretary"]) == []


def test_round_closing_reminds_the_units_with_scores_left(district, campaign):
    committee = district.users["committee"]
    kind = ReviewKind.objects.get(campaign=campaign, name="党员民主评议")
    round_ = review_services.round_create(
        user=committee,
        campaign=campaign,
        kind=kind,
        organization=district.street,
        period="2010年第四季度",
        opens_on=dt.date(2010, 12, 1),
        closes_on=dt.date(2010, 12, 31),
    )
    review_services.round_open(round_=round_, user=committee)
    sent = reminders.reminders_send(today=dt.date(2010, 12, 30), kinds=["reviews.round_closing"])
    assert sent["reviews.round_closing"] >= 1
    assert any("将于 2010-12-31 截止" in text for text in texts(district.users["secretary"]))
    assert reminders.reminders_send(
        today=dt.date(2010, 12, 30), kinds=["reviews.round_closing"]
    ) == {"reviews.round_closing": 0}


def test_nomination_deadline_reminds_the_units_holding_a_quota(district, campaign):
    from awards.models import AwardCategory, AwardRound, Quota

    round_ = AwardRound.objects.create(
        campaign=campaign,
        name="七一表彰",
        nomination_deadline=dt.date(2011, 6, 1),
        endorsement_deadline=dt.date(2011, 6, 10),
        review_deadline=dt.date(2011, 6, 20),
        state=AwardRound.State.NOMINATING,
    )
    category = AwardCategory.objects.create(
        round=round_,
        name="优秀共产党员",
        subject=AwardCategory.Subject.MEMBER,
        total_quota=3,
        basis=AwardCategory.Basis.MEMBERS,
    )
    Quota.objects.create(
        category=category, organization=district.street, amount=3, source=Quota.Source.ALLOCATED
    )
    sent = reminders.reminders_send(
        today=dt.date(2011, 5, 30), kinds=["awards.nomination_deadline"]
    )
    assert sent == {"awards.nomination_deadline": 1}
    assert texts(district.users["committee"]) == [
        "第一街道党工委：七一表彰推荐将于 2011-06-01 截止"
    ]
    again = reminders.reminders_send(
        today=dt.date(2011, 5, 31), kinds=["awards.nomination_deadline"]
    )
    assert again == {"awards.nomination_deadline": 0}


def test_nomination_deadline_once_per_user_naming_each_of_their_units(district, campaign):
    """A user answering for two units holding a quota hears of both in one
    reminder (the deadline is the round's, once per user); a round still 筹备
    (nominations not open) reminds nobody."""
    from awards.models import AwardRound, Quota
    from tests.awards.builders import award_world
    from tests.factories import grant

    world = award_world(district, campaign)
    committee = district.users["committee"]
    grant(committee, "committee_staff", district.street2)
    draft = award_world(district, campaign, round_state="draft", name="筹备中的表彰")
    assert Quota.objects.filter(category=draft.category).exists()
    today = dt.date(2010, 6, 28)  # the rounds' 推荐 deadline is 2010-06-30
    sent = reminders.reminders_send(today=today, kinds=["awards.nomination_deadline"])
    # the committee (two streets), the branch's secretary, the office (the root's quota)
    assert sent == {"awards.nomination_deadline": 3}
    assert texts(committee) == [
        "第一街道党工委、第二街道党工委：2011年“七一”表彰推荐将于 2010-06-30 截止"
    ]
    assert texts(district.users["secretary"]) == [
        "第一党支部：2011年“七一”表彰推荐将于 2010-06-30 截止"
    ]
    assert texts(district.users["sibling_secretary"]) == []  # no quota of its own
    assert set(Reminder.objects.values_list("about_id", flat=True)) == {world.round.pk}
    assert reminders.reminders_send(
        today=today + dt.timedelta(days=1), kinds=["awards.nomination_deadline"]
    ) == {"awards.nomination_deadline": 0}
    assert AwardRound.objects.get(pk=draft.round.pk).state == "draft"


def test_the_beat_and_the_command_send_the_same_reminders(district, campaign):
    entry = settings.CELERY_BEAT_SCHEDULE["send-reminders"]
    assert entry["task"] == "core.tasks.send_reminders"
    assert entry["task"] == send_reminders.name
    _overdue_item(district, campaign)
    call_command("send_reminders", "--date", "2011-03-05", stdout=__import__("io").StringIO())
    assert Reminder.objects.count() == 1
    send_reminders.apply()  # today: the same item, the same deadline
    assert Reminder.objects.count() == 1


def test_the_command_refuses_a_bad_date_and_an_unknown_kind(district):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--date"):
        call_command("send_reminders", "--date", "2011-13-01")
    with pytest.raises(CommandError, match="--kind"):
        call_command("send_reminders", "--kind", "nothing")


@pytest.fixture
def racing_world(transactional_db):
    import importlib

    from orgs.models import Sector

    sectors = importlib.import_module("orgs.migrations.0002_seed_sectors").SECTORS
    for position, name in enumerate(sectors, start=1):
        Sector.objects.get_or_create(name=name, defaults={"position": position})
    d = make_district()
    d.campaign = licheng_campaign(d)
    d.users["secretary"].email = "sec@example.org"
    d.users["secretary"].save()
    d.item = _overdue_item(d, d.campaign)
    return d


@pytest.mark.postgres
def test_two_workers_at_once_send_a_reminder_once(postgres_only, racing_world, monkeypatch):
    """Two beat runs in two threads (two connections) at the same moment: the
    unique (user, kind, object, deadline) lets one insert win; the other waits on
    it and then finds the row."""
    barrier = threading.Barrier(2)
    sources = reminders.registered()
    overdue = sources["reviews.rectify_overdue"]

    def slow_source(today):
        found = list(overdue(today))
        barrier.wait(timeout=30)  # both have read the deadlines before either inserts
        return found

    monkeypatch.setitem(reminders._sources.entries, "reviews.rectify_overdue", slow_source)
    results, errors = [], []

    def run():
        try:
            results.append(
                reminders.reminders_send(
                    today=dt.date(2011, 3, 5), kinds=["reviews.rectify_overdue"]
                )
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(r["reviews.rectify_overdue"] for r in results) == [0, 1]
    assert Reminder.objects.count() == 1
    assert Notification.objects.filter(verb="remind").count() == 1
    assert len(mail.outbox) == 1


# ------------------------------------------------------------------ awards (issue 12)


@pytest.fixture
def award_people(district):
    """Beside the district's users: a second secretary of the branch, the
    community's own staff, a second office user, and the other street's staff."""
    from tests.factories import UserFactory, grant

    people = dict(district.users)
    people["deputy"] = UserFactory(username="deputy")
    grant(people["deputy"], "branch_secretary", district.branch)
    people["community_staff"] = UserFactory(username="community_staff")
    grant(people["community_staff"], "committee_staff", district.community)
    people["office2"] = UserFactory(username="office2")
    grant(people["office2"], "campaign_office", district.root)
    people["street2_staff"] = UserFactory(username="street2_staff")
    grant(people["street2_staff"], "committee_staff", district.street2)
    return people


@pytest.fixture
def nominated(district, campaign, monkeypatch):
    """The branch's nomination of its member, waiting for the community."""
    from awards import nominations
    from tests.awards.builders import DEEDS, TODAY, award_world

    monkeypatch.setattr("awards.nominations.today", lambda: TODAY)
    world = award_world(district, campaign)
    world.nomination = nominations.nomination_create(
        user=district.users["secretary"],
        category=world.category,
        unit=district.branch,
        subject=district.member,
        summary="带头走访群众",
        deeds=DEEDS,
    )
    return world


def _endorse(world, user, level):
    from awards import nominations

    world.nomination = nominations.move(
        nomination=world.nomination, verb="endorse", user=user, as_level=level.pk
    )
    return world.nomination


def notified() -> dict[str, list[str]]:
    """Every notification written, by username."""
    found: dict[str, list[str]] = {}
    for username, text in Notification.objects.order_by("pk").values_list("user__username", "text"):
        found.setdefault(username, []).append(text)
    return found


def test_each_endorsement_and_the_vetting_tell_the_nominating_units_staff_only(
    district, award_people, nominated
):
    from awards import nominations

    name = district.member.name
    committee, office = award_people["committee"], award_people["office"]
    _endorse(nominated, committee, district.community)
    told = f"第一党支部推荐的{name}（优秀共产党员）已由第一社区党委同意推荐"
    assert notified() == {"secretary": [told], "deputy": [told]}
    _endorse(nominated, committee, district.street)
    _endorse(nominated, office, district.root)
    made = nominations.move(nomination=nominated.nomination, verb="vet", user=office)
    assert made.state == "vetted"
    expected = [
        told,
        f"第一党支部推荐的{name}（优秀共产党员）已由第一街道党工委同意推荐",
        f"第一党支部推荐的{name}（优秀共产党员）已由中共测试区委同意推荐",
        f"第一党支部推荐的{name}（优秀共产党员）已通过组织复审",
    ]
    # The levels above, the office, the sibling and the other street hear nothing.
    assert notified() == {"secretary": expected, "deputy": expected}
    url = reverse("awards:nomination", kwargs={"pk": made.pk})
    assert set(Notification.objects.values_list("url", "about", "about_id")) == {
        (url, "awards.nomination", made.pk)
    }
    assert set(Notification.objects.values_list("verb", flat=True)) == {"endorse", "vet"}


def test_a_returned_nomination_tells_the_unit_why(district, award_people, nominated, login):
    from awards import nominations

    for user, level in (
        (award_people["committee"], district.community),
        (award_people["committee"], district.street),
        (award_people["office"], district.root),
    ):
        _endorse(nominated, user, level)
    Notification.objects.all().delete()
    nominations.move(
        nomination=nominated.nomination,
        verb="return",
        user=award_people["office2"],
        reason="事迹材料不够具体，100%需补充",
    )
    text = (
        f"第一党支部推荐的{district.member.name}（优秀共产党员）被退回："
        "事迹材料不够具体，100%需补充"
    )
    assert notified() == {"secretary": [text], "deputy": [text]}
    page = login(award_people["secretary"]).get(reverse("core:notification_list"))
    assert text in page.content.decode()
    # The notice's link is a page the secretary may open.
    url = Notification.objects.filter(user=award_people["secretary"]).get().url
    assert login(award_people["secretary"]).get(url).status_code == 200


def test_a_refused_nomination_move_tells_nobody(district, award_people, nominated):
    from awards import nominations

    with pytest.raises(nominations.NominationError):
        _endorse(nominated, award_people["sibling_secretary"], district.community)
    with pytest.raises(nominations.NominationError):
        nominations.move(nomination=nominated.nomination, verb="vet", user=award_people["office"])
    assert not Notification.objects.exists()


def test_an_objection_tells_the_office_and_the_committees_that_endorsed_never_what_it_says(
    district, award_people, nominated, login
):
    from awards import nominations, publicity
    from tests.awards.builders import in_publicity

    office = award_people["office"]
    for user, level in (
        (award_people["committee"], district.community),
        (award_people["committee"], district.street),
        (office, district.root),
    ):
        _endorse(nominated, user, level)
    nominations.move(nomination=nominated.nomination, verb="vet", user=office)
    in_publicity(nominated)
    Notification.objects.all().delete()
    objection = publicity.objection_add(
        round_=nominated.round,
        nomination_pk=nominated.nomination.pk,
        text="该同志走访次数与实际不符",
        contact="13700000000 王某",
        address="192.0.2.7",
    )
    text = "2011年“七一”表彰：某候选人收到异议"
    # The office (both of its staff) and the staff of the levels below the root
    # that endorsed (the community's own, the street's); not the branch, not
    # the sibling, not the other street.
    assert notified() == {
        "office": [text],
        "office2": [text],
        "committee": [text],
        "community_staff": [text],
    }
    for row in Notification.objects.all():
        assert row.verb == "objection" and (row.about, row.about_id) == (
            "awards.objection",
            objection.pk,
        )
        assert "不符" not in row.text and "1370" not in row.text and "王某" not in row.text
        assert district.member.name not in row.text
    objections_page = reverse("awards:objections", kwargs={"pk": nominated.round.pk})
    nomination_page = reverse("awards:nomination", kwargs={"pk": nominated.nomination.pk})
    urls = dict(Notification.objects.values_list("user__username", "url"))
    assert urls == {
        "office": objections_page,
        "office2": objections_page,
        "committee": nomination_page,
        "community_staff": nomination_page,
    }
    # Each link opens for its reader; the committee's page does not show the text.
    page = login(office).get(objections_page)
    assert page.status_code == 200 and "走访次数与实际不符" in page.content.decode()
    page = login(award_people["committee"]).get(nomination_page)
    assert page.status_code == 200 and "走访次数与实际不符" not in page.content.decode()


def test_a_refused_objection_tells_nobody(district, award_people, nominated):
    from awards import publicity
    from tests.awards.builders import in_publicity

    in_publicity(nominated, ended=True)
    with pytest.raises(publicity.RoundError):
        publicity.objection_add(
            round_=nominated.round,
            nomination_pk=nominated.nomination.pk,
            text="异议",
            contact="",
            address="192.0.2.7",
        )
    assert not Notification.objects.exists()


def _publicity_round(district, campaign, *, ends, objections=0):
    """A round in 公示 ending at ``ends`` (local), with open objections."""
    from django.utils import timezone

    from awards.models import AwardRound, Objection
    from tests.awards.builders import award_world

    world = award_world(district, campaign, nomination_state="vetted")
    ends_at = timezone.make_aware(ends)
    AwardRound.objects.filter(pk=world.round.pk).update(
        state="publicity",
        publicity_starts_at=ends_at - dt.timedelta(days=7),
        publicity_ends_at=ends_at,
    )
    world.round.refresh_from_db()
    for n in range(objections):
        Objection.objects.create(
            round=world.round, nomination=world.nomination, text=f"异议{n}", address_hash="x" * 64
        )
    return world


PUBLICITY_KINDS = ["awards.publicity_ending", "awards.publicity_objections"]


def test_publicity_ending_reminds_the_office_two_days_before_once(district, campaign, award_people):
    world = _publicity_round(district, campaign, ends=dt.datetime(2011, 6, 10, 15, 0))

    def run(day):
        return reminders.reminders_send(today=dt.date(2011, 6, day), kinds=PUBLICITY_KINDS)

    assert run(7) == {"awards.publicity_ending": 0, "awards.publicity_objections": 0}
    assert run(8) == {"awards.publicity_ending": 2, "awards.publicity_objections": 0}
    assert run(8) == {"awards.publicity_ending": 0, "awards.publicity_objections": 0}
    assert run(9) == {"awards.publicity_ending": 0, "awards.publicity_objections": 0}
    # No objection open: nothing on the last day either.
    assert run(10) == {"awards.publicity_ending": 0, "awards.publicity_objections": 0}
    text = "2011年“七一”表彰公示将于 2011-06-10 结束"
    assert notified() == {"office": [text], "office2": [text]}
    assert set(Reminder.objects.values_list("kind", "about", "about_id", "deadline")) == {
        ("awards.publicity_ending", "awards.awardround", world.round.pk, dt.date(2011, 6, 10))
    }
    assert set(Notification.objects.values_list("url", flat=True)) == {
        reverse("awards:round_detail", kwargs={"pk": world.round.pk})
    }


def test_on_the_last_day_open_objections_remind_the_office_once(district, campaign, award_people):
    world = _publicity_round(district, campaign, ends=dt.datetime(2011, 6, 10, 15, 0), objections=2)

    def run(day):
        return reminders.reminders_send(today=dt.date(2011, 6, day), kinds=PUBLICITY_KINDS)

    assert run(8) == {"awards.publicity_ending": 2, "awards.publicity_objections": 0}
    assert run(9) == {"awards.publicity_ending": 0, "awards.publicity_objections": 0}
    assert run(10) == {"awards.publicity_ending": 0, "awards.publicity_objections": 2}
    assert run(10) == {"awards.publicity_ending": 0, "awards.publicity_objections": 0}
    # Still waiting the day after (the beat missed nothing): the same deadline, not again.
    assert run(11) == {"awards.publicity_ending": 0, "awards.publicity_objections": 0}
    soon = "2011年“七一”表彰公示将于 2011-06-10 结束，还有 2 条异议待处理"
    last = "2011年“七一”表彰公示期至 2011-06-10 结束，还有 2 条异议未处理，处理完毕后才能表彰"
    assert notified() == {"office": [soon, last], "office2": [soon, last]}
    objections_page = reverse("awards:objections", kwargs={"pk": world.round.pk})
    assert set(Notification.objects.filter(text=last).values_list("url", flat=True)) == {
        objections_page
    }


def test_a_missed_last_day_is_reminded_the_day_after(district, campaign, award_people):
    """The beat did not run on the last day: the objections still open are
    reminded of the next day, once."""
    _publicity_round(district, campaign, ends=dt.datetime(2011, 6, 10, 15, 0), objections=1)
    sent = reminders.reminders_send(today=dt.date(2011, 6, 12), kinds=PUBLICITY_KINDS)
    assert sent == {"awards.publicity_ending": 0, "awards.publicity_objections": 2}


def test_publicity_reminder_days_is_a_setting(district, campaign, award_people, settings):
    # 公示 ending at midnight: its last day is the day before.
    _publicity_round(district, campaign, ends=dt.datetime(2011, 6, 11, 0, 0))
    settings.AWARD_PUBLICITY_REMINDER_DAYS = 5
    assert reminders.reminders_send(
        today=dt.date(2011, 6, 4), kinds=["awards.publicity_ending"]
    ) == {"awards.publicity_ending": 0}
    assert reminders.reminders_send(
        today=dt.date(2011, 6, 5), kinds=["awards.publicity_ending"]
    ) == {"awards.publicity_ending": 2}
    assert texts(award_people["office"]) == ["2011年“七一”表彰公示将于 2011-06-10 结束"]


def test_publicity_reminder_on_the_day_itself_with_zero_days(
    district, campaign, award_people, settings
):
    settings.AWARD_PUBLICITY_REMINDER_DAYS = 0
    _publicity_round(district, campaign, ends=dt.datetime(2011, 6, 10, 15, 0))
    kinds = ["awards.publicity_ending"]
    assert reminders.reminders_send(today=dt.date(2011, 6, 9), kinds=kinds) == {
        "awards.publicity_ending": 0
    }
    assert reminders.reminders_send(today=dt.date(2011, 6, 10), kinds=kinds) == {
        "awards.publicity_ending": 2
    }


def test_a_round_no_longer_in_publicity_is_not_reminded(district, campaign, award_people):
    from awards.models import AwardRound

    world = _publicity_round(district, campaign, ends=dt.datetime(2011, 6, 10, 15, 0), objections=1)
    AwardRound.objects.filter(pk=world.round.pk).update(state="finished")
    for day in (8, 10):
        sent = reminders.reminders_send(today=dt.date(2011, 6, day), kinds=PUBLICITY_KINDS)
        assert sent == {"awards.publicity_ending": 0, "awards.publicity_objections": 0}
    assert not Notification.objects.exists()
