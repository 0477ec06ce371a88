"""Background work for the orgs app: imports and exports, run through core.jobs.

Both kinds re-apply the scoping rule with the user who started the job, so a
job can never reach further than its starter could in a request.
"""

from django.utils.translation import gettext_lazy as _

from core import audit, documents
from core.imports import TEMPLATES, recognise
from core.jobs import JobError, job_input_table, job_save_output, previews_only, register
from core.models import Job
from core.tabular import write_table
from orgs import importers, selectors
from orgs.resources import MemberResource, OrganizationResource

IMPORTERS = {
    "organizations": importers.import_organizations,
    "members": importers.import_members,
}


@register(
    "import",
    _("导入"),
    allowed=lambda user: selectors.can_anywhere(user, selectors.IMPORT),
    source=audit.Source.IMPORT,
    rerun=previews_only,
)
def run_import(job: Job, report) -> None:
    """Dry-run or commit an uploaded organisation/member file."""
    target = job.params["target"]
    user = job.created_by
    report(2, _("正在读取文件"))
    # The member import reads its rows once: a long sheet streams (core.tabular).
    table = job_input_table(job, target, stream=target == "members")
    # The page's 导入内容 defaults to 党组织: a file whose headers are the other
    # template's is imported as what it is, and the preview says so. The
    # choice is kept in the job, so its confirmation imports the same.
    recognised = recognise(table.headers, among=IMPORTERS)
    if recognised is not None and recognised != target:
        job.params = {**job.params, "target": recognised, "chosen_target": target}
        job.save(update_fields=["params"])
        target = recognised
        table = job_input_table(job, target, stream=target == "members")
    result = IMPORTERS[target](table, user=user, dry_run=job.params["dry_run"], progress=report)
    chosen = job.params.get("chosen_target")
    if chosen:
        result.notes.append(
            _("按表头识别为「%(label)s」文件（上传时选择的是「%(chosen)s」）")
            % {"label": TEMPLATES[target].label, "chosen": TEMPLATES[chosen].label}
        )
    job.result = result.as_dict()
    job.save(update_fields=["result"])
    if not result.ok:
        raise JobError(_("文件中有 %(n)s 处错误，未写入任何数据") % {"n": len(result.errors)})


EXPORTS = {
    "organizations": (OrganizationResource, "党组织"),
    "members": (MemberResource, "党员"),
}


def export_reach(job: Job, user) -> bool:
    """The downloader must still see every organisation whose subtree the file
    was made from, as the handler recorded them: a file made for a subtree is
    not handed out once the grant that reached it has moved away."""
    result = job.result if isinstance(job.result, dict) else {}
    return selectors.sees_all(user, result.get("reach"))


@register(
    "export",
    _("导出"),
    allowed=lambda user: selectors.can_anywhere(user, selectors.EXPORT),
    reach=export_reach,
)
def run_export(job: Job, report) -> None:
    """Write what the starter can see (with the list's filters) to XLSX or CSV."""
    target, fmt = job.params["target"], job.params["format"]
    user = job.created_by
    assert user is not None  # job_run checked the starter's export right
    resource_class, title = EXPORTS[target]
    filters = job.params.get("filters", {})
    if target == "members":
        queryset = selectors.filtered_members(user, filters)
        reach = selectors.reach_of(user, filters.get("organization"))
    else:
        queryset = selectors.organizations_for(user).order_by("tree_id", "lft")
        reach = selectors.reach_of(user)
    report(10, _("正在读取数据"))
    dataset = resource_class().export(queryset=queryset)
    report(70, _("正在生成文件"))
    rows = [list(row) for row in dataset]
    content, _content_type = write_table(fmt, dataset.headers, rows, title=title)
    job_save_output(job, documents.file_name(title, ext=fmt), content)
    job.result = {"rows": len(rows), "reach": reach}
    job.save(update_fields=["result"])
