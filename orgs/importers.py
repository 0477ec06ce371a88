"""Importing organisations and members from a spreadsheet, all or nothing.

One code path serves the upload page (through a job), the admin and the
``import_orgs`` / ``import_members`` commands. Every row is checked before
anything is written: a file with any bad row writes nothing and reports every
bad row (line, column, value, reason). Rows may come in any order; re-importing
the same file changes nothing; a changed row updates by code or number. Each
row is authorised against the importer's subtree.

Why not django-import-export's row loop: it costs 5 queries a row by default
and tops out near 5,000 rows/s tuned (shared/MEASURED.md); the targets are
10,000 rows/s from XLSX and 20,000 from CSV. So validation is plain Python over
maps loaded once, and writes are bulk: the tree numbering is computed in one
depth-first pass, members go in with PostgreSQL ``COPY``.
"""

import csv
import datetime as dt
import gc
import io
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import audit
from core.imports import (
    PREVIEW_ROWS,
    ColumnIndex,
    ImportReport,
    RowErrors,
    Template,
    gc_paused,
    other_import_hint,
    register_template,
)
from core.tabular import Table, cell_text, iter_chunks, parse_date
from orgs import hooks, selectors, tallies
from orgs.models import CODE_PATTERN, Member, MemberTransfer, Organization, Sector
from orgs.resources import MemberResource, OrganizationResource, columns
from orgs.rules import member_problems
from orgs.services import MEMBER_IMPORT_LOCK_KEY, lock_tree, tree_problems

Progress = Callable[[int, str], None]

# Lazy: a hint naming another import reads in the language it is made in.
PAGE = gettext_lazy("批量导入党组织和党员")
register_template(
    Template(
        "organizations",
        gettext_lazy("党组织"),
        PAGE,
        tuple(h for h, _label in columns(OrganizationResource)),
    )
)
register_template(
    Template(
        "members", gettext_lazy("党员"), PAGE, tuple(h for h, _label in columns(MemberResource))
    )
)


def _column_index(table: Table, resource_class, errors: RowErrors) -> dict[str, int]:
    """Field names to column positions; every header of the template must be there, no other."""
    expected = columns(resource_class)
    index = ColumnIndex.read(table.headers, required=[h for h, _ in expected], errors=errors)
    return {name: index[header] for header, name in expected if header in index}


def _cells(row: list[object], index: dict[str, int]) -> dict[str, object]:
    return {name: (row[i] if i < len(row) else "") for name, i in index.items()}


def _check_code(errors: RowErrors, line: int, header: str, value: str) -> bool:
    if not value:
        errors.add(line, header, value, _("不能为空"))
        return False
    if len(value) > 32:
        errors.add(line, header, value, _("不能超过 32 个字符"))
        return False
    if not CODE_PATTERN.fullmatch(value):
        errors.add(line, header, value, _("只能包含字母、数字、下划线、点和连字符"))
        return False
    return True


def _text(
    errors: RowErrors, line: int, header: str, value: object, *, limit: int, required: bool
) -> str:
    text = cell_text(value)
    if required and not text:
        errors.add(line, header, text, _("不能为空"))
    elif len(text) > limit:
        errors.add(line, header, text, _("不能超过 %(n)s 个字符") % {"n": limit})
    return text


def _optional_date(
    errors: RowErrors, line: int, header: str, value: object, today: dt.date
) -> dt.date | None:
    if cell_text(value) == "":
        return None
    try:
        day = parse_date(value)
    except ValueError as exc:
        errors.add(line, header, value, str(exc))
        return None
    if day > today:
        errors.add(line, header, value, _("日期不能晚于今天"))
    elif day.year < 1900:
        errors.add(line, header, value, _("日期不能早于 1900 年"))
    return day


# ---------------------------------------------------------------- organisations

ORG_FIELDS = ("name", "kind", "sector_id", "secretary_name", "phone", "founded_on")


@dataclass
class _OrgRow:
    line: int
    code: str
    parent_code: str
    values: dict[str, Any]  # ORG_FIELDS → value


