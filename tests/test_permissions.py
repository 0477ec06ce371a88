"""The URL × role matrix: every URL from the resolver, for every kind of user.

A URL with no rule here fails ``test_every_url_has_a_rule``: adding a view
means deciding who may use it, and a URL without a name is a URL without a
rule. Objects outside a user's subtree answer 404, exactly like a missing id;
read-only access to something a user can see is 403.

A POST is judged by what it did, not by its status code: a refused move comes
back as a redirect with a message just like a done one, so each POST rule
reads the database (the object's row, its audit trail) before and after and
expects ACTED or REFUSED for a user who reaches the object.
"""

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from django.utils import timezone
from django.utils.formats import date_format

from campaign import plans
from campaign.models import ContactPoint, Plan
from campaign.plans import attachment_add, plan_return, plan_submit
from core.models import AuditEntry, DocumentNumber, Job
from orgs.models import MemberTransfer
from orgs.selectors import reach_of
from pledges import services as pledge_services
from pledges.models import Pledge, PledgeComment
from pledges.services import (
    ItemInput,
    comment_add,
    pledge_approve,
    pledge_create,
    pledge_publish,
    pledge_submit,
    pledge_update_add,
)
from reviews.models import (
    KindEvaluator,
    Meeting,
    PaperTally,
    Review,
    ReviewKind,
    ReviewRound,
    ScoreSheet,
    Statement,
)
from reviews.services import round_create
from tests import images
from tests.factories import PLAN_FOUR, filed_plan, licheng_campaign

ROLES = [
    "anonymous",
    "no_role",
    "member",
    "contact_leader",
    "secretary",
    "sibling_secretary",
    "committee",
    "office",
    "admin",
]
LOGIN = "login"  # sent to the login page
ACTED = "acted"  # the POST changed what its probe reads
REFUSED = "refused"  # answered (a redirect with a message, or the form again), nothing changed


def expect(anonymous=LOGIN, *, default=200, **roles):
    """The outcome per role: ``default`` for every logged-in role not named."""
    unknown = set(roles) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {"anonymous": anonymous} | {role: roles.get(role, default) for role in ROLES[1:]}


# Who reaches the secretary's branch: the member and the contact leader read it
# (their grants reach it) but may change nothing there.
OUTSIDE = {"no_role": 404, "sibling_secretary": 404}
READERS = {"member": REFUSED, "contact_leader": REFUSED}
# What a 党员's grant does not reach although it is in the branch: a co-member's
# record, the plan and its files, a co-member's pledge. Missing, like outside.
RECORDS = OUTSIDE | {"member": 404}


@dataclass(frozen=True)
class Rule:
    """How to call one URL and what each role gets.

    ``setup`` brings the world into the state the move starts from; ``probe``
    reads what a done POST changes (every POST rule has one).
    """

    method: str
    expected: dict
    kwargs: Callable[[Any], dict] | None = None
    query: Callable[[Any], str] | None = None
    data: Callable[[Any], dict] | None = None
    setup: Callable[[Any], None] | None = None
    probe: Callable[[Any, Any], Any] | None = None


def get(expected, kwargs=None, query=None) -> Rule:
    return Rule("get", expected, kwargs=kwargs, query=query)


def post(expected, kwargs=None, *, probe, data=None, setup=None) -> Rule:
    return Rule("post", expected, kwargs=kwargs, data=data, setup=setup, probe=probe)


def round_in(state):
    def setup(d):
        ReviewRound.objects.filter(pk=d.round.pk).update(state=state)

    return setup


def round_state(d, client):
    return ReviewRound.objects.get(pk=d.round.pk).state, writes(d, client)


def round_opened(d):
    from reviews.services import _create_reviews

    ReviewRound.objects.filter(pk=d.round.pk).update(state="open")
    if not Review.objects.filter(round=d.round).exists():
        _create_reviews(ReviewRound.objects.get(pk=d.round.pk), None)


def member_review(d):
    return Review.objects.get(round=d.round, member=d.member)


def round_published(d):
    """The round opened (a review per member), then 已公布: the result pages, the
    documents and the export are about results the reader may read."""
    round_opened(d)
    ReviewRound.objects.filter(pk=d.round.pk).update(state="published")


def round_public(d):
    """The round published, its kind publishing to 公开."""
    round_published(d)
    ReviewKind.objects.filter(pk=d.round.kind_id).update(publication="public")


def round_with_statements(d):
    round_opened(d)
    KindEvaluator.objects.get_or_create(kind=d.round.kind, evaluator="self", defaults={"weight": 0})


def meetings_and_writes(d, client):
    return Meeting.objects.count(), writes(d, client)


def statements_and_writes(d, client):
    return list(Statement.objects.values_list("text", flat=True)), writes(d, client)


def tallies_and_writes(d, client):
    return PaperTally.objects.count(), writes(d, client)


def upward_round(d):
    """An open organisations' round on the street whose kind takes 下级评上级."""
    if getattr(d, "upward_round", None) is not None:
        return
    from reviews.services import round_open

    kind = ReviewKind.objects.get(campaign=d.campaign, name="党（工）委季度点评")
    KindEvaluator.objects.get_or_create(kind=kind, evaluator="upward", defaults={"weight": 0})
    d.upward_round = round_open(
        round_=round_create(
            user=d.users["committee"],
            campaign=d.campaign,
            kind=kind,
            organization=d.street,
            period="2010年第四季度",
            opens_on=dt.date(2010, 12, 1),
            closes_on=dt.date(2010, 12, 31),
        ),
        user=d.users["committee"],
    )


def comment_round(d):
    """An open 党（工）委季度点评 on the street (领导点评 only), with the contact
    leader's contact point on the community."""
    if getattr(d, "comment_round", None) is not None:
        return
    from reviews.services import round_open

    ContactPoint.objects.get_or_create(
        campaign=d.campaign, leader=d.users["contact_leader"], organization=d.community
    )
    d.comment_round = round_open(
        round_=round_create(
            user=d.users["committee"],
            campaign=d.campaign,
            kind=ReviewKind.objects.get(campaign=d.campaign, name="党（工）委季度点评"),
            organization=d.street,
            period="2010年第三季度",
            opens_on=dt.date(2010, 9, 1),
            closes_on=dt.date(2010, 9, 30),
        ),
        user=d.users["committee"],
    )


def comment_row(d):
    review = Review.objects.get(round=d.comment_round, organization=d.community)
    return {f"g-{review.pk}": "较好", f"o-{review.pk}": "支部活动开展扎实"}


def upward_row(d):
    review = Review.objects.get(round=d.upward_round, organization=d.community)
    return {f"s-{review.pk}-1": "16"}


def grid_row(d):
    review = Review.objects.filter(round=d.round, organization=d.branch).order_by("pk").first()
    return {f"s-{review.pk}-1": "18", f"o-{review.pk}": "好"}


def sheets_and_writes(d, client):
    return ScoreSheet.objects.count(), writes(d, client)


def no_district_rounds(d):
    ReviewRound.objects.filter(organization=d.root).delete()


def rounds_and_writes(d, client):
    return ReviewRound.objects.count(), writes(d, client)


def spot_round(d):
    """issue 11: spotcheck. Every unit under the street drawn by the office (the
    branch among them), once per test."""
    if getattr(d, "spot_round", None) is None:
        from reviews.spotcheck import spot_check_draw

        d.spot_round = spot_check_draw(
            user=d.users["office"],
            campaign=d.campaign,
            organization=d.street,
            title="2011年上半年随机抽查",
            percent=100,
        )
    return d.spot_round


def spot_check_state(d, client):
    from reviews.models_spotcheck import SpotCheck

    check = SpotCheck.objects.get(round=spot_round(d), organization=d.branch)
    return check.state, check.findings, writes(d, client)


