"""Importing members' pledges (公开承诺) from a spreadsheet, all or nothing.

Many members have no login, so a branch secretary enters their pledges from a
spreadsheet: one row per 承诺事项, rows with the same 党员编号 and 承诺对象
forming one pledge (items in file order). Every row is checked first and every
problem reported (line, column, value, reason); a file with any problem writes
nothing. New pledges are created as drafts entered on the member's behalf;
a draft or returned pledge has its items replaced; a published one gets a new
revision that needs approval again; one under review is refused. Writes go
through ``pledges.services`` so the workflow's own checks and audit apply;
a dry run performs them too and rolls back. Re-importing the same file
changes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.models import Campaign, Criterion, Rubric
from core.imports import (
    MAX_REPORTED_ERRORS,
    PREVIEW_ROWS,
    ColumnIndex,
    ImportReport,
    RowErrors,
    Template,
    other_import_hint,
)
from core.tabular import Table, cell_text, iter_chunks, parse_date
from orgs import selectors, tallies
from orgs.models import Member, Organization
from pledges.models import Pledge, PledgeItem
from pledges.rules import audience_problem, item_field_problems, too_many_items
from pledges.services import ItemInput, PledgeError, pledge_create, pledge_save

Progress = Callable[[int, str], None]

NUMBER = "党员编号"
AUDIENCE = "承诺对象"
CONTENT = "承诺事项"
DUE = "完成时限"
VERIFICATION = "检验方式"
CRITERION = "对应标准"
REQUIRED = (NUMBER, CONTENT, DUE, VERIFICATION)
OPTIONAL = (AUDIENCE, CRITERION)
COLUMN_OF = {"content": CONTENT, "due_date": DUE, "verification": VERIFICATION}  # rules' fields
# Registered by pledges.hooks, so the other imports can tell a pledge file.
# Lazy: a hint naming this import reads in the language it is made in.
TEMPLATE = Template(
    "pledges", gettext_lazy("党员承诺"), gettext_lazy("批量导入党员承诺"), REQUIRED, OPTIONAL
)

CREATE = "新增"
UPDATE = "更新"
REVISE = "更新（新修订）"
UNCHANGED = "无变化"
UNDER_REVIEW = (Pledge.State.SUBMITTED, Pledge.State.APPROVED)
CHANGE_NOTE = "批量导入"


@dataclass
class _Group:
    """The rows of one pledge: one member, one audience."""

    number: str
    audience: str
    lines: list[int] = field(default_factory=list)
    items: list[ItemInput] = field(default_factory=list)


def import_pledges(
    table: Table,
    *,
    user,
    campaign: Campaign,
    organization: Organization,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row, then create or replace members' pledges in one transaction."""
    report = ImportReport(kind="pledges", dry_run=dry_run, total=len(table.rows))
    errors = RowErrors()
    # Columns of the user's own (备注, …) are ignored: the file is often a sheet they keep.
    index = ColumnIndex.read(
        table.headers, required=REQUIRED, optional=OPTIONAL, extra_allowed=True, errors=errors
    )
    if errors:
        hint = other_import_hint(table.headers, current=TEMPLATE.key)
        if hint:
            errors.insert(0, hint)
    if not selectors.contains(campaign.organization, organization):
        errors.add(0, "", "", _("%(unit)s不在本次活动范围内") % {"unit": organization.name})
    if errors:
        report.errors = list(errors)
        return report
    step = progress or (lambda percent, message: None)
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        step(5, _("正在校验"))
        _import(table, index, user, campaign, organization, report, errors, step)
        report.errors = list(errors[:MAX_REPORTED_ERRORS])
        if errors or dry_run:
            transaction.set_rollback(True)
    step(100, _("校验完成") if dry_run or errors else _("导入完成"))
    return report