@dataclass
class _OrgImport:
    """One organisation import as it goes: the file and who imports it, then what each step found.

    Steps: ``_read_organizations`` (cells), ``_resolve_parents``,
    ``_check_cycles``, ``_check_scope``, ``_compare_organizations``,
    ``_write_organizations``, ``_audit_organizations``; each reads what the
    ones before it filled in.
    """

    table: Table
    index: dict[str, int]  # field name → column position
    headers: dict[str, str]  # field name → header text
    user: Any
    dry_run: bool
    report: ImportReport
    errors: RowErrors
    step: Progress
    # What the system holds, by code (pk, parent_id, nested-set numbers, ORG_FIELDS).
    existing: dict[str, dict[str, Any]] = field(default_factory=dict)
    code_of: dict[int, str] = field(default_factory=dict)  # pk → code, for existing rows
    rows: dict[str, _OrgRow] = field(default_factory=dict)  # good rows of the file, by code
    first_line: dict[str, int] = field(default_factory=dict)
    parent_of: dict[str, str] = field(default_factory=dict)  # code → parent code, after import
    new_codes: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    id_of: dict[str, int] = field(default_factory=dict)  # code → pk, new rows included


def _prepare(context, kind, resource, table: Table, *, user, dry_run: bool, progress):
    """The import's context over ``table``, or, when its headers are wrong, the
    report that lists them (both importers start the same way)."""
    report = ImportReport(kind=kind, dry_run=dry_run, total=len(table.rows))
    errors = RowErrors()
    index = _column_index(table, resource, errors)
    if errors:
        hint = other_import_hint(table.headers, current=kind)
        report.errors = [hint, *errors] if hint else list(errors)
        return report
    return context(
        table=table,
        index=index,
        headers={name: header for header, name in columns(resource)},
        user=user,
        dry_run=dry_run,
        report=report,
        errors=errors,
        step=progress or (lambda p, m: None),
    )


def import_organizations(
    table: Table, *, user, dry_run: bool, progress: Progress | None = None
) -> ImportReport:
    """Validate every row, then create or update organisations in one transaction."""
    job = _prepare(
        _OrgImport,
        "organizations",
        OrganizationResource,
        table,
        user=user,
        dry_run=dry_run,
        progress=progress,
    )
    if isinstance(job, ImportReport):  # the headers are wrong: nothing more to check
        return job
    report, errors = job.report, job.errors
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        if not dry_run:
            lock_tree()
        job.step(10, _("正在校验"))
        _import_organizations(job)
        report.errors = list(errors)
        if errors or dry_run:
            transaction.set_rollback(True)
    return report


def _import_organizations(job: _OrgImport) -> None:
    job.existing = {
        row["code"]: row
        for row in Organization.objects.values(
            "pk", "code", "parent_id", "tree_id", "lft", "rght", "level", *ORG_FIELDS
        )
    }
    job.code_of = {row["pk"]: code for code, row in job.existing.items()}
    _read_organizations(job)
    if job.errors.full:
        return
    for check in (_resolve_parents, _check_cycles, _check_scope):
        check(job)
        if job.errors:
            return
    job.step(40, _("正在比对"))
    _compare_organizations(job)
    if job.dry_run or not (job.new_codes or job.changed):
        return
    job.step(60, _("正在写入"))
    _write_organizations(job)
    audit.record_many(_audit_organizations(job))
    job.step(95, _("写入完成"))


def _read_organizations(job: _OrgImport) -> None:
    """Check every row's cells; the good rows go to ``job.rows``."""
    errors, headers = job.errors, job.headers
    kinds = {str(label): value for value, label in Organization.Kind.choices}
    kinds.update({value: value for value in Organization.Kind.values})
    sectors = dict(Sector.objects.values_list("name", "pk"))
    today = timezone.localdate()
    for i, raw in enumerate(job.table.rows):
        line = job.table.line(i)
        cells = _cells(raw, job.index)
        bad = len(errors)
        code = cell_text(cells["code"])
        if _check_code(errors, line, headers["code"], code) and code in job.first_line:
            errors.add(
                line, headers["code"], code, _("与第 %(n)s 行重复") % {"n": job.first_line[code]}
            )
        job.first_line.setdefault(code, line)
        parent_code = cell_text(cells["parent_code"])
        if parent_code:
            _check_code(errors, line, headers["parent_code"], parent_code)
        values: dict[str, Any] = {
            "name": _text(errors, line, headers["name"], cells["name"], limit=128, required=True),
            "secretary_name": _text(
                errors,
                line,
                headers["secretary_name"],
                cells["secretary_name"],
                limit=32,
                required=False,
            ),
            "phone": _text(
                errors, line, headers["phone"], cells["phone"], limit=32, required=False
            ),
            "founded_on": _optional_date(
                errors, line, headers["founded_on"], cells["founded_on"], today
            ),
        }
        kind_text = cell_text(cells["kind"])
        values["kind"] = kinds.get(kind_text)
        if values["kind"] is None:
            errors.add(
                line,
                headers["kind"],
                kind_text,
                _("未知的组织类型，可选：%(choices)s")
                % {"choices": "、".join(str(label) for label in Organization.Kind.labels)},
            )
        sector_text = cell_text(cells["sector"])
        values["sector_id"] = sectors.get(sector_text)
        if values["sector_id"] is None:
            errors.add(
                line,
                headers["sector"],
                sector_text,
                _("未知的领域，可选：%(choices)s") % {"choices": "、".join(sectors)},
            )
        if len(errors) == bad and code not in job.rows:
            job.rows[code] = _OrgRow(line, code, parent_code, values)
        if errors.full:
            return


