"""Reads for pledges: the scoped lists staff see, and the public board's published text.

Staff lists go through ``orgs.selectors.scope_q`` like everything else. The
board is login-free, so it is built from published revisions only and never
hands a template a model with private fields it could print by mistake.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from campaign.models import Campaign
from campaign.selectors import running_campaign
from orgs import selectors
from orgs.models import Organization
from pledges.models import Pledge, PledgeComment, PledgeItem, PledgeRevision, PledgeUpdate


def pledges_for(user: Any) -> QuerySet[Pledge]:
    """Pledges in the user's subtrees, and a member's own pledges (a 党员's grant
    reaches no one else's: READ_RECORDS; the branch's are on the public board)."""
    qs = Pledge.objects.select_related("campaign", "organization", "member")
    q = selectors.scope_q(user, selectors.READ_RECORDS, prefix="organization__")
    if q is None:
        return qs
    if user.is_authenticated:
        q |= Q(member__user_id=user.pk)
    return qs.filter(q)


def filtered_pledges(
    user: Any, filters: dict[str, Any]
) -> tuple[Campaign | None, Organization | None, QuerySet[Pledge]]:
    """The pledge list's rows: campaign (default the latest), subtree, state, pledger, text.

    Shared by the list page and its export job, so a download holds exactly the
    rows the page showed. An organisation or campaign outside the scope is a 404.
    """
    from campaign.selectors import campaign_get, campaigns_for

    if filters.get("campaign"):
        campaign: Campaign | None = campaign_get(user, filters["campaign"])
    else:
        campaign = campaigns_for(user).order_by("-start_date").first()
    pledges = pledges_for(user)
    pledges = pledges.filter(campaign=campaign) if campaign else pledges.none()
    scope_root = None
    if filters.get("organization"):
        scope_root = selectors.organization_get(user, filters["organization"])
        pledges = selectors.in_subtree(pledges, scope_root, "organization__")
    if filters.get("state"):
        pledges = pledges.filter(state=filters["state"])
    if filters.get("public"):  # on the board, including those with a revision under way
        pledges = pledges.filter(published_revision__gt=0)
    if filters.get("pledger") == "member":
        pledges = pledges.filter(member__isnull=False)
    elif filters.get("pledger") == "organization":
        pledges = pledges.filter(member__isnull=True)
    if filters.get("q"):
        q = filters["q"]
        pledges = pledges.filter(
            Q(organization__name__contains=q) | Q(member__name__contains=q) | Q(member__number=q)
        )
    pledges = pledges.order_by("organization__tree_id", "organization__lft", "member__number", "pk")
    return campaign, scope_root, pledges


def awaiting_approval(user: Any) -> QuerySet[Pledge]:
    """Submitted pledges this user may approve (the same rule as services.may_approve):
    members' pledges in branches they edit, except their own; organisations'
    pledges whose parent they review; not what they entered, where the campaign
    asks for a separate approver."""
    submitted = Pledge.objects.filter(state=Pledge.State.SUBMITTED).select_related(
        "campaign", "organization", "member"
    )
    if user.is_authenticated:  # what they entered waits for someone else (separate_approver)
        submitted = submitted.exclude(campaign__separate_approver=True, entered_by_id=user.pk)
    members = selectors.scope_q(user, selectors.EDIT_MEMBERS, prefix="organization__")
    units = selectors.scope_q(user, selectors.REVIEW, prefix="organization__parent__")
    if members is None or units is None:  # the admin
        return submitted
    return submitted.filter(
        (Q(member__isnull=False) & members & ~Q(member__user_id=user.pk))
        | (Q(member__isnull=True) & units)
    )


def returned_to(user: Any) -> QuerySet[Pledge]:
    """Returned pledges waiting for this user to revise: their own as a member, and
    the pledges of the units they answer for (``orgs.selectors.own_units``)."""
    if not user.is_authenticated:
        return Pledge.objects.none()
    own_units = selectors.own_units(user).values("pk")
    return (
        Pledge.objects.filter(state=Pledge.State.RETURNED)
        .filter(Q(member__user_id=user.pk) | Q(member__isnull=True, organization__in=own_units))
        .select_related("organization", "member")
        .order_by("pk")
    )


def pledge_get(user: Any, pk: Any) -> Pledge:
    """The pledge if the user can see it, else 404."""
    try:
        return pledges_for(user).select_related("organization__parent").get(pk=pk)
    except (Pledge.DoesNotExist, ValueError):
        raise Http404 from None


def revision_items(pledge: Pledge, number: int) -> list[PledgeItem]:
    return list(
        PledgeItem.objects.filter(revision__pledge=pledge, revision__number=number).select_related(
            "criterion"
        )
    )


def _comments_for(user: Any) -> QuerySet[PledgeComment]:
    """Visitors' comments on pledges of the branches the user moderates (or below)."""
    q = selectors.scope_q(user, selectors.EDIT_MEMBERS, prefix="pledge__organization__")
    qs = PledgeComment.objects.select_related("pledge__organization", "pledge__member")
    return qs if q is None else qs.filter(q)


def comments_to_moderate(user: Any) -> QuerySet[PledgeComment]:
    """Visitors' comments waiting for the user's branches (or those below)."""
    return _comments_for(user).filter(state=PledgeComment.State.PENDING)


