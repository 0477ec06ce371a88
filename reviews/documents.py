"""讲评 documents and the results export, made by jobs (as pledges' poster,
summary and export are).

- ``review_report``: the 讲评报告 of one organisation in one round: the round,
  the organisation's own result and breakdown (when it is a subject), its
  members' results (a branch in a members' round), and the 点评 comments and
  opinions on it and its members.
- ``review_reports_zip``: those reports for every organisation of a subtree
  with results the starter may read, one PDF each, in one ZIP.
- ``review_export``: the results page's rows (same filters, same order) as
  XLSX or CSV.

Who may read what is ``reviews.selectors.results_for``, applied again with the
job's starter when the job runs and with the downloader when the file is
fetched (the organisations the file was made from are recorded as its reach).
What the documents never print: who gave an opinion of an anonymous kind
(``reviews.choices.ANONYMOUS``: those opinions carry no name and are sorted by
their text, not by when they came), an anonymous kind's opinions while it has
fewer evaluators than the kind's minimum (as its mean is not kept), and any
single evaluator's score (only the stored means are read).

Documents are issued by the organisation running the round (its 发文机关 and
文号). A ZIP's reports share the job's one 文号: they are issued together, one
通报 to the subtree with a report per unit (as the 承诺汇总表's parts share one).
"""

from collections import Counter
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core import documents, pdf
from core.jobs import JobError, job_save_output, register
from core.models import Job
from core.tabular import write_table
from orgs import selectors as org_selectors
from orgs.models import Organization
from reviews.choices import ANONYMOUS, EvaluatorKind
from reviews.models import KindEvaluator, Review, ReviewKind, ReviewRound, ScoreSheet
from reviews.selectors import results_filtered, results_for, rounds_for

REPORT = "review_report"
REPORTS_ZIP = "review_reports_zip"
EXPORT = "review_export"
FORMATS = ("xlsx", "csv")


# ------------------------------------------------------------------ scope


def readable_round(user: Any, pk: Any) -> tuple[ReviewRound, QuerySet[Review]] | None:
    """The round and the results the user may read in it; None when they may read
    none (a round outside their reach, or results not yet theirs to read)."""
    round_ = (
        rounds_for(user)
        .select_related("kind__rubric", "organization__parent")
        .filter(pk=pk)
        .first()
    )
    if round_ is None:
        return None
    found = results_for(user, round_)
    return None if found is None else (round_, found)


def _scoped(job: Job) -> tuple[ReviewRound, QuerySet[Review]]:
    """The job's round and readable results, looked up again with its starter."""
    return documents.recheck(
        job,
        lambda user: readable_round(user, job.params.get("round")),
        missing=str(_("评议轮次不存在，或其结果尚未公布、不在您可查看的范围内")),
    )


def _results_reach(job: Job, user: Any) -> bool:
    """The downloader must still read the results of every organisation the file
    was made from (recorded by the handler as ``reach``)."""
    result = job.result if isinstance(job.result, dict) else {}
    recorded = result.get("reach")
    if recorded is None:  # nothing recorded: not handed out
        return False
    scoped = readable_round(user, job.params.get("round"))
    if scoped is None:
        return False
    visible = set(scoped[1].order_by().values_list("organization_id", flat=True).distinct())
    return set(recorded) <= visible


# ------------------------------------------------------------------ the report


def _part(entry: dict[str, Any], evaluator: KindEvaluator) -> dict[str, Any]:
    """One evaluator kind's line of a breakdown, as the document prints it."""
    n = entry.get("n", 0)
    if entry.get("shown"):
        text = entry.get("mean", "")
    elif n:
        text = str(_("人数不足"))
    else:
        text = "—"
    return {
        "label": evaluator.get_evaluator_display(),
        "weight": evaluator.weight,
        "n": n,
        "shown": bool(entry.get("shown")),
        "text": text,
        "used_weight": entry.get("used_weight", ""),
    }