def _import(
    table, index: ColumnIndex, user, campaign, organization, report, errors: RowErrors, step
) -> None:
    groups = _parse_rows(table, index, campaign, errors, step)
    if errors.full:
        return
    step(30, _("正在核对党员"))
    members = _members(user, organization, {g.number for g in groups.values()})
    for group in groups.values():
        if group.number not in members:
            for line in group.lines:
                errors.add(line, NUMBER, group.number, _("党员编号不存在或不在本组织"))
    if errors:
        return

    step(40, _("正在比对"))
    existing, current_items = _existing(campaign, [m.pk for m in members.values()])
    plan: list[tuple[str, _Group, Member, Pledge | None]] = []
    for group in groups.values():
        member = members[group.number]
        pledge = existing.get((member.pk, group.audience))
        if pledge is None:
            plan.append((CREATE, group, member, None))
            continue
        if pledge.state in UNDER_REVIEW:
            errors.add(
                group.lines[0], NUMBER, group.number, _("该党员的承诺正在审核中，不能导入覆盖")
            )
            continue
        old = current_items.get(pledge.pk, [])
        if _signature(old) == _signature(group.items):
            plan.append((UNCHANGED, group, member, pledge))
            continue
        _carry_keys(group.items, old)
        action = REVISE if pledge.state == Pledge.State.PUBLISHED else UPDATE
        plan.append((action, group, member, pledge))
    if errors:
        return

    report.created = sum(1 for action, *_ in plan if action == CREATE)
    report.updated = sum(1 for action, *_ in plan if action in (UPDATE, REVISE))
    report.unchanged = sum(1 for action, *_ in plan if action == UNCHANGED)
    report.preview = _preview(plan)

    # Dry run or not, the writes go through the services, so whatever they
    # would refuse is reported; the caller rolls a dry run back.
    writes = [entry for entry in plan if entry[0] != UNCHANGED]
    step(50, _("正在写入"))
    with tallies.deferred():  # the stored counts move once, not once a pledge
        _write(writes, user, campaign, errors, step)