def _resolve_parents(job: _OrgImport) -> None:
    """Every parent code is in the file or already in the system: ``job.parent_of``."""
    existing, rows = job.existing, job.rows
    job.parent_of = {code: job.code_of.get(row["parent_id"], "") for code, row in existing.items()}
    for code, row in rows.items():
        if row.parent_code and row.parent_code not in rows and row.parent_code not in existing:
            if row.parent_code not in job.first_line:
                job.errors.add(
                    row.line, job.headers["parent_code"], row.parent_code, _("上级组织代码不存在")
                )
            continue
        job.parent_of[code] = row.parent_code


def _compare_organizations(job: _OrgImport) -> None:
    """Which rows are new, which change an organisation, which change nothing; the preview."""
    report, rows = job.report, job.rows
    for code, row in rows.items():
        if code in job.existing:
            before = job.existing[code]
            same_parent = job.parent_of[code] == job.code_of.get(before["parent_id"], "")
            if same_parent and all(before[f] == row.values[f] for f in ORG_FIELDS):
                report.unchanged += 1
            else:
                job.changed.append(code)
        else:
            job.new_codes.append(code)
    report.created = len(job.new_codes)
    report.updated = len(job.changed)
    report.preview = [
        {"row": rows[c].line, "action": "新增", "key": c, "name": rows[c].values["name"]}
        for c in job.new_codes[:PREVIEW_ROWS]
    ] + [
        {"row": rows[c].line, "action": "更新", "key": c, "name": rows[c].values["name"]}
        for c in job.changed[:PREVIEW_ROWS]
    ]


def _write_organizations(job: _OrgImport) -> None:
    """New rows level by level (a child needs its parent's id), then every renumbered or
    changed one; the tree is checked before the transaction may commit."""
    existing, parent_of, rows = job.existing, job.parent_of, job.rows
    numbering = number_forest(existing, parent_of, set(job.new_codes))
    id_of = job.id_of
    id_of.update({code: row["pk"] for code, row in existing.items()})
    by_level: dict[int, list[str]] = {}
    for code in job.new_codes:
        by_level.setdefault(numbering[code][3], []).append(code)
    now = timezone.now()
    for level in sorted(by_level):
        batch = []
        for code in by_level[level]:
            tree_id, lft, rght, _level = numbering[code]
            batch.append(
                Organization(
                    code=code,
                    parent_id=id_of.get(parent_of[code]) if parent_of[code] else None,
                    tree_id=tree_id,
                    lft=lft,
                    rght=rght,
                    level=level,
                    created_at=now,
                    updated_at=now,
                    **rows[code].values,
                )
            )
        for obj in Organization.objects.bulk_create(batch, batch_size=1000):
            id_of[obj.code] = obj.pk

    changed = set(job.changed)
    updates = []
    for code, before in existing.items():
        tree_id, lft, rght, level = numbering[code]
        new_parent = id_of.get(parent_of[code]) if parent_of[code] else None
        incoming = rows.get(code)
        values = incoming.values if incoming else {f: before[f] for f in ORG_FIELDS}
        if (
            (tree_id, lft, rght, level)
            == (before["tree_id"], before["lft"], before["rght"], before["level"])
            and new_parent == before["parent_id"]
            and code not in changed
        ):
            continue
        obj = Organization(
            pk=before["pk"],
            code=code,
            parent_id=new_parent,
            tree_id=tree_id,
            lft=lft,
            rght=rght,
            level=level,
            updated_at=now,
            **values,
        )
        updates.append(obj)
    Organization.objects.bulk_update(
        updates,
        ["parent", "tree_id", "lft", "rght", "level", "updated_at", *ORG_FIELDS],
        batch_size=500,
    )
    problems = tree_problems()
    if problems:  # never commit a numbering that would widen or narrow someone's scope
        raise RuntimeError("tree numbering check failed: " + "; ".join(problems[:5]))
    tallies.recount()  # new units, and every figure of a subtree that moved


