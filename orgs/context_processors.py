from dataclasses import dataclass

from django.utils.functional import SimpleLazyObject

from orgs import selectors


@dataclass(frozen=True)
class Nav:
    """What the menu offers a user: only what they can use (a link that answers
    403 is not offered)."""

    can_import: bool  # 导入: organisations and members (orgs:import_upload)
    # The unit's editing roles: 群众留言审核, 新建承诺, 批量导入党员承诺, 导出.
    edits_members: bool
    dashboard_pk: int | None  # 工作进度: the highest organisation the user reviews
    reads_records: bool = False  # 创先争优活动 (the campaign pages): every role but 党员


def nav_for(user) -> Nav:
    if not user.is_authenticated:
        return Nav(False, False, None)
    top = (
        selectors.top_organizations_for(user, selectors.REVIEW)
        .order_by("tree_id", "lft")
        .values_list("pk", flat=True)
        .first()
    )
    return Nav(
        can_import=selectors.can_anywhere(user, selectors.IMPORT),
        edits_members=selectors.can_anywhere(user, selectors.EDIT_MEMBERS),
        dashboard_pk=top,
        reads_records=selectors.can_anywhere(user, selectors.READ_RECORDS),
    )


def nav(request):
    """The menu's entries; lazy, so pages that do not show the menu ask nothing."""
    return {"nav": SimpleLazyObject(lambda: nav_for(request.user))}