def _parts(review: Review, evaluators: list[KindEvaluator]) -> list[dict[str, Any]]:
    return [_part(review.breakdown.get(e.evaluator, {}), e) for e in evaluators]


def _signers(sheets: list[ScoreSheet]) -> dict[str, str]:
    """Names of who gave the opinions of the kinds that are signed: ``o<id>`` a unit,
    ``u<id>`` a person (a 领导点评). Never asked for an anonymous kind's keys."""
    units = {s.evaluator_key[1:] for s in sheets if s.evaluator_key.startswith("o")}
    people = {s.evaluator_key[1:] for s in sheets if s.evaluator_key.startswith("u")}
    names: dict[str, str] = {}
    for pk, name in Organization.objects.filter(
        pk__in=[int(k) for k in units if k.isdigit()]
    ).values_list("pk", "name"):
        names[f"o{pk}"] = name
    for user in get_user_model().objects.filter(pk__in=[int(k) for k in people if k.isdigit()]):
        names[f"u{user.pk}"] = user.get_full_name() or user.get_username()
    return names


def opinions(reviews: list[Review], evaluators: list[KindEvaluator]) -> list[dict[str, Any]]:
    """The submitted opinions on each review, grouped by subject then evaluator kind.

    Signed kinds name their unit or person; an anonymous kind's opinions carry no
    name, are sorted by their text (not by when they came, which could point at
    who wrote them), and are left out while the kind is below its minimum number
    of evaluators (``shown`` false in the stored breakdown), as its mean is.
    """
    order = {e.evaluator: i for i, e in enumerate(evaluators)}
    by_review: dict[int, list[ScoreSheet]] = {r.pk: [] for r in reviews}
    sheets = list(
        ScoreSheet.objects.filter(
            review__in=[r.pk for r in reviews], state=ScoreSheet.State.SUBMITTED
        )
        .exclude(opinion="")
        .only("review_id", "evaluator", "evaluator_key", "opinion", "submitted_at", "pk")
        .order_by("submitted_at", "pk")
    )
    for sheet in sheets:
        by_review[sheet.review_id].append(sheet)
    signers = _signers([s for s in sheets if s.evaluator not in ANONYMOUS])
    groups = []
    for review in reviews:
        kinds: dict[str, list[dict[str, str]]] = {}
        withheld: list[str] = []
        for sheet in by_review[review.pk]:
            anonymous = sheet.evaluator in ANONYMOUS
            if anonymous and not review.breakdown.get(sheet.evaluator, {}).get("shown"):
                if sheet.evaluator not in withheld:
                    withheld.append(sheet.evaluator)
                continue
            by = "" if anonymous else signers.get(sheet.evaluator_key, "")
            if sheet.evaluator == EvaluatorKind.SELF:
                by = ""  # the subject's own statement
            kinds.setdefault(sheet.evaluator, []).append({"by": by, "text": sheet.opinion})
        if not kinds and not withheld:
            continue
        lines = []
        for evaluator in sorted(kinds, key=lambda e: order.get(e, len(order))):
            entries = kinds[evaluator]
            if evaluator in ANONYMOUS:
                entries = sorted(entries, key=lambda entry: entry["text"])
            lines.append({"label": EvaluatorKind(evaluator).label, "entries": entries})
        groups.append(
            {
                "subject": review.subject_name,
                "kinds": lines,
                "withheld": [str(EvaluatorKind(e).label) for e in withheld],
            }
        )
    return groups


def _number(review: Review) -> str:
    return review.member.number if review.member else ""


