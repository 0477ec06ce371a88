"""Benchmark: the 承诺汇总表 of 1,000 pledges and 500 公示栏 posters (WeasyPrint, Noto CJK).

What it measures, each case in a fresh subprocess so that its peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is that case's own:

* summary: ``pledges.jobs.summary_rows`` + ``core.pdf.render_pdf("pdf/pledge_summary.html")``
  with the context ``run_summary`` builds, for a street of 50 branches holding
  1,000 published pledges (per branch: 1 unit pledge + 19 member pledges, 2–4
  items each). A fresh process first renders one branch's summary (the cold
  first render: fonts loaded, caches filled), then the whole street ``--repeat``
  times (default 3); the median is shown. Query time (summary_rows) and render
  time (render_pdf) are reported apart; the target applies to their sum.
* posters: one process = one worker. For each of 500 branches (1 unit pledge +
  8 member pledges each) ``pledges.jobs.poster_context`` (the board's queries
  and the QR code) + the 文号 (``core.documents.issuing``) +
  ``render_pdf("pdf/pledge_poster.html")``, as ``run_poster`` does, minus
  saving the file. The clock covers all 500, the cold first one
  included, and the collection ``core.pdf.html_to_pdf`` runs after each document.
* where render_pdf's time goes, from thin timers around its steps (the code
  measured is unchanged): template → HTML, parse + cascade + layout
  (WeasyPrint's ``Document._render``), PDF output with font subsetting
  (``Document.write_pdf``); when a target is missed (or with ``--profile``) a
  cProfile of render_pdf on 200 of the pledges, own time summed by package.

Pages are counted with ``pypdf`` if installed, else ``pdfinfo`` (poppler-utils),
outside the clock. The data is written with ``bulk_create`` (nested-set
numbers computed in Python), not through the services. It prints figures and a
PASS/MISS per target of the issue; it asserts nothing. Other load slows every
figure: the load average is printed before and after.

    .venv/bin/python benchmarks/pdf_documents.py [--postgres] [--repeat N] [--posters N]
                                                 [--profile]

SQLite in ``/tmp/bench_pdf.sqlite3`` by default (deleted at the end); with
``--postgres`` the scratch database ``bench_pdf`` on ``BENCH_PG_URL`` (default
``postgresql://root@127.0.0.1:5432``), created and dropped here.
"""

import argparse
import cProfile
import datetime as dt
import json
import os
import platform
import pstats
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _child

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://root@127.0.0.1:5432").rstrip("/")
SCRATCH_DB = "bench_pdf"
SQLITE_PATH = Path("/tmp/bench_pdf.sqlite3")

# Targets from the issue.
SUMMARY_SECONDS = 10.0
SUMMARY_RSS_MB = 400
POSTERS_PER_SECOND = 5.0

# The data set.
SUMMARY_BRANCHES = 50
SUMMARY_MEMBER_PLEDGES = 19  # + 1 unit pledge = 20 per branch, 1,000 in all
POSTER_BRANCHES = 500
POSTER_MEMBER_PLEDGES = 8  # + 1 unit pledge per branch
BRANCHES_PER_STREET = 50
SUMMARY_STREET = "MH-JD01"
PROFILE_BRANCHES = 10  # the cProfile runs on 10 of the 50 branches (200 pledges)

PRODUCTION_LIKE = {"DEBUG": "false", "SECRET_KEY": "benchmark-only", "SECURE_SSL_REDIRECT": "false"}


# ------------------------------------------------------------------ test data