def bulletin_world(d):
    """issue 13: bulletins. The street's committee's bulletins, once per test: a
    draft, one published to 本组织及下级 (with a PDF), one published to 公开."""
    if getattr(d, "bulletins", None) is None:
        from campaign import bulletins

        committee = d.users["committee"]

        def made(title, audience, publish):
            bulletin = bulletins.bulletin_create(
                user=committee,
                campaign=d.campaign,
                organization=d.street,
                kind="work",
                title=title,
                body="正文",
                audience=audience,
                uploads_=[SimpleUploadedFile(f"{title}.pdf", b"%PDF-1.4\n%%EOF\n")],
            )
            return (
                bulletins.bulletin_publish(bulletin=bulletin, user=committee)
                if publish
                else bulletin
            )

        d.bulletins = {
            "draft": made("草稿简报", "subtree", False),
            "subtree": made("街道简报", "subtree", True),
            "public": made("公开简报", "public", True),
        }
    return d.bulletins


def bulletin_pk(which):
    return lambda d: {"pk": bulletin_world(d)[which].pk}


def bulletin_file_pk(which):
    return lambda d: {"pk": bulletin_world(d)[which].attachments.get().pk}


def bulletin_state(which):
    def probe(d, client):
        from campaign.models_bulletins import Bulletin

        row = Bulletin.objects.get(pk=bulletin_world(d)[which].pk)
        return row.state, row.title, row.attachments.count(), writes(d, client)

    return probe


def bulletins_and_writes(d, client):
    from campaign.models_bulletins import Bulletin

    return Bulletin.objects.count(), writes(d, client)


def bulletin_form(d):
    return {
        "campaign": d.campaign.pk,
        "organization": d.street.pk,
        "kind": "notice",
        "audience": "subtree",
        "title": "关于公示情况的通报",
        "body": "各社区党委：现将情况通报如下。",
    }


def rect_item(d):
    """issue 11: rectify. An item on the branch, opened by the committee above
    (待整改), once per test."""
    if getattr(d, "rect_item", None) is None:
        from reviews.rectify import rectification_open

        d.rect_item = rectification_open(
            user=d.users["committee"],
            campaign=d.campaign,
            organization=d.branch,
            description="公示栏承诺未及时更新",
            due_on=dt.date(2026, 12, 31),
            source_kind="manual",
        )
    return d.rect_item


def rect_in(state):
    def setup(d):
        from reviews.models_rectify import Rectification

        Rectification.objects.filter(pk=rect_item(d).pk).update(state=state, evidence="已整改")

    return setup


def rect_state(d, client):
    from reviews.models_rectify import Rectification

    item = Rectification.objects.get(pk=rect_item(d).pk)
    return item.state, item.evidence, item.files.count(), writes(d, client)


def rect_file(d):
    from reviews.models_rectify import RectificationFile
    from reviews.rectify import rectification_evidence

    rect_in("in_progress")(d)
    if not RectificationFile.objects.exists():
        rectification_evidence(
            item=rect_item(d),
            user=d.users["secretary"],
            files=[SimpleUploadedFile("佐证.pdf", b"%PDF-1.4\n%%EOF\n")],
        )
    return RectificationFile.objects.get()


def spot_checked(d):
    """The branch's spot check done, with findings (what 开整改 starts from)."""
    from reviews.models_spotcheck import SpotCheck

    SpotCheck.objects.filter(round=spot_round(d), organization=d.branch).update(
        state="checked", findings="讲评会记录不完整"
    )


def spot_check_pk(d):
    from reviews.models_spotcheck import SpotCheck

    return SpotCheck.objects.get(round=spot_round(d), organization=d.branch).pk


def _no_evidence(d):
    from reviews.models_rectify import Rectification

    Rectification.objects.filter(pk=rect_item(d).pk).update(evidence="")


def rectifications_and_writes(d, client):
    from reviews.models_rectify import Rectification

    return Rectification.objects.count(), writes(d, client)


def survey_world(d):
    """issue 11: surveys. A 群众评议 by the office on the street (the branch a
    subject) with a batch of two codes issued, once per test."""
    if getattr(d, "survey", None) is None:
        from django.db import transaction
        from django.utils import timezone

        from reviews import surveys
        from reviews.models_surveys import SurveyCodeBatch, SurveySubject

        today = timezone.localdate()
        d.survey = surveys.survey_create(
            user=d.users["office"],
            campaign=d.campaign,
            organization=d.street,
            title="2026年群众评议",
            opens_on=today - dt.timedelta(days=1),
            closes_on=today + dt.timedelta(days=10),
        )
        d.survey_subject = SurveySubject.objects.get(survey=d.survey, organization=d.branch)
        d.survey_batch = SurveyCodeBatch.objects.create(subject=d.survey_subject, size=2)
        with transaction.atomic():
            d.survey_codes = surveys.issue_codes(d.survey_batch)
            d.survey_batch.state = SurveyCodeBatch.State.ISSUED
            d.survey_batch.save()
    return d.survey


def survey_batch_state(d, client):
    from reviews.models_surveys import SurveyCodeBatch

    return SurveyCodeBatch.objects.get(pk=d.survey_batch.pk).state, writes(d, client)


def survey_code_kwargs(d):
    from reviews.surveys import printed

    survey_world(d)
    return {"code": printed(d.survey_codes[0])}


def award_category(d):
    """issue 12: quotas. A round with one category on the district, its quota
    handed down by the office to the streets (the street gets 8), once per test."""
    if getattr(d, "award_category", None) is None:
        from awards.models import AwardCategory, AwardRound
        from awards.quotas import quota_allocate

        start = d.campaign.start_date
        round_ = AwardRound.objects.create(
            campaign=d.campaign,
            name="2011年“七一”表彰",
            nomination_deadline=start + dt.timedelta(days=30),
            endorsement_deadline=start + dt.timedelta(days=40),
            review_deadline=start + dt.timedelta(days=50),
        )
        d.award_category = AwardCategory.objects.create(
            round=round_, name="优秀共产党员", subject="member", total_quota=10
        )
        quota_allocate(user=d.users["office"], category=d.award_category, organization=d.root)
    return d.award_category


def award_flow(d, *, round_state="nominating", nomination_state="endorsing", publicity=False):
    """issue 12: the flow. A round (2012) with the branch's nomination of its
    member, the quota handed down to the branch; in 公示 with an objection if asked."""
    if getattr(d, "award_flow", None) is None:
        from awards.models import NominationPhoto
        from tests.awards.builders import award_world, in_publicity, objection

        d.award_flow = award_world(
            d,
            d.campaign,
            name="2012年“七一”表彰",
            round_state=round_state,
            nomination_state=nomination_state,
        )
        d.award_photo = NominationPhoto.objects.create(
            nomination=d.award_flow.nomination,
            image=ContentFile(images.png(), name="photo1.png"),
        )
        if publicity:
            in_publicity(d.award_flow)
            d.award_objection = objection(d.award_flow)
    return d.award_flow


def award_finalising(d):
    """The flow's round with a 表彰 job waiting (the round page's partial shows it)."""
    from core.models import Job

    world = award_flow(d)
    if getattr(d, "award_finalise_job", None) is None:
        d.award_finalise_job = Job.objects.create(
            kind="award_finalise", created_by=d.users["office"], params={"round": world.round.pk}
        )
    return world.round


def award_nomination(d, client):
    from awards.models import Nomination

    n = Nomination.objects.get(pk=award_flow(d).nomination.pk)
    return n.state, n.endorsements.count(), writes(d, client)


def award_round_state(d, client):
    from awards.models import AwardRound

    return AwardRound.objects.get(pk=award_flow(d).round.pk).state, writes(d, client)


def award_objections(d, client):
    from awards.models import Objection

    rows = Objection.objects.filter(round=award_flow(d).round).order_by("pk")
    return list(rows.values_list("pk", "state")), writes(d, client)


def award_in_publicity(d):
    award_flow(d, nomination_state="vetted", publicity=True)


def award_finished(d):
    """The round of ``award_flow`` finished, its nomination awarded."""
    from awards.models import AwardRound, Nomination

    award_in_publicity(d)
    AwardRound.objects.filter(pk=d.award_flow.round.pk).update(state="finished")
    Nomination.objects.filter(pk=d.award_flow.nomination.pk).update(state="awarded")
    return d.award_flow.round


def award_quotas(d, client):
    from awards.models import Quota

    rows = Quota.objects.filter(category=award_category(d)).order_by("organization_id")
    return list(rows.values_list("organization_id", "amount", "kept", "allocated")), writes(
        d, client
    )