def comment_get(user: Any, pk: Any) -> PledgeComment:
    try:
        return _comments_for(user).get(pk=pk)
    except (PledgeComment.DoesNotExist, ValueError):
        raise Http404 from None


# ---- the public board -----------------------------------------------------


@dataclass
class PublicItem:
    key: int
    content: str
    due_date: Any
    verification: str
    criterion: str
    updates: list[dict] = field(default_factory=list)


@dataclass
class PublicRevision:
    number: int
    published_at: Any
    change_note: str
    items: list[PublicItem]


@dataclass
class PublicPledge:
    """What the public may read of a pledge: the published text and nothing private."""

    pk: int
    pledger: str
    is_member: bool
    audience: str
    published_at: Any
    revision: int
    items: list[PublicItem]
    history: list[PublicRevision]
    outcome: str
    outcome_comment: str
    outcome_phase: str
    comments: list[dict]


def board(organization: Organization, campaign: Campaign) -> list[PublicPledge]:
    """The published pledges of an organisation and of its members, for the board.

    A fixed number of queries whatever the number of pledges: pledges, their
    published revisions with items, updates and approved comments.
    """
    pledges = list(
        Pledge.objects.filter(
            campaign=campaign, organization=organization, published_revision__gt=0
        )
        .select_related("member", "outcome_phase")
        .order_by("member_id", "audience", "pk")
    )
    ids = [p.pk for p in pledges]
    revisions = (
        PledgeRevision.objects.filter(pledge_id__in=ids, published_at__isnull=False)
        .prefetch_related(
            Prefetch("items", queryset=PledgeItem.objects.select_related("criterion"))
        )
        .order_by("pledge_id", "-number")
    )
    by_pledge: dict[int, list[PledgeRevision]] = {}
    for revision in revisions:
        by_pledge.setdefault(revision.pledge_id, []).append(revision)
    updates: dict[tuple[int, int], list[dict]] = {}
    for update in PledgeUpdate.objects.filter(pledge_id__in=ids).order_by("happened_on", "pk"):
        updates.setdefault((update.pledge_id, update.item_key), []).append(
            {
                "pk": update.pk,
                "happened_on": update.happened_on,
                "text": update.text,
                "has_photo": bool(update.photo),
            }
        )
    comments: dict[int, list[dict]] = {}
    for comment in PledgeComment.objects.filter(
        pledge_id__in=ids, state=PledgeComment.State.APPROVED
    ).order_by("created_at"):
        comments.setdefault(comment.pledge_id, []).append(
            {"author": comment.author or "群众", "text": comment.text, "at": comment.created_at}
        )
    result = []
    for pledge in pledges:
        revs = [r for r in by_pledge.get(pledge.pk, []) if r.number <= pledge.published_revision]
        public_revs = [
            PublicRevision(
                number=r.number,
                published_at=r.published_at,
                change_note=r.change_note,
                items=[_public_item(i, updates, pledge.pk) for i in r.items.all()],
            )
            for r in revs
        ]
        if not public_revs:
            continue
        current = public_revs[0]
        result.append(
            PublicPledge(
                pk=pledge.pk,
                pledger=pledge.member.name if pledge.member else organization.name,
                is_member=pledge.member_id is not None,
                audience=pledge.get_audience_display(),
                published_at=current.published_at,
                revision=current.number,
                items=current.items,
                history=public_revs,
                outcome=pledge.get_outcome_display() if pledge.outcome else "",
                outcome_comment=pledge.outcome_comment if pledge.outcome else "",
                outcome_phase=pledge.outcome_phase.name if pledge.outcome_phase else "",
                comments=comments.get(pledge.pk, []),
            )
        )
    return result


def _public_item(item: PledgeItem, updates: dict, pledge_id: int) -> PublicItem:
    return PublicItem(
        key=item.key,
        content=item.content,
        due_date=item.due_date,
        verification=item.verification,
        criterion=str(item.criterion) if item.criterion else "",
        updates=updates.get((pledge_id, item.key), []),
    )


def on_board(pledge: Pledge) -> bool:
    """Whether the pledge is on its organisation's board right now: published, its
    organisation active, and in the campaign that board shows."""
    if not pledge.is_public or not pledge.organization.is_active:
        return False
    shown = running_campaign(pledge.organization)
    return shown is not None and shown.pk == pledge.campaign_id


def public_update_photo(pk: Any) -> PledgeUpdate:
    """A progress photo, only while its pledge is on a board."""
    try:
        update = PledgeUpdate.objects.select_related("pledge__organization").get(pk=pk)
    except (PledgeUpdate.DoesNotExist, ValueError):
        raise Http404 from None
    if not on_board(update.pledge):
        raise Http404
    return update


def comments_shown(pledge: Pledge, *, moderator: bool) -> QuerySet[PledgeComment]:
    """Visitors' comments on the pledge's page: the shown ones, and for the branch
    that moderates them those still waiting too. A comment not shown (不予显示)
    appears on no page."""
    states = [PledgeComment.State.APPROVED]
    if moderator:
        states.append(PledgeComment.State.PENDING)
    return pledge.comments.filter(state__in=states).order_by("-created_at")
