"""factory_boy factories for the domain, plus a ready-made small district."""

import datetime as dt
from dataclasses import dataclass

import factory
from django.contrib.auth import get_user_model

from orgs.models import Member, Organization, Role, RoleGrant, Sector

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
    }
    grant(users["secretary"], Role.BRANCH_SECRETARY, branch)
    grant(users["sibling_secretary"], Role.BRANCH_SECRETARY, sibling)
    grant(users["committee"], Role.COMMITTEE_STAFF, street)
    grant(users["office"], Role.CAMPAIGN_OFFICE, root)
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
    )