def award_adjust(d):
    from awards.models import Quota

    rows = Quota.objects.filter(category=award_category(d))
    return {
        f"amount-{rows.get(organization=d.street).pk}": "7",
        f"amount-{rows.get(organization=d.street2).pk}": "3",
        "reason": "第二街道党员增长快",
    }


def writes(d, client):
    """Audit rows and jobs: every service write records one, every job start makes one."""
    return AuditEntry.objects.count(), Job.objects.count()


def target_pledge(d, client):
    pledge = Pledge.objects.get(pk=d.target.pk)
    return pledge.state, pledge.outcome, pledge.updates.count(), writes(d, client)


def branch_plan(d, client):
    plan = Plan.objects.get(campaign=d.campaign, organization=d.branch)
    return plan.state, plan.theme, plan.attachments.count(), writes(d, client)


def comments(d, client):
    return list(PledgeComment.objects.values_list("pk", "state"))


def own_pledge(upto: str) -> Callable[[Any], None]:
    """The member persona's own pledge, filed by the member and taken to ``upto``."""

    def setup(d) -> None:
        member = d.users["member"]
        pledge = pledge_create(
            campaign=d.campaign,
            user=member,
            organization=d.branch,
            member=d.own_member,
            audience="public",
            items=[
                ItemInput(content="带头学习", due_date=dt.date(2011, 6, 30), verification="记录")
            ],
        )
        if upto in ("submitted", "approved"):
            pledge = pledge_submit(pledge=pledge, user=member)
        if upto == "approved":
            pledge = pledge_approve(pledge=pledge, user=d.users["secretary"])
        d.target = pledge

    return setup


def the_published_pledge(d) -> None:
    d.target = d.pledge


def returned_plan(d) -> None:
    """The branch's plan sent back, so it may be edited and submitted again."""
    plan = Plan.objects.get(campaign=d.campaign, organization=d.branch)
    plan_return(plan=plan, user=d.users["committee"], reason="请补充")


def plan_url(d):
    return {"campaign_pk": d.campaign.pk, "organization_pk": d.branch.pk}


def target_url(d):
    return {"pk": d.target.pk}