def _audit_organizations(job: _OrgImport):
    """Audit rows for created and changed organisations (renumbering alone is not a change)."""
    existing, rows = job.existing, job.rows
    for code in [*job.new_codes, *job.changed]:
        after = {f: audit._plain(v) for f, v in rows[code].values.items()}
        after["parent"] = job.parent_of[code] or None
        if code in existing:
            before = {f: audit._plain(existing[code][f]) for f in ORG_FIELDS}
            before["parent"] = job.code_of.get(existing[code]["parent_id"])
            action, before_values = audit.Action.UPDATE, before
        else:
            action, before_values = audit.Action.CREATE, {"code": None}
            after["code"] = code
        pk = job.id_of[code]
        yield (
            action,
            "orgs.organization",
            pk,
            rows[code].values["name"],
            pk,
            audit.diff(before_values, after),
            "",
        )


def _check_cycles(job: _OrgImport) -> None:
    """A parent code that leads back to the row itself is reported on every row of the loop."""
    rows, parent_of = job.rows, job.parent_of
    state: dict[str, int] = {}  # 1 = on the current path, 2 = known to reach a root
    for start in rows:
        path: list[str] = []
        code = start
        while code and state.get(code) is None:
            state[code] = 1
            path.append(code)
            code = parent_of.get(code, "")
        if code and state.get(code) == 1:
            cycle = path[path.index(code) :] + [code]
            for member in cycle[:-1]:
                if member in rows:
                    job.errors.add(
                        rows[member].line,
                        job.headers["parent_code"],
                        rows[member].parent_code,
                        _("上级组织代码形成循环：%(cycle)s") % {"cycle": " → ".join(cycle)},
                    )
        for code in path:
            state[code] = 2


def _check_scope(job: _OrgImport) -> None:
    """Each row must lie inside the importer's subtree, before and after the import."""
    user, rows, existing, parent_of = job.user, job.rows, job.existing, job.parent_of
    headers, errors = job.headers, job.errors
    ranges = None if user is None else selectors.grant_ranges(user, selectors.IMPORT)
    if ranges is None:
        return

    def in_scope(code: str) -> bool:
        row = existing[code]
        return any(
            t == row["tree_id"] and lft <= row["lft"] and row["rght"] <= rght
            for t, lft, rght in ranges
        )

    def anchored(code: str) -> bool:
        # Walk up through new rows until an existing organisation decides it.
        seen = 0
        while code and code not in existing and seen < len(rows) + 1:
            code = parent_of.get(code, "")
            seen += 1
        return bool(code) and in_scope(code)

    for code, row in rows.items():
        if code in existing and not in_scope(code):
            errors.add(row.line, headers["code"], code, _("该组织不在您的管辖范围内"))
        elif code not in existing or parent_of[code] != job.code_of.get(
            existing[code]["parent_id"], ""
        ):
            if not row.parent_code:
                errors.add(
                    row.line, headers["parent_code"], "", _("只有系统管理员可以创建顶级党组织")
                )
            elif not anchored(row.parent_code):
                errors.add(
                    row.line,
                    headers["parent_code"],
                    row.parent_code,
                    _("上级组织不在您的管辖范围内"),
                )