LEADS_MEMBER = [
    "每月至少参加一次社区志愿服务，帮助辖区内孤寡老人和困难家庭解决生活中的实际困难",
    "认真学习党的十七大和十七届四中全会精神，撰写学习心得体会，在支部组织生活会上交流",
    "立足本职岗位创先争优，带头钻研业务技能，努力做到业务精通、服务优质、群众满意",
    "结对帮扶一名困难党员或困难群众，定期上门走访，帮助解决就业、就医、就学等方面的问题",
    "带头遵守社会公德和家庭美德，积极调解邻里纠纷，促进楼道和睦、社区和谐稳定",
    "主动联系五户群众，听取意见建议，及时向党支部反映群众关心的热点难点问题",
    "带头参与文明城市创建活动，劝导不文明行为，维护小区环境卫生和公共秩序",
    "在本岗位上开展技术革新和合理化建议活动，提出改进工作的意见建议并推动落实",
    "按时足额缴纳党费，按时参加组织生活，认真完成党支部交办的各项工作任务",
    "发挥专业特长，为辖区居民开展义诊、法律咨询或家电维修等便民服务活动",
]
LEADS_UNIT = [
    "建立健全党员联系服务群众制度，每名党员联系三至五户群众，每季度至少走访一次",
    "开展“党员先锋岗”“党员责任区”创建活动，设立党员先锋岗，亮明身份、接受监督",
    "完善党务公开制度，定期在公示栏公开党费收缴、党员发展和重大事项决策情况",
    "围绕辖区中心工作办好三件实事，重点解决老旧小区道路破损和路灯照明不足问题",
    "加强基层组织阵地建设，规范党员活动室，每月组织一次主题党日活动并做好记录",
    "组建党员志愿服务队，开展环境整治、治安巡逻、助老助残等志愿服务活动",
    "落实“三会一课”制度，党员大会每季度召开一次，支委会每月召开一次，按时上好党课",
    "做好流动党员管理服务，建立流动党员档案，保持经常联系，确保组织生活不断线",
]
TAILS = [
    "，全年不少于十二次",
    "，做到有记录、有反馈",
    "，年底前完成并接受群众评议",
    "，每季度向党支部汇报一次进展情况",
    "，力争群众满意率达到百分之九十以上",
    "",
    "，确保取得实效",
    "，并在公示栏公布办理结果",
]
MIDDLES = [
    "，主动亮明党员身份，自觉接受群众监督",
    "，建立工作台账",
    "，邀请群众代表参与评议",
    "，与驻区单位共驻共建",
]
VERIFICATIONS = [
    "支部组织生活会通报",
    "群众评议",
    "查阅活动记录",
    "上级党组织检查",
    "服务对象满意度测评",
    "公示栏公示进展",
    "党员大会民主评议",
    "走访群众核实",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞志海燕春梅晓东波宁琳雪峰亮斌俊凯云丹婷健林颖"


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _item_texts(rng: random.Random, leads: list[str], count: int) -> list[str]:
    """``count`` different 承诺事项 of 30–80 characters: a lead, sometimes a middle clause, a tail."""
    texts = []
    for lead in rng.sample(leads, count):
        text = lead + (rng.choice(MIDDLES) if rng.random() < 0.4 else "") + rng.choice(TAILS)
        if len(text) > 80:
            text = lead + rng.choice(TAILS)
        texts.append(text[:80])
    return texts


# ----------------------------------------------------------------- the workers
# Each runs in a process of its own: ``pdf_documents.py _worker '<json spec>'``;
# the database and MEDIA_ROOT arrive in the environment set by the parent.


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.update(PRODUCTION_LIKE)  # no DEBUG query log
    import django

    django.setup()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _rss_now_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def count_pages(data: bytes) -> int | None:
    """Pages of a PDF: pypdf if installed, else pdfinfo, else a regex (None if unknown)."""
    try:
        import io

        from pypdf import PdfReader

        return len(PdfReader(io.BytesIO(data)).pages)
    except ImportError:
        pass
    if shutil.which("pdfinfo"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(data)
            handle.flush()
            out = subprocess.run(
                ["pdfinfo", handle.name], capture_output=True, text=True, check=False
            ).stdout
        match = re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE)
        if match:
            return int(match.group(1))
    # Only right when the page objects are not inside compressed object streams.
    found = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    return found or None


def worker_setup(spec: dict) -> dict:
    """Migrate, then write the tree, members, campaign, pledges and items with bulk_create."""
    _setup_django()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from campaign.models import Campaign, Phase
    from orgs import tallies
    from orgs.models import Member, Organization, Sector
    from pledges.models import Pledge, PledgeItem, PledgeRevision

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter()
    rng = random.Random(2010)
    now = timezone.now()
    sector = Sector.objects.get_or_create(name="街道社区")[0]
    n_streets = 1 + -(-spec["poster_branches"] // BRANCHES_PER_STREET)

    with transaction.atomic():
        # Nested-set numbers in one depth-first pass: root → streets → branches.
        def org(code, name, kind, parent, lft, rght, level):
            return Organization(
                code=code,
                name=name,
                kind=kind,
                sector=sector,
                parent=parent,
                secretary_name=_person(rng),
                lft=lft,
                rght=rght,
                tree_id=1,
                level=level,
            )

        size = 2 + n_streets * (2 + 2 * BRANCHES_PER_STREET)
        root = org("MH", "中共明湖区委员会", "committee", None, 1, size, 0)
        root.save()  # MPTT keeps the numbers given for a new root with tree_id set
        Organization.objects.filter(pk=root.pk).update(lft=1, rght=size, tree_id=1, level=0)
        streets = []
        cursor = 2
        for s in range(1, n_streets + 1):
            streets.append(
                org(
                    f"MH-JD{s:02d}",
                    f"中共明湖区第{s}街道工作委员会",
                    "working_committee",
                    root,
                    cursor,
                    cursor + 1 + 2 * BRANCHES_PER_STREET,
                    1,
                )
            )
            cursor += 2 + 2 * BRANCHES_PER_STREET
        Organization.objects.bulk_create(streets)
        branches = []
        for s, street in enumerate(streets, start=1):
            for b in range(1, BRANCHES_PER_STREET + 1):
                lft = street.lft + 1 + 2 * (b - 1)
                branches.append(
                    org(
                        f"{street.code}-{b:02d}",
                        f"明湖区第{s}街道第{(b - 1) // 5 + 1}社区第{(b - 1) % 5 + 1}党支部",
                        "branch",
                        street,
                        lft,
                        lft + 1,
                        2,
                    )
                )
        Organization.objects.bulk_create(branches, batch_size=500)
        summary_branches = [b for b in branches if b.parent_id == streets[0].pk]
        poster_branches = [b for b in branches if b.parent_id != streets[0].pk][
            : spec["poster_branches"]
        ]

        campaign = Campaign.objects.create(
            organization=root,
            name="明湖区在党的基层组织和党员中深入开展创先争优活动",
            document_number="明委组〔2010〕30号",
            theme="推动科学发展、促进社会和谐、服务人民群众、加强基层组织",
            issuing_organ="中共明湖区委创先争优活动领导小组",
            start_date=dt.date(2010, 5, 1),
            end_date=dt.date(2012, 11, 7),
            status="active",
        )
        phases = [
            ("动员部署", dt.date(2010, 5, 1), dt.date(2010, 6, 30)),
            ("组织实施", dt.date(2010, 7, 1), dt.date(2011, 6, 30)),
            ("深化提高", dt.date(2011, 7, 1), dt.date(2012, 6, 30)),
            ("总结表彰", dt.date(2012, 7, 1), dt.date(2012, 11, 7)),
        ]
        Phase.objects.bulk_create(
            Phase(campaign=campaign, position=i, name=n, start_date=a, end_date=b)
            for i, (n, a, b) in enumerate(phases, start=1)
        )

        members = []
        for branch, per in [(b, SUMMARY_MEMBER_PLEDGES) for b in summary_branches] + [
            (b, POSTER_MEMBER_PLEDGES) for b in poster_branches
        ]:
            for m in range(1, per + 1):
                birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(20000))
                members.append(
                    Member(
                        number=f"{branch.code}-{m:03d}",
                        name=_person(rng),
                        gender=rng.choice(["male", "female"]),
                        birth_date=birth,
                        joined_on=birth + dt.timedelta(days=rng.randrange(6600, 15000)),
                        category="full",
                        organization=branch,
                    )
                )
        Member.objects.bulk_create(members, batch_size=1000)
        by_org: dict[int, list] = {}
        for member in members:
            by_org.setdefault(member.organization_id, []).append(member)

        pledges = []
        for branch in summary_branches + poster_branches:
            pledges.append(
                Pledge(campaign=campaign, organization=branch, member=None, audience="public")
            )
            for member in by_org[branch.pk]:
                pledges.append(
                    Pledge(
                        campaign=campaign,
                        organization=branch,
                        member=member,
                        audience=rng.choice(["organization", "public"]),
                    )
                )
        published = now - dt.timedelta(days=30)
        for pledge in pledges:
            pledge.state = "published"
            pledge.revision = 1
            pledge.published_revision = 1
            pledge.submitted_at = pledge.approved_at = pledge.published_at = published
        Pledge.objects.bulk_create(pledges, batch_size=1000)
        revisions = [PledgeRevision(pledge=p, number=1, published_at=published) for p in pledges]
        PledgeRevision.objects.bulk_create(revisions, batch_size=1000)
        items = []
        for revision in revisions:
            leads = LEADS_MEMBER if revision.pledge.member is not None else LEADS_UNIT
            for key, text in enumerate(_item_texts(rng, leads, rng.randint(2, 4)), start=1):
                items.append(
                    PledgeItem(
                        revision=revision,
                        key=key,
                        position=key,
                        content=text,
                        due_date=dt.date(2010, 7, 1) + dt.timedelta(days=rng.randrange(850)),
                        verification=rng.choice(VERIFICATIONS),
                    )
                )
        PledgeItem.objects.bulk_create(items, batch_size=2000)
        tallies.recount()  # a bulk path keeps the stored counts (units, members, pledges)
    lengths = [len(i.content) for i in items]
    return {
        "migrate_seconds": migrated - started,
        "data_seconds": time.perf_counter() - migrated,
        "organizations": Organization.objects.count(),
        "members": len(members),
        "pledges": len(pledges),
        "items": len(items),
        "item_chars": (min(lengths), max(lengths), statistics.mean(lengths)),
        "summary_pledges": len(summary_branches) * (1 + SUMMARY_MEMBER_PLEDGES),
        "poster_branches": len(poster_branches),
    }


def _summary_context(organization, campaign) -> tuple[dict, float]:
    """summary_rows and the context run_summary builds; returns it with the query seconds."""
    from django.utils import timezone

    from core.documents import format_number
    from pledges.jobs import summary_rows

    started = time.perf_counter()
    groups = summary_rows(organization, campaign)
    seconds = time.perf_counter() - started
    count = sum(len(g["pledges"]) for g in groups)
    today = timezone.localdate()
    return {
        "organization": organization,
        "campaign": campaign,
        # The letterhead run_summary prints; its numbering is timed with the posters.
        "issuer": organization.document_organ,
        "doc_number": format_number(organization.document_pattern, year=today.year, number=1),
        "groups": groups,
        "pledge_count": count,
        "issued_on": today,
    }, seconds


def _instrument() -> dict:
    """Time render_pdf's three steps from the outside, without copying its code.

    Thin wrappers around ``core.pdf.render_to_string`` (template → HTML),
    WeasyPrint's ``Document._render`` (parse, cascade, box tree, layout,
    pagination) and ``Document.write_pdf`` (drawing, font subsetting, PDF
    serialisation); they add a few microseconds per document.
    """
    from weasyprint.document import Document

    from core import pdf

    clock = {"template": 0.0, "layout": 0.0, "write_pdf": 0.0, "pages": 0}
    render_to_string, layout, write_pdf = pdf.render_to_string, Document._render, Document.write_pdf

    def timed_template(*args, **kwargs):
        started = time.perf_counter()
        try:
            return render_to_string(*args, **kwargs)
        finally:
            clock["template"] += time.perf_counter() - started

    def timed_layout(*args, **kwargs):
        started = time.perf_counter()
        try:
            document = layout(*args, **kwargs)
            clock["pages"] += len(document.pages)
            return document
        finally:
            clock["layout"] += time.perf_counter() - started

    def timed_write(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return write_pdf(self, *args, **kwargs)
        finally:
            clock["write_pdf"] += time.perf_counter() - started

    pdf.render_to_string = timed_template
    Document._render = classmethod(lambda cls, *a, **k: timed_layout(*a, **k))
    Document.write_pdf = timed_write
    return clock


def _reset(clock: dict) -> dict:
    taken = dict(clock)
    clock.update(template=0.0, layout=0.0, write_pdf=0.0, pages=0)
    return taken


def worker_summary(spec: dict) -> dict:
    _setup_django()
    from campaign.models import Campaign
    from core.pdf import render_pdf
    from orgs.models import Organization

    clock = _instrument()
    rss_start = _rss_now_mb()
    campaign = Campaign.objects.get()
    street = Organization.objects.get(code=SUMMARY_STREET)
    branch = Organization.objects.filter(parent=street).order_by("lft").first()

    started = time.perf_counter()
    context, _ = _summary_context(branch, campaign)
    cold_data = render_pdf("pdf/pledge_summary.html", context)
    cold = {
        "seconds": time.perf_counter() - started,
        "pledges": context["pledge_count"],
        "pages": count_pages(cold_data),
        "peak_rss_mb": _peak_rss_mb(),
    }
    _reset(clock)
    runs = []
    for _ in range(spec["repeat"]):
        context, query = _summary_context(street, campaign)
        started = time.perf_counter()
        data = render_pdf("pdf/pledge_summary.html", context)
        render = time.perf_counter() - started
        runs.append(
            {
                "query": query,
                "render": render,
                "seconds": query + render,
                "peak_rss_mb": _peak_rss_mb(),
                "bytes": len(data),
                "phases": _reset(clock),
            }
        )
        pledge_count = context["pledge_count"]
        del context
    return {
        "rss_start_mb": rss_start,
        "rss_end_mb": _rss_now_mb(),
        "cold": cold,
        "runs": runs,
        "pledge_count": pledge_count,
        "pages": count_pages(data),
        "bytes": len(data),
    }


def worker_posters(spec: dict) -> dict:
    _setup_django()
    from campaign.models import Campaign
    from core.documents import issuing
    from core.models import Job
    from core.pdf import render_pdf
    from orgs.models import Organization
    from pledges.jobs import poster_context

    clock = _instrument()
    rss_start = _rss_now_mb()
    campaign = Campaign.objects.get()
    branches = list(
        Organization.objects.filter(level=2).exclude(parent__code=SUMMARY_STREET).order_by("lft")
    )[: spec["posters"]]
    query_s, per_poster, pages, sizes, rss = 0.0, [], [], [], []
    # One job row per poster, as job_start makes them before the worker runs.
    jobs = Job.objects.bulk_create(Job(kind="pledge_poster") for _ in branches)
    for branch, job in zip(branches, jobs, strict=True):
        started = time.perf_counter()
        context = poster_context(branch, campaign)
        fetched = time.perf_counter()
        # Numbered as run_poster does: the 文号 taken in the render's transaction.
        with issuing(job, branch.as_organ(), title=branch.name) as head:
            data = render_pdf("pdf/pledge_poster.html", {**context, **head})
        done = time.perf_counter()
        query_s += fetched - started
        per_poster.append(done - started)
        sizes.append(len(data))
        pages.append(count_pages(data))  # outside the clock
        rss.append(_rss_now_mb())
    phases = _reset(clock)
    known = [p for p in pages if p is not None]
    return {
        "rss_start_mb": rss_start,
        "rss_end_mb": rss[-1],
        "rss_low_high": (min(rss), max(rss)),
        "posters": len(branches),
        "pledges_per_poster": len(context["unit_pledges"]) + len(context["member_pledges"]),
        "seconds": sum(per_poster),
        "query": query_s,
        "render": sum(per_poster) - query_s,
        "phases": phases,
        "first": per_poster[0],
        "median": statistics.median(per_poster),
        "slowest": max(per_poster),
        "pages": sum(known) if known and len(known) == len(pages) else phases["pages"],
        "page_spread": (min(known), max(known)) if known else None,
        "bytes_mean": statistics.mean(sizes) if sizes else 0,
        "peak_rss_mb": _peak_rss_mb(),
    }


PACKAGE_GROUPS = [
    ("weasyprint/layout", "layout (weasyprint.layout)"),
    ("weasyprint/text", "text shaping, line breaking (weasyprint.text, Pango)"),
    ("weasyprint/css", "CSS cascade, computed values (weasyprint.css)"),
    ("weasyprint/formatting_structure", "box tree (weasyprint.formatting_structure)"),
    ("weasyprint/pdf", "PDF output, fonts (weasyprint.pdf)"),
    ("weasyprint/draw", "drawing (weasyprint.draw)"),
    ("weasyprint/", "weasyprint, other"),
    ("cffi", "cffi (calls into Pango/HarfBuzz)"),
    ("fontTools", "fontTools"),
    ("pydyf", "pydyf (PDF objects)"),
    ("tinycss2", "tinycss2"),
    ("cssselect2", "cssselect2"),
    ("html5lib", "HTML parser"),
    ("tinyhtml5", "HTML parser"),
    ("django/template", "Django templates"),
    ("django/db", "Django ORM"),
]


def worker_profile(spec: dict) -> dict:
    """cProfile of render_pdf on a summary of PROFILE_BRANCHES branches, after a warm-up."""
    _setup_django()
    from campaign.models import Campaign
    from core.pdf import render_pdf
    from orgs.models import Organization

    campaign = Campaign.objects.get()
    street = Organization.objects.get(code=SUMMARY_STREET)
    branches = list(Organization.objects.filter(parent=street).order_by("lft"))
    small, _ = _summary_context(branches[0], campaign)
    render_pdf("pdf/pledge_summary.html", small)  # warm-up
    # A sub-range of the street: the same nested-set query on a narrower range.
    part = Organization(
        pk=street.pk,
        tree_id=street.tree_id,
        lft=branches[0].lft,
        rght=branches[spec["branches"] - 1].rght,
        name=street.name,
    )
    context, _ = _summary_context(part, campaign)
    profiler = cProfile.Profile()
    profiler.enable()
    render_pdf("pdf/pledge_summary.html", context)
    profiler.disable()
    stats = pstats.Stats(profiler)
    groups: dict[str, float] = {}
    top = []
    total = 0.0
    line_breaks = 0
    for (filename, line, name), (_cc, calls, tottime, _cum, _) in stats.stats.items():
        total += tottime
        label = "other (builtins, C functions, stdlib)"
        for needle, group in PACKAGE_GROUPS:
            if needle in filename:
                label = group
                break
        groups[label] = groups.get(label, 0.0) + tottime
        if name == "get_first_line" and "line_break" in filename:
            line_breaks += calls
        short = filename.split("site-packages/")[-1]
        top.append((tottime, calls, f"{short}:{line}({name})"))
    top.sort(reverse=True)
    return {
        "pledges": context["pledge_count"],
        "total": total,
        "groups": sorted(groups.items(), key=lambda kv: -kv[1]),
        "top": top[:10],
        "line_breaks": line_breaks,
    }


WORKERS = {
    "setup": worker_setup,
    "summary": worker_summary,
    "posters": worker_posters,
    "profile": worker_profile,
}


def run_worker(op: str, **spec) -> dict:
    """Run one worker in a fresh interpreter and return what it reported."""
    return _child.run_worker(__file__, op, **spec)


# ---------------------------------------------------------------- the database


class Database:
    """SQLite in a temporary file, or a scratch PostgreSQL database (psycopg2 only here)."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        if postgres:
            import psycopg2

            self.admin = psycopg2.connect(f"{PG_URL}/postgres")
            self.admin.autocommit = True
            self.url = f"{PG_URL}/{SCRATCH_DB}"
        else:
            self.url = f"sqlite:///{SQLITE_PATH}"

    def describe(self) -> str:
        if not self.postgres:
            import sqlite3

            return f"SQLite {sqlite3.sqlite_version} ({SQLITE_PATH})"
        with self.admin.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]} ({self.url})"

    def create(self) -> None:
        self.drop(close=False)
        if self.postgres:
            with self.admin.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {SCRATCH_DB}")

    def drop(self, close: bool = True) -> None:
        if self.postgres:
            with self.admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
            if close:
                self.admin.close()
        else:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)


# ---------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def load_average() -> str:
    one, five, _ = os.getloadavg()
    busy = " (other work is running: figures are pessimistic)" if one > 0.5 * os.cpu_count() else ""
    return f"load average {one:.2f} / {five:.2f} (1 / 5 min) on {os.cpu_count()} CPUs{busy}"


def _pages_text(pages) -> str:
    return "?" if pages is None else str(pages)


def _row(label, query, render, total, spread, pages, docs_per_s, rss0, peak, size) -> str:
    """One line of the table; pages per second is derived from the pages and total columns."""
    try:
        pps = f"{int(pages) / float(total):.1f}"
    except ValueError:
        pps = "pages/s" if label == "case" else ""
    return (
        f"{label:<46} {query:>7} {render:>8} {total:>7} {spread:>11} {pages:>5} "
        f"{pps:>7} {docs_per_s:>6} {rss0:>5} {peak:>7} {size:>7}"
    )


def print_report(setup: dict, summary: dict, posters: dict, extra: dict, repeat: int) -> None:
    runs = sorted(summary["runs"], key=lambda r: r["seconds"])
    median = runs[len(runs) // 2]
    peak = max(r["peak_rss_mb"] for r in runs)
    cold = summary["cold"]
    p = posters
    poster_rate = p["posters"] / p["seconds"]

    print()
    lo, hi, mean = setup["item_chars"]
    print(
        f"Data: {setup['organizations']} organisations, {setup['members']:,} members, "
        f"{setup['pledges']:,} published pledges, {setup['items']:,} items of {lo}–{hi} "
        f"characters (mean {mean:.0f}); written in {setup['data_seconds']:.1f} s "
        f"(migrate {setup['migrate_seconds']:.1f} s)."
    )
    print()
    header = _row(
        "case",
        "query s",
        "render s",
        "total s",
        "min–max",
        "pages",
        "docs/s",
        "RSS0",
        "peak MB",
        "size KB",
    )
    print(header)
    print("-" * len(header))
    print(
        _row(
            f"summary, {cold['pledges']} pledges (1 branch), cold first",
            "",
            "",
            f"{cold['seconds']:.2f}",
            "",
            _pages_text(cold["pages"]),
            "",
            f"{summary['rss_start_mb']:.0f}",
            f"{cold['peak_rss_mb']:.0f}",
            "",
        )
    )
    print(
        _row(
            f"summary, {summary['pledge_count']:,} pledges, median of {len(runs)}",
            f"{median['query']:.2f}",
            f"{median['render']:.2f}",
            f"{median['seconds']:.2f}",
            f"{runs[0]['seconds']:.2f}–{runs[-1]['seconds']:.2f}",
            _pages_text(summary["pages"]),
            f"{1 / median['seconds']:.2f}",
            f"{summary['rss_start_mb']:.0f}",
            f"{peak:.0f}",
            f"{summary['bytes'] / 1024:.0f}",
        )
    )
    print(
        _row(
            f"posters, {p['posters']} × {p['pledges_per_poster']} pledges, 1 process",
            f"{p['query']:.2f}",
            f"{p['render']:.2f}",
            f"{p['seconds']:.2f}",
            "",
            _pages_text(p["pages"]),
            f"{poster_rate:.2f}",
            f"{p['rss_start_mb']:.0f}",
            f"{p['peak_rss_mb']:.0f}",
            f"{p['bytes_mean'] / 1024:.0f}",
        )
    )
    print(
        "query s = summary_rows or poster_context (database reads; the QR code); render s = "
        "render_pdf;\ntotal s = both. RSS0 = resident MiB after Django start-up; peak MB = "
        "ru_maxrss of the case's own\nprocess (MiB); size = PDF size (posters: mean). Pages "
        "counted outside the clock."
    )
    print(
        f"Summary: peak {summary['runs'][0]['peak_rss_mb']:.0f} MB after its first full render, "
        f"{peak:.0f} MB after {len(runs)}. Posters: first {p['first']:.2f} s (cold), median "
        f"{p['median']:.3f} s, slowest {p['slowest']:.2f} s;\n"
        f"{_pages_text(p['page_spread'] and p['page_spread'][0])}–"
        f"{_pages_text(p['page_spread'] and p['page_spread'][1])} pages each; resident memory "
        f"between posters {p['rss_low_high'][0]:.0f}–{p['rss_low_high'][1]:.0f} MB."
    )

    print()
    print("Where render_pdf's time goes (timed around its steps):")
    bheader = f"{'document':<34} {'template':>8} {'parse+layout':>12} {'write_pdf':>9} {'pages':>6}"
    print(bheader)
    print("-" * len(bheader))
    for name, ph in (
        (f"summary, {summary['pledge_count']:,} pledges (median)", median["phases"]),
        (f"posters, all {p['posters']}", p["phases"]),
    ):
        print(
            f"{name:<34} {ph['template']:>8.2f} {ph['layout']:>12.2f} {ph['write_pdf']:>9.2f} "
            f"{ph['pages']:>6}"
        )
    print(
        "parse+layout = HTML parsing, CSS cascade, box tree, line breaking, pagination;\n"
        "write_pdf = drawing pages into PDF objects, font subsetting (HarfBuzz), compression."
    )
    prof = extra.get("profile")
    if prof:
        print()
        print(
            f"cProfile of render_pdf on a {prof['pledges']}-pledge summary (after a warm-up; "
            f"{prof['total']:.2f} s under the profiler),\nown time by package "
            f"({prof['line_breaks']:,} calls of Pango's get_first_line):"
        )
        for label, seconds in prof["groups"]:
            if seconds >= 0.005 * prof["total"]:
                print(f"  {seconds:6.2f} s {100 * seconds / prof['total']:5.1f} %  {label}")
        print("  top functions by own time:")
        for tottime, calls, where in prof["top"]:
            print(f"  {tottime:6.2f} s {calls:>9,} calls  {where}")

    summary_ok = median["seconds"] <= SUMMARY_SECONDS
    rss_ok = peak <= SUMMARY_RSS_MB
    poster_ok = poster_rate >= POSTERS_PER_SECOND
    print()
    print("Targets (from the issue):")
    print(
        f"  {verdict(summary_ok)}  承诺汇总表 of {summary['pledge_count']:,} pledges: "
        f"{median['seconds']:.2f} s, median of {len(runs)} (target ≤ {SUMMARY_SECONDS:.0f} s)"
    )
    print(f"  {verdict(rss_ok)}  承诺汇总表 peak RSS: {peak:.0f} MB (target ≤ {SUMMARY_RSS_MB} MB)")
    print(
        f"  {verdict(poster_ok)}  posters: {poster_rate:.2f} per second in one worker process "
        f"(target ≥ {POSTERS_PER_SECOND:.0f})"
    )


def main() -> None:
    if sys.argv[1:2] == ["_worker"]:
        spec = json.loads(sys.argv[2])
        result = WORKERS[spec["op"]](spec)
        with open(spec["result"], "w") as handle:
            json.dump(result, handle)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="scratch PostgreSQL, not SQLite")
    parser.add_argument("--repeat", type=int, default=3, help="summary renders (median shown)")
    parser.add_argument("--posters", type=int, default=POSTER_BRANCHES, help="posters to render")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile a summary render even if all targets pass"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    print(f"pdf_documents benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}")
    print(f"Before: {load_average()}")
    db = Database(args.postgres)
    media = tempfile.mkdtemp(prefix="bench_pdf_media_")
    os.environ.update({"DATABASE_URL": db.url, "MEDIA_ROOT": media})
    import weasyprint

    print(
        f"Python {platform.python_version()}, WeasyPrint {weasyprint.__version__}, {db.describe()}"
    )
    extra: dict = {}
    try:
        db.create()
        print("Writing the data (migrate, bulk_create)…", flush=True)
        setup = run_worker("setup", poster_branches=args.posters)
        print(f"承诺汇总表: a cold render, then {args.repeat} × 1,000 pledges…", flush=True)
        summary = run_worker("summary", repeat=args.repeat)
        print(f"Posters: {setup['poster_branches']} in one process…", flush=True)
        posters = run_worker("posters", posters=args.posters)
        runs = sorted(r["seconds"] for r in summary["runs"])
        missed = (
            runs[len(runs) // 2] > SUMMARY_SECONDS
            or max(r["peak_rss_mb"] for r in summary["runs"]) > SUMMARY_RSS_MB
            or posters["posters"] / posters["seconds"] < POSTERS_PER_SECOND
        )
        if args.profile or missed:
            print(f"cProfile of a {PROFILE_BRANCHES}-branch summary…", flush=True)
            extra["profile"] = run_worker("profile", branches=PROFILE_BRANCHES)
    finally:
        db.drop()
        shutil.rmtree(media, ignore_errors=True)
    print_report(setup, summary, posters, extra, args.repeat)
    print(f"\nAfter: {load_average()}")
    print(f"Scratch database removed. Total {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
