"""factory_boy factories for the domain, a ready-made small district, and the
campaign, plan and pledge helpers the tests share."""

import datetime as dt
import io
from dataclasses import dataclass

import factory
from django.contrib.auth import get_user_model
from django.core.management import call_command

from campaign import plans
from campaign.models import Campaign, Plan
from campaign.seeds import seed_data
from orgs import tallies
from orgs.models import Member, Organization, Role, RoleGrant, Sector
from pledges import services as pledge_services
from pledges.models import Pledge
from pledges.services import ItemInput

PASSWORD = "pw-for-tests-2010"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 (factory_boy hook)
        if create:
            obj.save()


def sector(name: str = "街道社区") -> Sector:
    return Sector.objects.get_or_create(name=name)[0]


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"测试第{n}党支部")
    kind = Organization.Kind.BRANCH
    sector = factory.LazyFunction(sector)
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Saved directly, not through organization_create: keep the stored
        # counts as the service would (orgs.tallies).
        organization = super()._create(model_class, *args, **kwargs)
        tallies.adjust({(organization.pk, tallies.UNITS): int(organization.is_active)})
        return organization


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    number = factory.Sequence(lambda n: f"M{n:07d}")
    name = factory.Sequence(lambda n: f"党员{n}")
    gender = Member.Gender.FEMALE
    birth_date = dt.date(1980, 5, 4)
    joined_on = dt.date(2005, 7, 1)
    category = Member.Category.FULL
    organization = factory.SubFactory(OrganizationFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        member = super()._create(model_class, *args, **kwargs)
        tallies.adjust({(member.organization_id, tallies.MEMBERS): 1})
        return member


def grant(user, role: str, organization: Organization) -> RoleGrant:
    return RoleGrant.objects.create(user=user, role=role, organization=organization)


@dataclass
class District:
    """root ─ street ─ community ─ branch / sibling ; root ─ street2 ─ far_branch."""

    root: Organization
    street: Organization
    community: Organization
    branch: Organization
    sibling: Organization
    street2: Organization
    far_branch: Organization
    member: Member
    sibling_member: Member
    far_member: Member
    users: dict
    # The member persona's own record: a co-member of ``member`` in the branch, with a login.
    own_member: Member


def make_district() -> District:
    root = OrganizationFactory(
        code="R", name="中共测试区委", kind=Organization.Kind.COMMITTEE, sector=sector("机关")
    )
    street = OrganizationFactory(
        code="R-S1", name="第一街道党工委", kind=Organization.Kind.WORKING_COMMITTEE, parent=root
    )
    community = OrganizationFactory(
        code="R-S1-C1", name="第一社区党委", kind=Organization.Kind.COMMITTEE, parent=street
    )
    branch = OrganizationFactory(code="R-S1-C1-B1", name="第一党支部", parent=community)
    sibling = OrganizationFactory(code="R-S1-C1-B2", name="第二党支部", parent=community)
    street2 = OrganizationFactory(
        code="R-S2", name="第二街道党工委", kind=Organization.Kind.WORKING_COMMITTEE, parent=root
    )
    far_branch = OrganizationFactory(code="R-S2-B1", name="远方党支部", parent=street2)
    for org in (root, street, community, branch, sibling, street2, far_branch):
        org.refresh_from_db()
    users = {
        "anonymous": None,
        "no_role": UserFactory(username="norole"),
        "secretary": UserFactory(username="secretary"),
        "sibling_secretary": UserFactory(username="sibling_secretary"),
        "committee": UserFactory(username="committee"),
        "office": UserFactory(username="office"),
        "admin": UserFactory(username="admin", is_staff=True, is_superuser=True),
        # A member of the branch who logs in (党员), and a leader whose contact
        # point is the branch's community (联系点领导; the campaign names the point).
        "member": UserFactory(username="member"),
        "contact_leader": UserFactory(username="contact_leader"),
    }
    grant(users["secretary"], Role.BRANCH_SECRETARY, branch)
    grant(users["sibling_secretary"], Role.BRANCH_SECRETARY, sibling)
    grant(users["committee"], Role.COMMITTEE_STAFF, street)
    grant(users["office"], Role.CAMPAIGN_OFFICE, root)
    grant(users["member"], Role.MEMBER, branch)
    grant(users["contact_leader"], Role.CONTACT_LEADER, community)
    return District(
        root=root,
        street=street,
        community=community,
        branch=branch,
        sibling=sibling,
        street2=street2,
        far_branch=far_branch,
        member=MemberFactory(organization=branch, mobile="13800138000"),
        sibling_member=MemberFactory(organization=sibling),
        far_member=MemberFactory(organization=far_branch),
        users=users,
        own_member=MemberFactory(organization=branch, user=users["member"], mobile="13900139000"),
    )


class CampaignFactory(factory.django.DjangoModelFactory):
    """A bare campaign (no phases, no rubrics) over the real campaign's dates."""

    class Meta:
        model = Campaign

    name = "测试活动"
    start_date = dt.date(2010, 5, 1)
    end_date = dt.date(2012, 11, 7)


def licheng_campaign(district: District) -> Campaign:
    """The Licheng seed campaign on the district's root, loaded the way an admin loads it."""
    # The sectors come from a data migration, which a transactional test (live_server)
    # run earlier may have flushed away.
    for guidance in seed_data("licheng")["sector_guidance"]:
        sector(guidance["sector"])
    call_command("load_campaign", "licheng", "--root", district.root.code, stdout=io.StringIO())
    return Campaign.objects.get(organization=district.root)


PLAN_FOUR = {
    "theme": "建功岗位",
    "carriers": "党员示范岗",
    "conditions": "五个好",
    "commitments": "三项承诺",
}


def filed_plan(
    campaign: Campaign, organization: Organization, user, *, submit: bool = True
) -> Plan:
    """A plan with its four parts written, submitted unless ``submit=False``."""
    plan = plans.plan_for(campaign=campaign, organization=organization)
    plan = plans.plan_save(plan=plan, user=user, **PLAN_FOUR)
    return plans.plan_submit(plan=plan, user=user) if submit else plan


def items(*contents: str, due=dt.date(2011, 6, 30)) -> list[ItemInput]:
    return [ItemInput(content=c, due_date=due, verification="群众评议") for c in contents]


def published(
    district: District,
    campaign: Campaign,
    *,
    member: Member | None = None,
    organization: Organization | None = None,
    audience: str | None = None,
    texts=("每月走访群众",),
    due=dt.date(2011, 6, 30),
) -> Pledge:
    """A pledge taken through the whole workflow to 已公示: entered by the branch's
    secretary (the admin elsewhere), approved by someone else (the campaign asks
    for a separate approver): the committee above the branch, the office elsewhere."""
    organization = organization or (member.organization if member else district.branch)
    own = organization == district.branch
    secretary = district.users["secretary"] if own else district.users["admin"]
    approver = district.users["committee"] if own else district.users["office"]
    pledge = pledge_services.pledge_create(
        campaign=campaign,
        user=secretary,
        organization=organization,
        member=member,
        audience=audience or "public",
        items=items(*texts, due=due),
        on_behalf=member is not None,
    )
    pledge = pledge_services.pledge_submit(pledge=pledge, user=secretary)
    pledge = pledge_services.pledge_approve(pledge=pledge, user=approver)
    return pledge_services.pledge_publish(pledge=pledge, user=approver)