def a_pdf(d):
    return {"file": SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n%%EOF\n")}


def notices(d):
    """An unread notification for every persona, and one for a user who is none of them."""
    from django.contrib.auth import get_user_model

    from core.models import Notification

    outsider, _ = get_user_model().objects.get_or_create(username="notified-outsider")
    d.outsider_notice, _ = Notification.objects.get_or_create(
        user=outsider, verb="return", text="别人的通知"
    )
    for user in d.users.values():
        if user is not None:
            Notification.objects.get_or_create(user=user, verb="accept", text="您的通知")


def unread_notices(d, client):
    from core.models import Notification

    return Notification.objects.filter(read_at__isnull=True).count()


def outsider_notice_read(d, client):
    from core.models import Notification

    return Notification.objects.get(pk=d.outsider_notice.pk).read_at


# Who may make each pledge move on the member persona's own pledge: the member
# (the pledger) files it but never approves it; the branch and staff above approve.
PLEDGE_MOVES = {
    "pledge_submit": post(
        expect(**OUTSIDE, contact_leader=REFUSED, default=ACTED),
        target_url,
        setup=own_pledge("draft"),
        probe=target_pledge,
    ),
    "pledge_approve": post(
        expect(**OUTSIDE, **READERS, default=ACTED),
        target_url,
        setup=own_pledge("submitted"),
        probe=target_pledge,
    ),
    "pledge_return": post(
        expect(**OUTSIDE, **READERS, default=ACTED),
        target_url,
        data=lambda d: {"reason": "不够具体"},
        setup=own_pledge("submitted"),
        probe=target_pledge,
    ),
    "pledge_publish": post(
        expect(**OUTSIDE, contact_leader=REFUSED, default=ACTED),
        target_url,
        setup=own_pledge("approved"),
        probe=target_pledge,
    ),
    # 评诺 and 践诺 on the co-member's published pledge.
    "pledge_outcome": post(
        expect(**READERS | RECORDS, default=ACTED),
        target_url,
        data=lambda d: {
            "outcome": Pledge.Outcome.values[-1],
            "phase": d.campaign.phases.order_by("start_date").first().pk,
            "comment": "兑现",
        },
        setup=the_published_pledge,
        probe=target_pledge,
    ),
    "pledge_update_add": post(
        expect(**READERS | RECORDS, default=ACTED),
        target_url,
        data=lambda d: {"item_key": 1, "happened_on": "2011-04-01", "text": "走访5户"},
        setup=the_published_pledge,
        probe=target_pledge,
    ),
}

# Objects: the secretary's own branch and one of its members, unless said otherwise.
RULES = {
    "home": get(expect()),
    "healthz": get(expect(anonymous=200)),
    "login": get(expect(anonymous=200, default=302)),
    "logout": post(
        expect(default=ACTED),
        probe=lambda d, client: client.session.get("_auth_user_id"),
    ),
    "password_change": get(expect()),
    # 站内通知: everyone reads their own; another user's is missing, like any other id.
    "core:notification_list": get(expect()),
    "core:notification_read": post(
        expect(default=404),
        lambda d: {"pk": d.outsider_notice.pk},
        setup=notices,
        probe=outsider_notice_read,
    ),
    "core:notifications_read_all": post(expect(default=ACTED), setup=notices, probe=unread_notices),
    "password_change_done": get(expect()),
    "set_language": post(
        expect(anonymous=ACTED, default=ACTED),
        data=lambda d: {"language": "en"},
        probe=lambda d, client: client.cookies.get("django_language") is not None,
    ),
    "orgs:tree": get(expect()),
    "orgs:member_list": get(expect()),
    "orgs:organization_detail": get(expect(**OUTSIDE), lambda d: {"pk": d.branch.pk}),
    "orgs:tree_children": get(
        expect(no_role=404, member=404, secretary=404, sibling_secretary=404),
        lambda d: {"pk": d.community.pk},
    ),
    **{
        f"orgs:organization_{name}": get(
            expect(**OUTSIDE, member=403, contact_leader=403, secretary=403),
            lambda d: {"pk": d.branch.pk},
        )
        for name in ("edit", "move", "delete")
    },
    "orgs:organization_create": get(
        expect(**OUTSIDE, member=403, contact_leader=403, secretary=403),
        lambda d: {"parent_pk": d.branch.pk},
    ),
    "orgs:member_create": get(
        expect(**OUTSIDE, member=403, contact_leader=403),
        lambda d: {"organization_pk": d.branch.pk},
    ),
    "orgs:member_detail": get(expect(**RECORDS), lambda d: {"pk": d.member.pk}),
    **{
        f"orgs:member_{name}": get(
            expect(**RECORDS, contact_leader=403), lambda d: {"pk": d.member.pk}
        )
        for name in ("edit", "transfer")
    },
    **{
        name: get(
            expect(
                no_role=403, member=403, contact_leader=403, secretary=403, sibling_secretary=403
            ),
            kwargs,
        )
        for name, kwargs in (
            ("orgs:import_upload", None),
            ("orgs:import_template", lambda d: {"target": "members", "fmt": "xlsx"}),
        )
    },
    # The committee's own dry-run preview: nobody else may confirm it.
    "orgs:import_confirm": post(
        expect(
            no_role=403,
            member=403,
            contact_leader=403,
            secretary=403,
            sibling_secretary=403,
            office=404,
            default=ACTED,
        ),
        lambda d: {"job_pk": d.jobs["preview"].pk},
        probe=writes,
    ),
    "orgs:export": post(
        expect(no_role=403, member=403, contact_leader=403, default=ACTED),
        lambda d: {"target": "members", "fmt": "csv"},
        probe=writes,
    ),
    # Pledges: the member's published pledge in the secretary's branch; the moves
    # on the member persona's own pledge.
    "pledges:pledge_list": get(expect()),
    "pledges:pledge_create": get(
        expect(**RECORDS, contact_leader=403),
        query=lambda d: f"?member={d.member.pk}",
    ),
    "pledges:pledge_detail": get(expect(**RECORDS), lambda d: {"pk": d.pledge.pk}),
    "pledges:pledge_edit": get(
        expect(**RECORDS, contact_leader=403), lambda d: {"pk": d.pledge.pk}
    ),
    **{f"pledges:{name}": rule for name, rule in PLEDGE_MOVES.items()},
    "pledges:pledge_export": post(
        expect(no_role=403, member=403, contact_leader=403, default=ACTED),
        lambda d: {"fmt": "csv"},
        probe=writes,
    ),
    "pledges:comment_list": get(expect()),
    # Only those who moderate the branch see its visitors' comments at all.
    "pledges:comment_moderate": post(
        expect(**OUTSIDE, member=404, contact_leader=404, default=ACTED),
        lambda d: {"pk": d.comment.pk},
        data=lambda d: {"decision": "approve"},
        probe=comments,
    ),
    "pledges:import_upload": get(expect(no_role=403, member=403, contact_leader=403)),
    "pledges:import_template": get(
        expect(no_role=403, member=403, contact_leader=403), lambda d: {"fmt": "xlsx"}
    ),
    # The secretary's own dry-run preview.
    "pledges:import_confirm": post(
        expect(
            no_role=404,
            member=404,
            contact_leader=404,
            sibling_secretary=404,
            committee=404,
            office=404,
            default=ACTED,
        ),
        lambda d: {"job_pk": d.jobs["pledge_preview"].pk},
        probe=writes,
    ),
    # The poster shows what the board already shows: anyone who reads the branch may make it.
    "pledges:document_start": post(
        expect(**OUTSIDE, default=ACTED),
        lambda d: {"kind": "poster", "organization_pk": d.branch.pk},
        probe=writes,
    ),
    # The public board needs no login; anyone may leave a comment for moderation.
    "board": get(expect(anonymous=200), lambda d: {"code": d.branch.code}),
    "board_comment": post(
        expect(anonymous=ACTED, default=ACTED),
        lambda d: {"code": d.branch.code, "pledge_pk": d.pledge.pk},
        data=lambda d: {"text": "好", "author": ""},
        probe=comments,
    ),
    "board_photo": get(expect(anonymous=200), lambda d: {"pk": d.update.pk}),
    # 评议结果公开: a published round of a kind that publishes to 公开 is for anyone.
    "public_reviews": get(expect(anonymous=200)),
    "public_review": Rule(
        "get",
        expect(anonymous=200),
        kwargs=lambda d: {"pk": d.round.pk},
        setup=round_public,
    ),
    # The committee's own export job.
    **{
        f"core:{name}": get(
            expect(
                no_role=404,
                member=404,
                contact_leader=404,
                secretary=404,
                sibling_secretary=404,
                office=404,
            ),
            lambda d: {"pk": d.jobs["export"].pk},
        )
        for name in ("job_detail", "job_progress", "job_download")
    },
    # Plans (实施方案): the branch's plan in the Licheng campaign, submitted, with one
    # attachment; sent back first for the moves that start from 退回. The branch
    # files it, the level above accepts or returns it; outside the scope it is a 404.
    # The campaign page: read by every role that works in the district's tree but a
    # 党员 (the sibling branch's secretary too: it is the whole district's campaign).
    "campaign:campaign_list": get(expect()),
    "campaign:campaign_detail": get(
        expect(no_role=404, member=404), lambda d: {"pk": d.campaign.pk}
    ),
    "campaign:plan_list": get(expect()),
    **{
        f"campaign:{name}": get(expect(**RECORDS), plan_url)
        for name in ("plan_detail", "plan_print")
    },
    "campaign:plan_edit": post(
        expect(**RECORDS, contact_leader=403, default=ACTED),
        plan_url,
        data=lambda d: PLAN_FOUR | {"theme": "新主题"},
        setup=returned_plan,
        probe=branch_plan,
    ),
    "campaign:plan_submit": post(
        expect(**READERS | RECORDS, default=ACTED),
        plan_url,
        setup=returned_plan,
        probe=branch_plan,
    ),
    **{
        f"campaign:{name}": post(
            expect(**READERS | RECORDS, secretary=REFUSED, default=ACTED),
            plan_url,
            data=lambda d: {"reason": "请补充"},
            probe=branch_plan,
        )
        for name in ("plan_accept", "plan_return")
    },
    "campaign:attachment_upload": post(
        expect(**RECORDS, contact_leader=403, default=ACTED),
        plan_url,
        data=a_pdf,
        setup=returned_plan,
        probe=branch_plan,
    ),
    "campaign:attachment_download": get(expect(**RECORDS), lambda d: {"pk": d.attachment.pk}),
    # Review rounds: a 党员民主评议 round on the branch's community. The office and the
    # committee above run it; the branches inside (and the contact leader granted on
    # the community) read it and may change nothing; only the admin reopens.
    "reviews:round_list": get(expect()),
    "reviews:round_new": get(expect(default=403, committee=200, office=200, admin=200)),
    "reviews:round_detail": get(expect(no_role=404, member=404), lambda d: {"pk": d.round.pk}),
    **{
        f"reviews:round_{verb}": post(
            expect(
                no_role=404,
                member=404,
                default=REFUSED,
                committee=ACTED,
                office=ACTED,
                admin=ACTED,
            ),
            lambda d: {"pk": d.round.pk},
            setup=round_in(state),
            probe=round_state,
        )
        for verb, state in (("open", "draft"), ("close", "open"), ("publish", "closed"))
    },
    "reviews:round_reopen": post(
        expect(no_role=404, member=404, default=REFUSED, admin=ACTED),
        lambda d: {"pk": d.round.pk},
        data=lambda d: {"reason": "补录纸质票"},
        setup=round_in("closed"),
        probe=round_state,
    ),
    # The branch's grid in the round (its members, a column per criterion): the
    # branch and those above it score; the contact leader reads but may not.
    "reviews:grid": post(
        expect(
            no_role=404,
            member=404,
            sibling_secretary=404,
            contact_leader=403,
            default=ACTED,
        ),
        lambda d: {"pk": d.round.pk, "organization_pk": d.branch.pk},
        data=grid_row,
        setup=round_opened,
        probe=sheets_and_writes,
    ),
    "reviews:results": get(expect(no_role=404, member=404), lambda d: {"pk": d.round.pk}),
    "reviews:opinions": get(expect(no_role=404, member=404), lambda d: {"pk": d.round.pk}),
    # 评议进度 over the round's community: for those who review it (the committee and
    # the office above); the units inside and the contact leader read the round only.
    "reviews:progress": get(
        expect(no_role=404, member=404, default=403, committee=200, office=200, admin=200),
        lambda d: {"pk": d.round.pk},
    ),
    # 下级评上级: the branch (through its secretary) scores the community above it; a
    # unit that is not below a subject of the round reaches nothing.
    "reviews:upward": post(
        expect(default=404, anonymous=LOGIN, secretary=ACTED),
        lambda d: {"pk": d.upward_round.pk, "organization_pk": d.branch.pk},
        data=upward_row,
        setup=upward_round,
        probe=sheets_and_writes,
    ),
    # 领导点评 on the contact leader's own contact points: nobody else reaches the page
    # (the parent's reviewers 点评 through the grid).
    "reviews:comment": post(
        expect(default=404, anonymous=LOGIN, contact_leader=ACTED),
        lambda d: {"pk": d.comment_round.pk},
        data=comment_row,
        setup=comment_round,
        probe=sheets_and_writes,
    ),
    # The grid as a spreadsheet (the same right as the grid; the upload is in its tests).
    "reviews:grid_file": Rule(
        "get",
        expect(no_role=404, member=404, sibling_secretary=404, contact_leader=403),
        kwargs=lambda d: {"pk": d.round.pk, "organization_pk": d.branch.pk},
        setup=round_opened,
    ),
    "reviews:meeting": post(
        expect(no_role=404, member=404, sibling_secretary=404, contact_leader=403, default=ACTED),
        lambda d: {"pk": d.round.pk, "organization_pk": d.branch.pk},
        data=lambda d: {
            "held_on": "2010-12-05",
            "place": "党员活动室",
            "attendees": "1",
            "public_attendees": "0",
        },
        setup=round_opened,
        probe=meetings_and_writes,
    ),
    # 党员互评 is the members' own: only a member of the branch with a login reaches it.
    "reviews:peer": post(
        expect(default=404, anonymous=LOGIN, member=ACTED),
        lambda d: {"pk": d.round.pk},
        data=lambda d: {f"s-{member_review(d).pk}-1": "15"},
        setup=round_opened,
        probe=sheets_and_writes,
    ),
    # A subject's result once published (党员民主评议 publishes to 本单位).
    "reviews:subject": Rule(
        "get",
        expect(no_role=404, member=404, sibling_secretary=404),
        kwargs=lambda d: {"review_pk": member_review(d).pk},
        setup=round_published,
    ),
    "reviews:statement": post(
        expect(no_role=404, member=404, sibling_secretary=404, contact_leader=403, default=ACTED),
        lambda d: {"review_pk": member_review(d).pk},
        data=lambda d: {"text": "本季度走访群众五次"},
        setup=round_with_statements,
        probe=statements_and_writes,
    ),
    "reviews:tally": post(
        expect(no_role=404, member=404, sibling_secretary=404, contact_leader=403, default=ACTED),
        lambda d: {"review_pk": member_review(d).pk},
        data=lambda d: {"evaluator": "public", "ballots": "5", "t-1": "50"},
        setup=round_opened,
        probe=tallies_and_writes,
    ),
    # The round published (党员民主评议: to 本单位): the branch's report is for those who
    # read its results, the runners above and the branch and its contact leader; the
    # sibling branch reads only its own members' results, so the branch is a 404 to it.
    "reviews:report_start": post(
        expect(no_role=404, member=404, sibling_secretary=404, default=ACTED),
        lambda d: {"pk": d.round.pk, "organization_pk": d.branch.pk},
        setup=round_published,
        probe=writes,
    ),
    # The ZIP holds the reports the asker may read in the subtree: the sibling's own.
    "reviews:reports_zip_start": post(
        expect(no_role=404, member=404, default=ACTED),
        lambda d: {"pk": d.round.pk},
        setup=round_published,
        probe=writes,
    ),
    # The export of what the page shows is for those who export (not the contact leader).
    "reviews:export_start": post(
        expect(no_role=404, member=404, contact_leader=403, default=ACTED),
        lambda d: {"pk": d.round.pk, "fmt": "csv"},
        setup=round_published,
        probe=writes,
    ),
    "reviews:cadence": get(
        expect(no_role=404, member=404), lambda d: {"campaign_pk": d.campaign.pk}
    ),
    # Opening a milestone's rounds for the whole district is the office's.
    "reviews:cadence_open": post(
        expect(no_role=404, member=404, default=403, office=ACTED, admin=ACTED),
        lambda d: {"pk": d.review_milestone.pk},
        setup=no_district_rounds,
        probe=rounds_and_writes,
    ),
    # The progress dashboard of the secretary's branch.
    "campaign:dashboard": get(expect(**OUTSIDE), lambda d: {"pk": d.branch.pk}),
    # Its figures as a file: the same scope as the page (issue 13).
    "campaign:dashboard_export": get(
        expect(**OUTSIDE), lambda d: {"pk": d.branch.pk, "fmt": "csv"}
    ),
    # issue 11: spotcheck. A round of spot checks drawn by the office on the street:
    # those who review the street (the committee, the office above, the admin) see
    # and check it; to everyone else it is missing, as is the list's draw for them.
    "reviews:spotcheck_list": get(expect(default=403, committee=200, office=200, admin=200)),
    "reviews:spotcheck_new": get(expect(default=403, committee=200, office=200, admin=200)),
    "reviews:spotcheck_detail": get(
        expect(default=404, committee=200, office=200, admin=200),
        lambda d: {"pk": spot_round(d).pk},
    ),
    "reviews:spotcheck_check": post(
        expect(default=404, anonymous=LOGIN, committee=ACTED, office=ACTED, admin=ACTED),
        lambda d: {"pk": spot_round(d).pk, "organization_pk": d.branch.pk},
        data=lambda d: {"findings": "讲评会记录不完整", "done": "on"},
        probe=spot_check_state,
    ),
    "reviews:spotcheck_report": post(
        expect(default=404, anonymous=LOGIN, committee=ACTED, office=ACTED, admin=ACTED),
        lambda d: {"pk": spot_round(d).pk},
        probe=writes,
    ),
    # issue 11: rectify (整改). An item on the branch opened by the committee: those
    # who read the branch's records see it (the member and a sibling do not: 404);
    # the branch's editors (and the staff above, who edit below them) work on it;
    # the parent's reviewers and the office verify it or send it back.
    "reviews:rectify_list": get(
        expect(default=200, no_role=403, member=403),
    ),
    "reviews:rectify_new": get(expect(default=200, no_role=403, member=403, contact_leader=403)),
    "reviews:rectify_detail": get(
        expect(default=200, no_role=404, member=404, sibling_secretary=404),
        lambda d: {"pk": rect_item(d).pk},
    ),
    "reviews:rectify_open": post(
        expect(default=404, anonymous=LOGIN, committee=ACTED, office=ACTED, admin=ACTED),
        lambda d: {"kind": "spot_check", "source_id": spot_check_pk(d)},
        data=lambda d: {"description": "补齐讲评会记录", "due_on": "2026-12-31"},
        setup=spot_checked,
        probe=rectifications_and_writes,
    ),
    "reviews:rectify_evidence": post(
        expect(
            default=ACTED, no_role=404, member=404, sibling_secretary=404, contact_leader=REFUSED
        ),
        lambda d: {"pk": rect_item(d).pk},
        data=lambda d: {"evidence": "已更新公示栏"},
        setup=lambda d: rect_in("in_progress")(d) or _no_evidence(d),
        probe=rect_state,
    ),
    "reviews:rectify_start": post(
        expect(
            default=ACTED, no_role=404, member=404, sibling_secretary=404, contact_leader=REFUSED
        ),
        lambda d: {"pk": rect_item(d).pk},
        setup=rect_in("pending"),
        probe=rect_state,
    ),
    "reviews:rectify_complete": post(
        expect(
            default=ACTED, no_role=404, member=404, sibling_secretary=404, contact_leader=REFUSED
        ),
        lambda d: {"pk": rect_item(d).pk},
        setup=rect_in("in_progress"),
        probe=rect_state,
    ),
    "reviews:rectify_verify": post(
        expect(
            default=REFUSED,
            no_role=404,
            member=404,
            sibling_secretary=404,
            committee=ACTED,
            office=ACTED,
            admin=ACTED,
        ),
        lambda d: {"pk": rect_item(d).pk},
        setup=rect_in("done"),
        probe=rect_state,
    ),
    "reviews:rectify_redo": post(
        expect(
            default=REFUSED,
            no_role=404,
            member=404,
            sibling_secretary=404,
            committee=ACTED,
            office=ACTED,
            admin=ACTED,
        ),
        lambda d: {"pk": rect_item(d).pk},
        data=lambda d: {"reason": "照片不清晰"},
        setup=rect_in("done"),
        probe=rect_state,
    ),
    "reviews:rectify_file": get(
        expect(default=200, no_role=404, member=404, sibling_secretary=404),
        lambda d: {"pk": rect_file(d).pk},
    ),
    "reviews:rectify_export": post(
        expect(default=ACTED, no_role=403, member=403, contact_leader=403),
        lambda d: {"fmt": "csv"},
        probe=writes,
    ),
    "reviews:rectify_ledger": post(
        expect(default=ACTED, no_role=404, member=404, sibling_secretary=404),
        lambda d: {"organization_pk": d.branch.pk},
        probe=writes,
    ),
    # issue 11: surveys. The answer page is public; a survey of the office on the
    # street is run by those who review the street; the branch (or those above)
    # enters its paper forms; the opinions are for the branch's parent's reviewers.
    "survey_answer": get(expect(anonymous=200)),
    "survey_code": get(expect(anonymous=200), survey_code_kwargs),
    "reviews:survey_list": get(expect(default=403, committee=200, office=200, admin=200)),
    "reviews:survey_new": get(expect(default=403, committee=200, office=200, admin=200)),
    "reviews:survey_detail": get(
        expect(default=404, committee=200, office=200, admin=200),
        lambda d: {"pk": survey_world(d).pk},
    ),
    "reviews:survey_issue": post(
        expect(default=404, anonymous=LOGIN, committee=ACTED, office=ACTED, admin=ACTED),
        lambda d: {"subject_pk": (survey_world(d), d.survey_subject)[1].pk},
        data=lambda d: {"size": "5"},
        probe=writes,
    ),
    "reviews:survey_issue_all": post(
        expect(default=404, anonymous=LOGIN, committee=ACTED, office=ACTED, admin=ACTED),
        lambda d: {"pk": survey_world(d).pk},
        data=lambda d: {"size": "3"},
        probe=writes,
    ),
    "reviews:survey_tally": get(
        expect(default=404, secretary=200, committee=200, office=200, admin=200),
        lambda d: {"subject_pk": (survey_world(d), d.survey_subject)[1].pk},
    ),
    "reviews:survey_opinions": get(
        expect(default=404, committee=200, office=200, admin=200),
        lambda d: {"subject_pk": (survey_world(d), d.survey_subject)[1].pk},
    ),
    "reviews:survey_batch_void": post(
        expect(default=404, anonymous=LOGIN, committee=ACTED, office=ACTED, admin=ACTED),
        lambda d: {"pk": (survey_world(d), d.survey_batch)[1].pk},
        probe=survey_batch_state,
    ),
    # issue 13: bulletins. The street's committee's bulletins: a draft is its
    # writers' (the street's REVIEW roles and those above; to everyone else it is
    # missing); one published to 本组织及下级 is read by the staff in the street's
    # subtree and above (not the member, not a user without a role); one to 公开 by
    # everyone, with or without a login (/jianbao/).
    "campaign:bulletin_list": get(expect()),
    # 起草 names the street: its committee and the admin may; the office issues in
    # its own name (the district), so the street is no choice of its form (400).
    "campaign:bulletin_new": post(
        expect(default=403, committee=ACTED, office=400, admin=ACTED),
        data=bulletin_form,
        probe=bulletins_and_writes,
    ),
    "campaign:bulletin_detail": get(expect(no_role=404, member=404), bulletin_pk("subtree")),
    "campaign:bulletin_edit": post(
        expect(default=404, committee=ACTED, office=ACTED, admin=ACTED),
        bulletin_pk("draft"),
        data=lambda d: {"kind": "work", "audience": "subtree", "title": "改过的", "body": "正文"},
        probe=bulletin_state("draft"),
    ),
    "campaign:bulletin_publish": post(
        expect(default=404, committee=ACTED, office=ACTED, admin=ACTED),
        bulletin_pk("draft"),
        probe=bulletin_state("draft"),
    ),
    "campaign:bulletin_withdraw": post(
        expect(
            no_role=404, member=404, default=REFUSED, committee=ACTED, office=ACTED, admin=ACTED
        ),
        bulletin_pk("subtree"),
        data=lambda d: {"reason": "数据有误"},
        probe=bulletin_state("subtree"),
    ),
    "campaign:bulletin_file": get(expect(no_role=404, member=404), bulletin_file_pk("subtree")),
    "public_bulletins": get(expect(anonymous=200)),
    "public_bulletin": get(expect(anonymous=200), bulletin_pk("public")),
    "public_bulletin_file": get(expect(anonymous=200), bulletin_file_pk("public")),
    # issue 12: quotas. The office and the committee of the street (REVIEW) see the
    # rounds; the street's quota page, 分配 and 保留 are the committee's and those
    # above; the district's 调整 is the office's. To everyone else they are missing.
    "awards:round_list": get(expect(default=403, committee=200, office=200, admin=200)),
    "awards:round_detail": get(
        expect(default=404, committee=200, office=200, admin=200),
        lambda d: {"pk": award_category(d).round_id},
    ),
    "awards:quota": get(
        expect(default=404, committee=200, office=200, admin=200),
        lambda d: {"pk": award_category(d).pk, "organization_pk": d.street.pk},
    ),
    "awards:quota_allocate": post(
        expect(default=404, anonymous=LOGIN, committee=ACTED, office=ACTED, admin=ACTED),
        lambda d: {"pk": award_category(d).pk, "organization_pk": d.street.pk},
        probe=award_quotas,
    ),
    "awards:quota_keep": post(
        expect(default=404, anonymous=LOGIN, committee=ACTED, office=ACTED, admin=ACTED),
        lambda d: {"pk": award_category(d).pk, "organization_pk": d.street.pk},
        probe=award_quotas,
    ),
    "awards:quota_adjust": post(
        expect(default=404, anonymous=LOGIN, office=ACTED, admin=ACTED),
        lambda d: {"pk": award_category(d).pk, "organization_pk": d.root.pk},
        data=award_adjust,
        probe=award_quotas,
    ),
    # issue 12: the flow. A round takes in everyone who edits a unit of its tree
    # (the branch nominates, the committee endorses its levels); the nomination is
    # the branch's and the levels above; 复审, round moves, ranking and objections
    # are the office's; the 公示 page and its objection form are for anyone.
    "awards:nominations": get(
        expect(
            default=404,
            secretary=200,
            sibling_secretary=200,
            committee=200,
            office=200,
            admin=200,
        ),
        lambda d: {"pk": award_flow(d).round.pk},
    ),
    "awards:nominate": get(
        expect(default=404, secretary=200, committee=200, office=200, admin=200),
        lambda d: {"pk": award_flow(d).category.pk, "organization_pk": d.branch.pk},
    ),
    "awards:nomination": get(
        expect(default=404, secretary=200, committee=200, office=200, admin=200),
        lambda d: {"pk": award_flow(d).nomination.pk},
    ),
    "awards:nomination_photo": get(
        expect(default=404, secretary=200, committee=200, office=200, admin=200),
        lambda d: {"pk": (award_flow(d), d.award_photo)[1].pk},
    ),
    "awards:nomination_move": post(
        expect(
            default=404,
            anonymous=LOGIN,
            secretary=REFUSED,
            committee=ACTED,
            office=ACTED,
            admin=ACTED,
        ),
        lambda d: {"pk": award_flow(d).nomination.pk},
        data=lambda d: {"verb": "endorse", "level": d.community.pk},
        probe=award_nomination,
    ),
    "awards:round_move": post(
        expect(default=404, anonymous=LOGIN, office=ACTED, admin=ACTED),
        lambda d: {"pk": award_flow(d, round_state="draft").round.pk},
        data=lambda d: {"verb": "open"},
        probe=award_round_state,
    ),
    "awards:finalise_progress": get(
        expect(default=404, office=200, admin=200),
        lambda d: {"pk": award_finalising(d).pk},
    ),
    "awards:ranking": get(
        expect(default=404, office=200, admin=200),
        lambda d: {"pk": award_flow(d).category.pk},
    ),
    "awards:ranking_start": post(
        expect(default=404, anonymous=LOGIN, office=ACTED, admin=ACTED),
        lambda d: {"pk": award_flow(d).category.pk},
        probe=writes,
    ),
    "awards:objections": get(
        expect(default=404, office=200, admin=200),
        lambda d: {"pk": (award_in_publicity(d), d.award_flow)[1].round.pk},
    ),
    "awards:objection_resolve": post(
        expect(default=404, anonymous=LOGIN, office=ACTED, admin=ACTED),
        lambda d: {"pk": (award_in_publicity(d), d.award_objection)[1].pk},
        data=lambda d: {"decision": "dismiss", "reason": "经核实不属实"},
        probe=award_objections,
    ),
    "awards:round_document": post(
        expect(default=404, anonymous=LOGIN, office=ACTED, admin=ACTED),
        lambda d: {"pk": (award_in_publicity(d), d.award_flow)[1].round.pk},
        data=lambda d: {"kind": "list_csv"},
        probe=writes,
    ),
    "award_showcase": get(
        expect(anonymous=200),
        lambda d: {"pk": award_finished(d).pk},
    ),
    "award_public": get(
        expect(anonymous=200),
        lambda d: {"pk": (award_in_publicity(d), d.award_flow)[1].round.pk},
    ),
    "award_objection": post(
        expect(anonymous=ACTED, default=ACTED),
        lambda d: {"pk": (award_in_publicity(d), d.award_flow)[1].round.pk},
        data=lambda d: {"nomination": d.award_flow.nomination.pk, "text": "事迹有夸大"},
        probe=award_objections,
    ),
}


# The Django admin is for the system administrator (a superuser) only.
ADMIN_FOR_SUPERUSER = {
    "admin:logout": 302,
    "admin:login": 302,
    # Pledges are read-only in the admin: every change goes through the workflow.
    "admin:pledges_pledge_add": 403,
    # Rounds are run from the review pages (audited workflow moves); the admin lists them.
    "admin:reviews_reviewround_add": 403,
    "admin:reviews_reviewround_delete": 403,
    "admin:pledges_pledgerevision_add": 403,
    "admin:pledges_pledgeupdate_add": 403,
    "admin:pledges_pledgecomment_add": 403,
    "admin:pledges_pledge_delete": 403,
    "admin:pledges_pledgerevision_delete": 403,
    "admin:pledges_pledgeupdate_delete": 403,
    "admin:pledges_pledgecomment_delete": 403,
    "admin:view_on_site": 404,  # our models have no public page
    "admin:autocomplete": 403,  # needs app_label/model_name/field_name parameters
    "admin:core_job_add": 403,
    "admin:core_auditentry_add": 403,  # the audit trail is read-only
    "admin:core_auditentry_delete": 403,
    "admin:core_documentnumber_add": 403,  # 发文登记: numbers come from document jobs alone
    "admin:core_documentnumber_delete": 403,
    "admin:orgs_membertransfer_add": 403,
    # Quotas change on the quota pages (audited); the admin lists them.
    "admin:awards_quota_add": 403,
    "admin:awards_quota_delete": 403,
}


def url_keys(patterns, namespace=None, route=""):
    """The rule key of every URL: its namespaced name, or ``unnamed:<route>`` for a
    pattern without one (which cannot be reversed, so it can have no rule but this)."""
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = (
                f"{namespace}:{p.namespace}"
                if namespace and p.namespace
                else p.namespace or namespace
            )
            yield from url_keys(p.url_patterns, inner, route + str(p.pattern))
        elif isinstance(p, URLPattern):
            key = p.name or f"unnamed:{route}{p.pattern}"
            yield f"{namespace}:{key}" if namespace else key


def rule_gaps(keys, rules) -> tuple[list[str], list[str]]:
    """(URLs without a rule, rules without a URL); the admin is checked on its own."""
    missing = [k for k in keys if not k.startswith("admin:") and k not in rules]
    return missing, [k for k in rules if k not in keys]


ALL_KEYS = sorted(set(url_keys(get_resolver().url_patterns)))
# Django's own unnamed admin patterns (redirects, the catch-all) are left to Django.
ADMIN_NAMES = [k for k in ALL_KEYS if k.startswith("admin:") and "unnamed:" not in k]


def test_every_url_has_a_rule():
    missing, stale = rule_gaps(ALL_KEYS, RULES)
    assert not missing, f"URLs without a permission rule: {missing}"
    assert not stale, f"rules for URLs that no longer exist: {stale}"


def test_every_post_rule_says_what_it_changes():
    assert [name for name, rule in RULES.items() if rule.method == "post" and not rule.probe] == []


def _view(request):
    raise AssertionError("never called")


def test_an_unnamed_url_has_no_rule_and_fails_the_check():
    urlconf = type(
        "urlconf",
        (),
        {
            "urlpatterns": [
                path("named/", _view, name="named"),
                path("bare/<int:pk>/", _view),
                path("pledges/", include(([path("x/", _view)], "pledges"))),
            ]
        },
    )
    with override_settings(ROOT_URLCONF=urlconf):
        keys = sorted(url_keys(get_resolver().url_patterns))
    assert keys == ["named", "pledges:unnamed:pledges/x/", "unnamed:bare/<int:pk>/"]
    missing, stale = rule_gaps(keys, {"named": get(expect())})
    assert missing == ["pledges:unnamed:pledges/x/", "unnamed:bare/<int:pk>/"] and stale == []


@pytest.fixture
def world(district, monkeypatch):
    from tests.awards.builders import TODAY

    monkeypatch.setattr("awards.nominations.today", lambda: TODAY)
    committee = district.users["committee"]
    preview = Job.objects.create(
        kind="import",
        status=Job.Status.SUCCEEDED,
        created_by=committee,
        params={"target": "members", "dry_run": True, "filename": "m.csv"},
        result={"dry_run": True, "created": 0},
    )
    preview.input_file.save("m.csv", ContentFile("党员编号\n".encode()), save=True)
    # As run_export leaves it: the file records the subtrees it was made from.
    export = Job.objects.create(
        kind="export",
        status=Job.Status.SUCCEEDED,
        created_by=committee,
        params={"target": "members", "format": "csv", "filters": {}},
        result={"rows": 1, "reach": reach_of(committee)},
    )
    export.output_file.save("x.csv", ContentFile(b"a,b\n"), save=True)
    district.jobs = {"preview": preview, "export": export}
    district.campaign = _seed_campaign(district)
    secretary = district.users["secretary"]
    plan = filed_plan(district.campaign, district.branch, secretary, submit=False)
    district.attachment = attachment_add(
        plan=plan,
        user=secretary,
        upload=SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    plan_submit(plan=plan, user=secretary)
    _pledge_world(district)
    _review_world(district)
    return district


def _review_world(d):
    """A 党员民主评议 round in 筹备 on the branch's community, and a review milestone
    at which the 党（工）委季度点评 is held (licheng's cadence)."""
    kind = ReviewKind.objects.get(campaign=d.campaign, name="党员民主评议")
    d.round = round_create(
        user=d.users["committee"],
        campaign=d.campaign,
        kind=kind,
        organization=d.community,
        period="2010年第四季度",
        opens_on=dt.date(2010, 12, 1),
        closes_on=dt.date(2010, 12, 31),
    )
    d.review_milestone = (
        d.campaign.milestones.filter(review_kinds__name="党（工）委季度点评")
        .order_by("date")
        .first()
    )


def _pledge_world(d):
    """A published member pledge with a photo update and a visitor's pending comment."""
    secretary = d.users["secretary"]
    pledge = pledge_create(
        campaign=d.campaign,
        user=secretary,
        organization=d.branch,
        member=d.member,
        audience="public",
        items=[ItemInput(content="每月走访", due_date=dt.date(2011, 6, 30), verification="记录")],
    )
    pledge = pledge_submit(pledge=pledge, user=secretary)
    # Approved by someone other than who entered it (the campaign's separate approver).
    pledge = pledge_approve(pledge=pledge, user=d.users["committee"])
    d.pledge = pledge_publish(pledge=pledge, user=secretary)
    d.update = pledge_update_add(
        pledge=d.pledge,
        user=secretary,
        item_key=1,
        happened_on=dt.date(2011, 3, 1),
        text="走访3户",
        photo=SimpleUploadedFile("p.png", images.png()),
    )
    d.far_pledge = pledge_create(
        campaign=d.campaign,
        user=d.users["admin"],
        organization=d.far_branch,
        audience="public",
        items=[ItemInput(content="办实事", due_date=dt.date(2011, 6, 30), verification="记录")],
    )
    d.comment = comment_add(pledge=d.pledge, text="好", author="", address="10.0.0.1")
    preview = Job.objects.create(
        kind="pledge_import",
        status=Job.Status.SUCCEEDED,
        created_by=secretary,
        params={
            "campaign": d.campaign.pk,
            "organization": d.branch.pk,
            "dry_run": True,
            "filename": "p.csv",
        },
        result={"dry_run": True, "created": 0},
    )
    preview.input_file.save("p.csv", ContentFile("党员编号\n".encode()), save=True)
    d.jobs["pledge_preview"] = preview


def _status(response):
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return LOGIN
    return response.status_code


def observe(name: str, role: str, d, client):
    """What ``role`` gets from URL ``name``: a status, LOGIN, or for a POST that was
    answered, ACTED or REFUSED by what its probe reads before and after."""
    rule = RULES[name]
    if rule.setup:
        rule.setup(d)
    url = reverse(name, kwargs=rule.kwargs(d) if rule.kwargs else None)
    url += rule.query(d) if rule.query else ""
    if rule.method == "get":
        response = client.get(url)
        return _status(response), response
    before = rule.probe(d, client)
    response = client.post(url, rule.data(d) if rule.data else {})
    status = _status(response)
    if status not in (200, 302, LOGIN):
        return status, response
    if rule.probe(d, client) != before:
        return ACTED, response  # logging out, too, ends on the login page
    return (LOGIN if status == LOGIN else REFUSED), response


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(RULES))
def test_url_role_matrix(name, role, world, login):
    outcome, response = observe(name, role, world, login(world.users[role]))
    assert outcome == RULES[name].expected[role], f"{RULES[name].method.upper()} {name} as {role}"
    if role in ("member", "contact_leader") and outcome == 200 and not response.streaming:
        # Neither reads a co-member's phone number or birth date on any page.
        page = response.content.decode()
        assert world.member.mobile not in page, name
        assert date_format(world.member.birth_date, "Y年n月j日") not in page, name


def force_allowed(monkeypatch, flow, verb: str, rule: str) -> None:
    """Open a declared move to everyone: its ``allowed`` and the rule function it
    was declared with (the views ask that one for their buttons)."""
    opened = dataclasses.replace(flow.moves[verb], allowed=lambda user, obj: True)
    monkeypatch.setitem(flow.moves, verb, opened)
    monkeypatch.setattr(rule, lambda user, obj: True)


@pytest.mark.parametrize("role", ["member", "contact_leader"])
def test_the_matrix_fails_if_anyone_in_scope_may_approve(role, world, login, monkeypatch):
    """The member (on their own pledge) and the contact leader reach the pledge but may
    not approve it: with the rule forced open, the matrix sees the move done."""
    force_allowed(monkeypatch, pledge_services.WORKFLOW, "approve", "pledges.services.can_approve")
    outcome, _ = observe("pledges:pledge_approve", role, world, login(world.users[role]))
    assert RULES["pledges:pledge_approve"].expected[role] == REFUSED
    assert outcome == ACTED


def test_the_matrix_fails_if_the_unit_may_accept_its_own_plan(world, login, monkeypatch):
    force_allowed(monkeypatch, plans.WORKFLOW, "accept", "campaign.plans.can_review")
    outcome, _ = observe(
        "campaign:plan_accept", "secretary", world, login(world.users["secretary"])
    )
    assert RULES["campaign:plan_accept"].expected["secretary"] == REFUSED
    assert outcome == ACTED


def _seed_campaign(d):
    """The Licheng campaign on the district: a row in every inline, and its rubrics;
    the contact leader's point is the branch's community."""
    campaign = licheng_campaign(d)
    ContactPoint.objects.get_or_create(
        campaign=campaign, leader=d.users["committee"], organization=d.street
    )
    ContactPoint.objects.create(
        campaign=campaign, leader=d.users["contact_leader"], organization=d.community
    )
    return campaign


def _admin_kwargs(name, d):
    campaign = d.campaign
    pattern_objects = {
        "auth_user": d.users["committee"],
        "auth_group": Group.objects.get_or_create(name="测试组")[0],
        "core_job": d.jobs["export"],
        "core_auditentry": AuditEntry.objects.create(
            at=timezone.now(),
            source="system",
            action="create",
            model="orgs.organization",
            object_id=str(d.branch.pk),
            object_repr=d.branch.name,
        ),
        "core_documentnumber": DocumentNumber.objects.create(
            job=d.jobs["export"],
            organ=d.branch.pk,
            organ_name="中共第一党支部",
            year=2026,
            serial=1,
            text="一支〔2026〕1号",
            title="公开承诺公示栏",
            issued_on=timezone.localdate(),
        ),
        "campaign_campaign": campaign,
        "campaign_rubric": campaign.rubrics.first() if campaign else None,
        "orgs_sector": d.branch.sector,
        "orgs_organization": d.branch,
        "orgs_member": d.member,
        "orgs_rolegrant": d.users["secretary"].role_grants.first(),
        "pledges_pledge": getattr(d, "pledge", None),
        "pledges_pledgerevision": d.pledge.revisions.first() if hasattr(d, "pledge") else None,
        "pledges_pledgeupdate": getattr(d, "update", None),
        "pledges_pledgecomment": getattr(d, "comment", None),
        "reviews_reviewkind": d.round.kind if hasattr(d, "round") else None,
        "reviews_reviewround": getattr(d, "round", None),
        "awards_awardround": award_category(d).round if campaign else None,
        "awards_quota": award_category(d).quotas.first() if campaign else None,
        "awards_awardcategory": award_category(d) if campaign else None,
        "orgs_membertransfer": MemberTransfer.objects.get_or_create(
            member=d.member, from_organization=d.sibling, to_organization=d.branch
        )[0],
    }
    short = name.split(":", 1)[1]
    if short == "app_list":
        return {"app_label": "orgs"}
    if short == "view_on_site":
        from django.contrib.contenttypes.models import ContentType

        return {
            "content_type_id": ContentType.objects.get_for_model(d.branch).pk,
            "object_id": d.branch.pk,
        }
    if short == "auth_user_password_change":
        return {"id": d.users["committee"].pk}
    for prefix, obj in pattern_objects.items():
        if short.startswith(prefix + "_") and short.rsplit("_", 1)[1] in (
            "change",
            "delete",
            "history",
        ):
            return {"object_id": obj.pk}
    return None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ADMIN_NAMES)