def number_forest(
    existing, parent_of: dict[str, str], new_codes: set[str]
) -> dict[str, tuple[int, int, int, int]]:
    """Nested-set numbering (tree_id, lft, rght, level) for every organisation.

    Siblings keep their current order (mptt appends new children last), so a
    re-import that moves nothing renumbers nothing. New and moved nodes follow
    in code order. One depth-first pass, no queries.
    """
    children: dict[str, list[str]] = {}
    roots: list[str] = []
    for code, parent in parent_of.items():
        (children.setdefault(parent, []) if parent else roots).append(code)

    def order(code: str) -> tuple:
        row = existing.get(code)
        if row is not None and code not in new_codes:
            parent_id = row["parent_id"]
            stayed = parent_of[code] == (_code_by_id.get(parent_id, "") if parent_id else "")
            if stayed:
                return (0, row["lft"], code)
        return (1, 0, code)

    _code_by_id = {row["pk"]: code for code, row in existing.items()}
    tree_ids = {code: existing[code]["tree_id"] for code in roots if code in existing}
    next_tree = max(tree_ids.values(), default=0) + 1
    numbering: dict[str, tuple[int, int, int, int]] = {}
    for root in sorted(roots, key=lambda c: (tree_ids.get(c, 10**9), c)):
        tree_id = tree_ids.get(root)
        if tree_id is None:
            tree_id, next_tree = next_tree, next_tree + 1
        counter = 1
        lft_of: dict[str, int] = {}
        stack: list[tuple[str, int, bool]] = [(root, 0, False)]
        while stack:
            code, level, done = stack.pop()
            if done:
                numbering[code] = (tree_id, lft_of[code], counter, level)
                counter += 1
                continue
            lft_of[code] = counter
            counter += 1
            stack.append((code, level, True))
            for child in sorted(children.get(code, []), key=order, reverse=True):
                stack.append((child, level + 1, False))
    return numbering


# ---------------------------------------------------------------------- members


class MemberValues(NamedTuple):
    """A member's fields as an import writes them.

    The order is the column order of ``_copy_members`` and of the roll read in
    ``_compare_members``, so a stored row compares equal to an unchanged one.
    """

    name: str
    gender: str
    birth_date: dt.date
    joined_on: dt.date
    category: str
    organization_id: int
    post: str
    mobile: str


MEMBER_FIELDS = MemberValues._fields


class MemberUpdate(NamedTuple):
    """A stored member whose row changes something: the row's values and the roll's."""

    pk: int
    number: str
    values: MemberValues
    before: MemberValues

    @property
    def old_organization_id(self) -> int:
        return self.before.organization_id


# The file's columns in the order ``_read_members`` unpacks them.
MEMBER_COLUMNS = (
    "number",
    "name",
    "gender",
    "birth_date",
    "joined_on",
    "category",
    "organization_code",
    "post",
    "mobile",
)


@dataclass
class _MemberImport:
    """One member import as it goes: the file and who imports it, then what each step found.

    Steps: ``_resolve_scope``, ``_read_members`` (cells and member rules),
    ``_compare_members`` (against the roll), ``_preview_members``,
    ``_write_members``, ``_audit_members``, ``_record_transfers``; each reads
    what the ones before it filled in.
    """

    table: Table
    index: dict[str, int]  # field name → column position
    headers: dict[str, str]  # field name → header text
    user: Any
    dry_run: bool
    report: ImportReport
    errors: RowErrors
    step: Progress
    organizations: dict[str, int] = field(default_factory=dict)  # code → pk, in scope
    # The good rows, by number (a number's line is ``first_line[number]``): one
    # object a row, no wrapper, as each costs time in the hot loop. Comparing
    # takes the rows found on the roll out, so what is left are the new members
    # (``creates`` is the same dict: a city's roll is not held twice).
    rows: dict[str, MemberValues] = field(default_factory=dict)
    first_line: dict[str, int] = field(default_factory=dict)  # number → line
    creates: dict[str, MemberValues] = field(default_factory=dict)  # by number
    updates: list[MemberUpdate] = field(default_factory=list)  # in file order
    now: dt.datetime = field(default_factory=timezone.now)


def import_members(
    table: Table, *, user, dry_run: bool, progress: Progress | None = None
) -> ImportReport:
    """Validate every row, then create or update members in one transaction."""
    job = _prepare(
        _MemberImport,
        "members",
        MemberResource,
        table,
        user=user,
        dry_run=dry_run,
        progress=progress,
    )
    if isinstance(job, ImportReport):  # the headers are wrong: nothing more to check
        return job
    report, errors = job.report, job.errors
    # Column values are matched against the Chinese labels (党支部, 正式党员),
    # whatever language the importer's page is in.
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        if not dry_run:
            # Two commits of one file at once: the second waits, then finds the
            # first one's members (unchanged) instead of a UniqueViolation.
            lock_tree(MEMBER_IMPORT_LOCK_KEY)
        job.step(5, _("正在校验"))
        _import_members(job)
        report.errors = list(errors)
        if errors or dry_run:
            transaction.set_rollback(True)
    return report