def report_context(
    round_: ReviewRound, organization: Organization, found: QuerySet[Review]
) -> dict[str, Any]:
    """What a 讲评报告 shows of one organisation, from the results the reader may read."""
    kind: ReviewKind = round_.kind
    evaluators = list(kind.evaluators.all())
    reviews = list(found.filter(organization=organization))
    own = next((r for r in reviews if r.member_id is None), None)
    members = sorted(
        (r for r in reviews if r.member is not None),
        key=lambda r: (r.composite is None, -(r.composite or Decimal(0)), _number(r)),
    )
    grades = [g.label for g in kind.grades.all()]
    counted = Counter(r.grade for r in members if r.grade)
    scored = [r.composite for r in members if r.composite is not None]
    present = ["basic", *(["own"] if own else []), *(["members"] if members else []), "opinions"]
    return {
        "n": dict(zip(present, "一二三四", strict=False)),
        "round": round_,
        "kind": kind,
        "campaign": round_.campaign,
        "organization": organization,
        "evaluators": evaluators,
        "bands": list(kind.grades.all()),
        "published": round_.state == ReviewRound.State.PUBLISHED,
        "own": own,
        "own_parts": _parts(own, evaluators) if own else [],
        "members": [{"review": r, "parts": _parts(r, evaluators)} for r in members],
        "member_count": len(members),
        "distribution": [(g, counted[g]) for g in grades if counted[g]],
        "ungraded": sum(1 for r in members if not r.grade),
        "average": (sum(scored, Decimal(0)) / len(scored)).quantize(Decimal("0.01"))
        if scored
        else None,
        "opinions": opinions(([own] if own else []) + members, evaluators),
        "heading": report_heading(round_),
        "min_evaluators": kind.min_evaluators,
        # The anonymous kinds this kind uses: the notes on 人数不足 name only those.
        "anonymous": "、".join(
            str(e.get_evaluator_display()) for e in evaluators if e.evaluator in ANONYMOUS
        ),
    }


def report_title(round_: ReviewRound, organization: Organization) -> str:
    """第一党支部2010年第四季度党员民主评议讲评报告."""
    return f"{organization.name}{report_heading(round_)}"


def report_heading(round_: ReviewRound) -> str:
    """The report's name after the organisation's: a round named as a 讲评 is not
    said twice (2010年第二季度讲评（党支部）报告)."""
    return f"{round_.name}{'报告' if '讲评' in round_.kind.name else '讲评报告'}"


def render_report(round_: ReviewRound, organization: Organization, found, head) -> bytes:
    context = report_context(round_, organization, found)
    return pdf.render_pdf("pdf/review_report.html", {**context, **head})


def _record(job: Job, round_: ReviewRound, head: dict[str, Any], **result: Any) -> None:
    job.result = {"round": round_.pk, "document_number": head["doc_number"], **result}
    job.save(update_fields=["result"])


@register(REPORT, _("讲评报告"), reach=_results_reach)
def run_report(job: Job, report: Any) -> None:
    """One organisation's 讲评报告 in a round, issued by the organisation running it."""
    round_, found = _scoped(job)
    organization = Organization.objects.filter(pk=job.params.get("organization")).first()
    if organization is None or not found.filter(organization=organization).exists():
        raise JobError(_("该党组织不在您可查看的评议结果范围内"))
    report(10, "正在生成讲评报告")
    with documents.issuing(
        job, round_.organization.as_organ(), title=report_title(round_, organization)
    ) as head:
        data = render_report(round_, organization, found, head)
        name = documents.file_name("讲评报告", code=organization.code, ext="pdf")
        job_save_output(job, name, data)
        _record(job, round_, head, organization=organization.name, reach=[organization.pk])


def report_organizations(found: QuerySet[Review], root: Organization) -> list[Organization]:
    """The organisations of ``root``'s subtree with results in ``found``, in tree order:
    the subjects of a units' round, the branches of a members' round."""
    ids = org_selectors.in_subtree(found, root, "organization__").values("organization_id")
    return list(Organization.objects.filter(pk__in=ids).order_by("lft"))