def _write(writes, user, campaign, errors: RowErrors, step) -> None:
    for done, (action, group, member, pledge) in enumerate(writes, start=1):
        try:
            if action == CREATE:
                pledge_create(
                    campaign=campaign,
                    user=user,
                    organization=member.organization,
                    audience=group.audience,
                    items=group.items,
                    member=member,
                    on_behalf=member.user_id != user.pk,
                )
            elif pledge is not None:
                pledge_save(pledge=pledge, user=user, items=group.items, change_note=CHANGE_NOTE)
        except PledgeError as exc:
            errors.add(group.lines[0], NUMBER, group.number, str(exc))
            if errors.full:
                return
        if done % 50 == 0:
            step(50 + 45 * done // len(writes), _("正在写入"))


def _parse_rows(
    table, index: ColumnIndex, campaign, errors: RowErrors, step
) -> dict[tuple[str, str], _Group]:
    """Check every row (the pledge rules of ``pledges.rules``) and group the good ones."""
    audiences = {str(a.label): a for a in Pledge.Audience} | {a.value: a for a in Pledge.Audience}
    criteria = _criteria(campaign)
    groups: dict[tuple[str, str], _Group] = {}
    total = len(table.rows)

    for i, raw in enumerate(table.rows):
        line = table.line(i)
        bad = len(errors)
        number = cell_text(index.cell(raw, NUMBER))
        if not number:
            errors.add(line, NUMBER, number, _("不能为空"))

        audience_text = cell_text(index.cell(raw, AUDIENCE))
        audience = audiences.get(audience_text) if audience_text else Pledge.Audience.PUBLIC
        wrong_audience = audience_problem(audience, member=True)
        if wrong_audience:
            errors.add(line, AUDIENCE, audience_text, wrong_audience)
            audience = None

        content = cell_text(index.cell(raw, CONTENT))
        verification = cell_text(index.cell(raw, VERIFICATION))
        due_value = index.cell(raw, DUE)
        due_date = None
        unreadable = None
        if cell_text(due_value):
            try:
                due_date = parse_date(due_value)
            except ValueError as exc:
                unreadable = str(exc)
        problems = dict(
            item_field_problems(
                content=content, due_date=due_date, verification=verification, campaign=campaign
            )
        )
        if unreadable:
            problems["due_date"] = unreadable  # why there is no date, rather than "请填写"
        shown = {"content": content, "due_date": due_value, "verification": verification}
        for name, column in COLUMN_OF.items():  # in column order
            if name in problems:
                errors.add(line, column, shown[name], problems[name])

        criterion = None
        criterion_text = cell_text(index.cell(raw, CRITERION))
        if criterion_text:
            found = criteria(criterion_text)
            if len(found) == 1:
                criterion = found[0]
            elif found:
                errors.add(
                    line,
                    CRITERION,
                    criterion_text,
                    _("多个党员评价标准中都有此编号，请填写“编号 标题”以区分"),
                )
            else:
                errors.add(line, CRITERION, criterion_text, _("不是本次活动党员评价标准中的项目"))

        if number and audience is not None:
            group = groups.setdefault((number, audience), _Group(number, audience))
            group.lines.append(line)
            over = too_many_items(len(group.lines))
            if over:
                errors.add(
                    line,
                    CONTENT,
                    content,
                    _(
                        "%(problem)s（同一党员、同一承诺对象的各行为一份承诺，与第 %(n)s 行同属一份）"
                    )
                    % {"problem": over, "n": group.lines[0]},
                )
            elif len(errors) == bad:
                group.items.append(ItemInput(content, due_date, verification, criterion))
        if errors.full:
            break
        if i % 500 == 499:
            step(5 + 25 * i // total, _("正在校验"))
    return groups


def _criteria(campaign: Campaign) -> Callable[[str], list[Criterion]]:
    """Find the campaign's member criteria by code, else by “code title” or by title."""
    by_code: dict[str, list[Criterion]] = {}
    by_label: dict[str, list[Criterion]] = {}
    rubrics = Rubric.objects.filter(campaign=campaign, subject=Rubric.Subject.MEMBER)
    for criterion in Criterion.objects.filter(rubric__in=rubrics):
        by_code.setdefault(criterion.code, []).append(criterion)
        by_label.setdefault(f"{criterion.code} {criterion.title}", []).append(criterion)
        by_label.setdefault(criterion.title, []).append(criterion)
    return lambda text: by_code.get(text) or by_label.get(text) or []


def _members(user, organization: Organization, numbers: set[str]) -> dict[str, Member]:
    """The members among ``numbers`` in the organisation's subtree that the user may edit."""
    scoped = selectors.in_subtree(
        selectors.members_for(user, selectors.EDIT_MEMBERS), organization, "organization__"
    )
    members: dict[str, Member] = {}
    for chunk in iter_chunks(sorted(numbers), 500):
        for member in scoped.filter(number__in=chunk):
            members[member.number] = member
    return members


def _existing(
    campaign: Campaign, member_ids: list[int]
) -> tuple[dict[tuple[int, str], Pledge], dict[int, list[PledgeItem]]]:
    """The members' pledges in the campaign, and the items of each one's working revision."""
    pledges: dict[tuple[int, str], Pledge] = {}
    items: dict[int, list[PledgeItem]] = {}
    for chunk in iter_chunks(member_ids, 500):
        for pledge in Pledge.objects.filter(campaign=campaign, member_id__in=chunk):
            pledges[(pledge.member_id or 0, pledge.audience)] = pledge
    revision_of = {p.pk: p.revision for p in pledges.values()}
    for chunk in iter_chunks(list(revision_of), 500):
        rows = PledgeItem.objects.filter(revision__pledge_id__in=chunk).select_related("revision")
        for item in rows.order_by("revision__pledge_id", "position", "key"):
            pledge_id = item.revision.pledge_id
            if item.revision.number == revision_of[pledge_id]:
                items.setdefault(pledge_id, []).append(item)
    return pledges, items


def _signature(items) -> list[tuple]:
    """What makes two lists of items the same: content, due date, verification, criterion, in order."""
    return [
        (
            item.content.strip(),
            item.due_date,
            item.verification.strip(),
            item.criterion.pk if item.criterion is not None else None,
        )
        if isinstance(item, ItemInput)
        else (item.content.strip(), item.due_date, item.verification.strip(), item.criterion_id)
        for item in items
    ]


def _carry_keys(items: list[ItemInput], old: list[PledgeItem]) -> None:
    """An item whose text is unchanged keeps its key, so its 践诺 entries stay attached."""
    free: dict[str, list[int]] = {}
    for stored in old:
        free.setdefault(stored.content.strip(), []).append(stored.key)
    for item in items:
        keys = free.get(item.content.strip())
        if keys:
            item.key = keys.pop(0)


def _preview(plan) -> list[dict[str, Any]]:
    shown: dict[str, int] = {}
    preview = []
    for action, group, member, _pledge in plan:
        if shown.get(action, 0) >= PREVIEW_ROWS:
            continue
        shown[action] = shown.get(action, 0) + 1
        preview.append(
            {
                "row": group.lines[0],
                "action": action,
                "key": group.number,
                "name": f"{member.name}·{Pledge.Audience(group.audience).label}",
            }
        )
    return preview