def _import_members(job: _MemberImport) -> None:
    _resolve_scope(job)
    with gc_paused():  # the two steps that keep an object per row
        _read_members(job)
        if job.errors:
            return
        job.step(40, _("正在比对"))
        _compare_members(job)
    if job.errors:
        return
    _preview_members(job)
    if job.dry_run or not (job.creates or job.updates):
        return
    job.step(50, _("正在写入"))
    job.now = timezone.now()
    _write_members(job)
    job.step(75, _("正在记录审计"))
    _audit_members(job)
    job.step(85, _("正在记录组织关系转接"))
    _record_transfers(job)
    tallies.recount([tallies.MEMBERS])
    job.step(95, _("写入完成"))


def _resolve_scope(job: _MemberImport) -> None:
    """The organisations a row may name: every one the importer may import into, by code."""
    user = job.user
    ranges = None if user is None else selectors.grant_ranges(user, selectors.IMPORT)
    orgs = job.organizations
    for pk, code, tree_id, lft, rght in Organization.objects.values_list(
        "pk", "code", "tree_id", "lft", "rght"
    ):
        if ranges is None or any(t == tree_id and a <= lft and rght <= b for t, a, b in ranges):
            orgs[code] = pk


def _read_members(job: _MemberImport) -> None:
    """Check every row's cells and the member rules; the good rows go to ``job.rows``.

    The hot loop of an import (75,000 rows in well under a second): cells are
    unpacked into locals once, and choices and organisations are dict lookups.
    """
    errors, h, orgs = job.errors, job.headers, job.organizations
    genders = {str(label): value for value, label in Member.Gender.choices}
    categories = {str(label): value for value, label in Member.Category.choices}
    categories.update({"正式": Member.Category.FULL, "预备": Member.Category.PROBATIONARY})
    today = timezone.localdate()
    first_line, rows = job.first_line, job.rows
    cols = [job.index[name] for name in MEMBER_COLUMNS]
    width = max(cols) + 1
    text_only = job.table.all_text
    streamed = not isinstance(job.table.rows, list)
    total = len(job.table.rows)
    for i, raw in enumerate(job.table.rows):
        line = job.table.line(i)
        if len(raw) < width:
            raw = list(raw) + [""] * (width - len(raw))
        if not text_only:
            raw = [v if type(v) is str else cell_text(v) for v in raw]
        number, name, gender, birth, joined, category, org_code, post, mobile = [
            raw[c] for c in cols
        ]
        bad = len(errors)
        number = number.strip()
        if _check_code(errors, line, h["number"], number):
            if number in first_line:
                errors.add(
                    line, h["number"], number, _("与第 %(n)s 行重复") % {"n": first_line[number]}
                )
            else:
                first_line[number] = line
        name = sys.intern(name.strip())  # names and posts repeat: one object each (memory)
        if not name:
            errors.add(line, h["name"], name, _("不能为空"))
        elif len(name) > 32:
            errors.add(line, h["name"], name, _("不能超过 32 个字符"))
        gender_value = genders.get(gender.strip())
        if gender_value is None:
            errors.add(line, h["gender"], gender, _("性别应为“男”或“女”"))
        birth_date = _member_date(errors, line, h["birth_date"], birth)
        joined_on = _member_date(errors, line, h["joined_on"], joined)
        category_value = categories.get(category.strip())
        if category_value is None:
            errors.add(line, h["category"], category, _("党员类别应为“正式党员”或“预备党员”"))
        org_id = orgs.get(org_code.strip())
        if org_id is None:
            errors.add(
                line,
                h["organization_code"],
                org_code,
                _("党组织代码不存在或不在您的管辖范围内") if org_code.strip() else _("不能为空"),
            )
        post = sys.intern(post.strip())
        if len(post) > 64:
            errors.add(line, h["post"], post, _("不能超过 64 个字符"))
        mobile = mobile.strip()
        problems = member_problems(
            birth_date=birth_date, joined_on=joined_on, mobile=mobile, today=today
        )
        if problems:
            shown = {"birth_date": birth, "joined_on": joined, "mobile": mobile}
            for field_name, message in problems:
                errors.add(line, h[field_name], shown[field_name], message)
        # Each value is None only when its error was added; the test narrows the types.
        good = len(errors) == bad
        if good and gender_value and birth_date and joined_on and category_value and org_id:
            rows[number] = MemberValues(
                name, gender_value, birth_date, joined_on, category_value, org_id, post, mobile
            )
        elif errors.full:
            return
        if i % 20000 == 19999:
            job.step(5 + 35 * i // total, _("正在校验"))
        if streamed and i % 5000 == 4999:
            # The streaming reader leaves reference cycles behind, which the
            # paused collector would keep until the end: collect the young
            # objects (the rows kept so far are old and not walked again).
            gc.collect(0)
    # A streamed sheet's length was its extent; what was read is exact.
    job.report.total = len(job.table.lines) if job.table.lines is not None else len(job.table.rows)


def _compare_members(job: _MemberImport) -> None:
    """Look the file's numbers up on the roll: each row creates, updates or changes nothing.

    A number already used outside the importer's scope is refused, not moved in.
    Each stored member is compared as it is read and only a changed one is
    kept (a re-import of an unchanged city held the whole roll a second time).
    """
    rows, first_line = job.rows, job.first_line
    roll = Member.objects.values_list("pk", "number", *MEMBER_FIELDS)
    if len(rows) > 2000:
        # One pass over the roll beats tens of thousands of IN parameters.
        stored: Iterable[Any] = (r for r in roll.iterator(chunk_size=20000) if r[1] in rows)
    else:
        stored = (
            r for chunk in iter_chunks(list(rows), 1000) for r in roll.filter(number__in=chunk)
        )
    in_scope = set(job.organizations.values())
    outside = []
    for pk, number, *values in stored:
        row = rows.pop(number)
        before = MemberValues._make(values)
        if before == row:
            job.report.unchanged += 1
        elif before.organization_id not in in_scope:
            outside.append(number)
        else:
            job.updates.append(MemberUpdate(pk, number, row, before))
    for number in sorted(outside, key=first_line.__getitem__):
        job.errors.add(
            first_line[number],
            job.headers["number"],
            number,
            _("党员编号已被您管辖范围以外的党组织使用"),
        )
    job.updates.sort(key=lambda u: first_line[u.number])
    job.creates = rows  # what the roll did not have, in file order


def _preview_members(job: _MemberImport) -> None:
    report, first_line = job.report, job.first_line
    report.created = len(job.creates)
    report.updated = len(job.updates)
    report.preview = [
        {"row": first_line[number], "action": "新增", "key": number, "name": values.name}
        for number, values in islice(job.creates.items(), PREVIEW_ROWS)
    ] + [
        {"row": first_line[u.number], "action": "更新", "key": u.number, "name": u.values.name}
        for u in job.updates[:PREVIEW_ROWS]
    ]


def _record_transfers(job: _MemberImport) -> None:
    """A member whose row names another organisation has moved: record 组织关系转接."""
    user = job.user
    moved = [
        (u.pk, u.old_organization_id, u.values.organization_id)
        for u in job.updates
        if u.old_organization_id != u.values.organization_id
    ]
    MemberTransfer.objects.bulk_create(
        [
            MemberTransfer(
                member_id=pk,
                from_organization_id=old,
                to_organization_id=new,
                transferred_on=timezone.localdate(),
                recorded_at=job.now,
                recorded_by=user if getattr(user, "is_authenticated", False) else None,
                note="批量导入",
            )
            for pk, old, new in moved
        ],
        batch_size=2000,
    )
    hooks.members_moved(pk for pk, _, _ in moved)


_parsed_dates: dict[str, dt.date | str] = {}


def _audit_members(job: _MemberImport) -> None:
    """Audit an import's members: one entry per organisation and action.

    An entry lists every member it covers: created ones by number and name,
    changed ones field by field with the values before and after. One entry
    per row cost 5 s on top of a 3 s import of 75,000 members (measured with
    benchmarks/import_district.py); grouped entries cost a fraction of that.
    """
    # Created rows are named (number and name), not copied value by value: the
    # values are the member's record as created, and every later change is
    # audited with its before and after. Copying them cost a third of an
    # import's time (0.9 s of 3.2 s for 75,000 rows, benchmarks/import_district.py).
    groups: dict[tuple[str, int], list[Any]] = {}
    for number, values in job.creates.items():
        key = (audit.Action.CREATE, values.organization_id)
        groups.setdefault(key, []).append((number, values.name))
    for update in job.updates:
        for name, old, new in zip(MEMBER_FIELDS, update.before, update.values, strict=True):
            if old != new:
                groups.setdefault((audit.Action.UPDATE, update.values.organization_id), []).append(
                    (update.number, update.values.name, name, old, new)
                )

    def rows():
        for (action, organization_id), items in groups.items():
            if action == audit.Action.CREATE:
                text = f"批量导入新增 {len(items)} 名党员"
                header: tuple[str, ...] = ("number", "name")
            else:
                text = f"批量导入修改 {len({item[0] for item in items})} 名党员"
                header = ("number", "name", "field", "before", "after")
            changes = {"count": len(items)}
            yield (
                action,
                "orgs.member",
                "",
                text,
                organization_id,
                changes,
                audit.bulk_csv(header, items),
            )

    audit.record_many(rows())


def _member_date(errors: RowErrors, line: int, header: str, value: str) -> dt.date | None:
    """The cell as a date; its bounds are a member rule (``orgs.rules``)."""
    if not value:
        errors.add(line, header, value, _("不能为空"))
        return None
    day = _parsed_dates.get(value)  # a roll repeats dates a lot: parse each text once
    if day is None:
        try:
            day = parse_date(value)
        except ValueError as exc:
            day = str(exc)
        if len(_parsed_dates) < 100_000:
            _parsed_dates[value] = day
    if isinstance(day, str):
        errors.add(line, header, value, day)
        return None
    return day


def _write_members(job: _MemberImport) -> None:
    if connection.vendor == "postgresql":
        _copy_members(job)
        return
    now = job.now
    Member.objects.bulk_create(
        [
            Member(number=number, created_at=now, updated_at=now, **values._asdict())
            for number, values in job.creates.items()
        ],
        batch_size=2000,
    )
    Member.objects.bulk_update(
        [
            Member(pk=u.pk, number=u.number, updated_at=now, **u.values._asdict())
            for u in job.updates
        ],
        [*MEMBER_FIELDS, "updated_at"],
        batch_size=500,
    )


def _copy_members(job: _MemberImport) -> None:
    """PostgreSQL COPY for new rows, and COPY into a temporary table for updates."""
    table = Member._meta.db_table
    column_names = ["number", *MEMBER_FIELDS]  # attribute names are the column names

    def as_csv(rows) -> "_CsvStream":
        return _CsvStream(rows)

    # Flags and timestamps come from the columns' database defaults (false, now()).
    # In CSV format an unquoted empty field is NULL; blank text columns must stay "".
    not_null = "FORCE_NOT_NULL (number, name, gender, category, post, mobile)"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if job.creates:
            data = as_csv((number, *values) for number, values in job.creates.items())
            raw.copy_expert(
                f"COPY {table} ({', '.join(column_names)}) FROM STDIN WITH (FORMAT csv, {not_null})",
                data,
            )
        if job.updates:
            cursor.execute(
                f"CREATE TEMP TABLE member_import (id bigint, {', '.join(c + ' text' for c in column_names)}) ON COMMIT DROP"
            )
            raw.copy_expert(
                f"COPY member_import (id, {', '.join(column_names)}) FROM STDIN WITH (FORMAT csv, {not_null})",
                as_csv((u.pk, u.number, *u.values) for u in job.updates),
            )
            casts = {"birth_date": "date", "joined_on": "date", "organization_id": "bigint"}
            assignments = ", ".join(
                f"{c} = member_import.{c}::{casts.get(c, 'text')}" for c in column_names[1:]
            )
            cursor.execute(
                f"UPDATE {table} SET {assignments}, updated_at = %s FROM member_import WHERE {table}.id = member_import.id",
                [job.now],
            )


class _CsvStream(io.RawIOBase):
    """Rows as CSV text for ``COPY … FROM STDIN``, made as COPY reads them, a
    few thousand at a time: the whole file as one buffer was the largest
    thing a city-size import held (360,000 rows)."""

    def __init__(self, rows, batch: int = 5000) -> None:
        self.rows = iter(rows)
        self.batch = batch
        self.pending = ""
        self.done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:  # type: ignore[override]
        while not self.done and (size < 0 or len(self.pending) < size):
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            chunk = list(islice(self.rows, self.batch))
            if not chunk:
                self.done = True
                break
            writer.writerows(chunk)
            self.pending += buffer.getvalue()
        if size < 0:
            size = len(self.pending)
        text, self.pending = self.pending[:size], self.pending[size:]
        return text