@register(REPORTS_ZIP, _("讲评报告（批量）"), reach=_results_reach)
def run_reports_zip(job: Job, report: Any) -> None:
    """The 讲评报告 of every organisation of a subtree whose results the starter may
    read, one PDF each, in one ZIP. At most ``REVIEW_REPORTS_MAX_FILES`` reports a
    job, so one job stays well inside the task's time limit; a larger subtree is
    asked for child by child."""
    round_, found = _scoped(job)
    root = Organization.objects.filter(pk=job.params.get("organization")).first()
    if root is None or not org_selectors.contains(round_.organization, root):
        raise JobError(_("党组织不在这一轮评议的范围内"))
    report(2, "正在统计党组织")
    organizations = report_organizations(found, root)
    if not organizations:
        raise JobError(_("“%(unit)s”之下没有您可查看的评议结果") % {"unit": root.name})
    limit = settings.REVIEW_REPORTS_MAX_FILES
    if len(organizations) > limit:
        raise JobError(
            _("“%(unit)s”之下有 %(n)s 个党组织，超过一次最多 %(max)s 份：请按下级党组织分别生成")
            % {"unit": root.name, "n": len(organizations), "max": limit}
        )
    title = f"{root.name}{round_.period}{round_.kind.name}讲评报告"
    files: list[tuple[str, bytes]] = []
    with documents.issuing(job, round_.organization.as_organ(), title=title) as head:
        for number, organization in enumerate(organizations, start=1):
            report(
                2 + 94 * (number - 1) // len(organizations),
                f"正在生成第 {number}/{len(organizations)} 份：{organization.name}",
            )
            data = render_report(round_, organization, found, head)
            files.append(
                (
                    documents.file_name(
                        "讲评报告", code=organization.code, ext="pdf", stamped=False
                    ),
                    data,
                )
            )
        report(97, "正在打包")
        content = documents.zip_files(files)
        job_save_output(job, documents.file_name("讲评报告", code=root.code, ext="zip"), content)
        _record(
            job,
            round_,
            head,
            organization=root.name,
            files=len(files),
            bytes=len(content),
            reach=[o.pk for o in organizations],
        )


# ------------------------------------------------------------------ the export


def export_rows(round_: ReviewRound, reviews: QuerySet[Review]) -> tuple[list[str], list[list]]:
    """The headers and rows of the results export: the page's columns, a mean per
    evaluator kind (人数不足 below the minimum, as the page says)."""
    evaluators = list(round_.kind.evaluators.all())
    headers = [
        "评议对象",
        "党员编号",
        "党组织",
        "组织代码",
        "综合得分",
        "等次",
        "上级内排名",
        "领域内排名",
        *[f"{e.get_evaluator_display()}（权重{e.weight}）" for e in evaluators],
    ]
    rows = []
    for review in reviews.iterator(chunk_size=2000):
        unit = review.organization
        means = []
        for part in _parts(review, evaluators):
            means.append(Decimal(part["text"]) if part["shown"] else part["text"].strip("—"))
        rows.append(
            [
                review.subject_name,
                review.member.number if review.member else "",
                unit.name if review.member_id else (unit.parent.name if unit.parent else ""),
                unit.code,
                review.composite,
                review.grade,
                review.rank_in_parent,
                review.rank_in_sector,
                *means,
            ]
        )
    return headers, rows


@register(
    EXPORT,
    _("评议结果导出"),
    allowed=lambda user: org_selectors.can_anywhere(user, org_selectors.EXPORT),
    reach=_results_reach,
)
def run_export(job: Job, report: Any) -> None:
    """The round's results as the page shows them (its filters, its order)."""
    round_, found = _scoped(job)
    report(10, "正在读取评议结果")
    reviews = results_filtered(found, round_, job.params.get("filters", {}))
    headers, rows = export_rows(round_, reviews)
    report(70, "正在生成文件")
    fmt = job.params["format"]
    content, _type = write_table(fmt, headers, rows, title="评议结果")
    job_save_output(
        job, documents.file_name("评议结果", code=round_.organization.code, ext=fmt), content
    )
    reach = sorted(set(reviews.order_by().values_list("organization_id", flat=True).distinct()))
    job.result = {"round": round_.pk, "rows": len(rows), "reach": reach}
    job.save(update_fields=["result"])