def test_admin_is_for_the_system_administrator_only(name, role, world, login):
    url = reverse(name, kwargs=_admin_kwargs(name, world))
    client = login(world.users[role])
    method = "post" if name == "admin:logout" else "get"
    response = getattr(client, method)(url)
    if role == "admin":
        assert response.status_code == ADMIN_FOR_SUPERUSER.get(name, 200), url
    elif name == "admin:login":
        assert response.status_code == 200
    elif name == "admin:logout":
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 302, url
        assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("orgs:organization_detail", lambda d: {"pk": d.far_branch.pk}),
        ("orgs:member_detail", lambda d: {"pk": d.far_member.pk}),
        ("orgs:organization_edit", lambda d: {"pk": d.far_branch.pk}),
        ("orgs:member_edit", lambda d: {"pk": d.far_member.pk}),
        ("pledges:pledge_detail", lambda d: {"pk": d.far_pledge.pk}),
    ],
)
def test_other_subtree_is_indistinguishable_from_missing(name, kwargs, world, login):
    district = world
    client = login(district.users["committee"])
    outside_url = reverse(name, kwargs=kwargs(district))
    missing_url = reverse(name, kwargs={k: 987654 for k in kwargs(district)})
    outside, missing = client.get(outside_url), client.get(missing_url)
    assert outside.status_code == missing.status_code == 404
    # The pages differ only where they echo their own address and in the masked CSRF token.
    assert _normalised(outside.content, outside_url) == _normalised(missing.content, missing_url)


def _normalised(content: bytes, url: str) -> bytes:
    return re.sub(rb"[A-Za-z0-9]{64}", b"TOKEN", content.replace(url.encode(), b"URL"))


def test_revoked_grant_takes_effect_on_next_request(district, login):
    client = login(district.users["secretary"])
    url = reverse("orgs:organization_detail", kwargs={"pk": district.branch.pk})
    assert client.get(url).status_code == 200
    district.users["secretary"].role_grants.all().delete()
    assert client.get(url).status_code == 404


def test_posts_need_a_csrf_token(district):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(district.users["committee"])
    response = client.post(
        reverse("orgs:organization_edit", kwargs={"pk": district.branch.pk}), {"name": "x"}
    )
    assert response.status_code == 403
