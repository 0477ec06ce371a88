"""Benchmark: the award documents of a district year (issue 12 §6).

520 member awards (优秀共产党员 and 优秀党务工作者) and 120 organisation awards
(先进基层党组织) with generated Chinese names, units and deeds, as the plain
rows ``awards.documents`` takes (the layer under the jobs: no database). Each
case runs in a fresh interpreter (``_child.run_worker``), so its peak RSS
(``ru_maxrss``) is its own and its clock includes the cold first render:

* decision: ``decision_pdf`` of all 640 (the 表彰决定 with its 名单);
* notice: ``publicity_notice_pdf`` of all 640 (the 公示 notice);
* certificates: ``certificates_pdf``, one document of 640 pages;
* zip: ``certificates_zip``, 640 PDFs in a ZIP (the combined PDF cut into
  pages with pypdf);
* with ``--compare`` (on ``--compare-n`` awardees, default 160), the two other
  ways of making the ZIP: a WeasyPrint layout per awardee, and one layout with
  each page written by WeasyPrint on its own (``Document.copy``); seconds and
  the ZIP's size.

Prints seconds, pages, certificates per second, peak RSS, the output sizes and
PASS/MISS against the targets (decision ≤ 10 s; certificates ≥ 8 per second per
worker; peak RSS ≤ 400 MB). It asserts nothing; other load slows every figure,
so the load average is printed before and after.

    .venv/bin/python benchmarks/awards_documents.py [--members 520] [--organizations 120]
                                                     [--compare] [--compare-n 160]
"""

import argparse
import datetime as dt
import io
import json
import os
import random
import resource
import sys
import time
import zipfile
from pathlib import Path

import _child

ROOT = Path(__file__).resolve().parent.parent

DECISION_SECONDS = 10.0
CERTIFICATES_PER_SECOND = 8.0
RSS_MB = 400

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "建国秀英志强海燕德明晓红卫东丽萍永刚桂兰振华美玲文军玉梅国平春霞立新慧敏宏伟淑珍学军雪梅红霞明华爱民静怡思远子涵浩然雅琴嘉怡俊杰欣怡家豪佳慧伟峰晓燕"
STREETS = [
    "湖南路街道",
    "天平路街道",
    "枫林路街道",
    "徐家汇街道",
    "斜土路街道",
    "长桥街道",
    "漕河泾街道",
    "康健新村街道",
    "虹梅路街道",
    "田林街道",
    "凌云路街道",
    "龙华街道",
    "华泾镇",
    "漕河泾开发区",
]
PLACES = [
    "东安",
    "宛平",
    "零陵",
    "康乐",
    "华欣",
    "桂林",
    "田东",
    "长桥",
    "龙南",
    "梅陇",
    "航华",
    "南丹",
    "万科",
    "华泾",
]
ENTERPRISES = [
    "科技有限公司",
    "建设集团",
    "物业管理有限公司",
    "商业股份有限公司",
    "医院",
    "中学",
    "小学",
    "卫生服务中心",
]
DEEDS = [
    "立足本职岗位，带头攻坚克难，所在团队连续三年超额完成任务",
    "坚持每月走访困难党员和群众，帮助解决就业、就医、就学等实际困难",
    "世博会期间带领志愿服务队坚守岗位一百八十四天，服务游客二十余万人次",
    "推行党员责任区和党员先锋岗，群众满意率达到百分之九十六",
    "组建楼组党小组，调解邻里纠纷四十余起，小区连续两年无刑事案件",
]


def _name(rng: random.Random) -> str:
    given = GIVEN[rng.randrange(0, len(GIVEN) - 1, 2) :][:2]
    return rng.choice(SURNAMES) + (given if rng.random() < 0.7 else given[0])


def awardee_rows(members: int, organizations: int, seed: int = 2011) -> list:
    """The district's awardees: members spread over the streets' units, organisations under them."""
    from awards.documents import AwardeeRow, Subject

    rng = random.Random(seed)
    rows = []
    units = []
    for s, street in enumerate(STREETS):
        units.append((s, 0, f"{street}党工委"))
        for u in range(1, 9):
            place = rng.choice(PLACES)
            if u % 2:
                units.append((s, u, f"{street}{place}第{u}居民区党总支"))
            else:
                units.append((s, u, f"上海{place}{rng.choice(ENTERPRISES)}党委"))
    workers = members // 5
    for i in range(members):
        s, u, unit = rng.choice(units)
        worker = i < workers
        rows.append(
            AwardeeRow(
                category="优秀党务工作者" if worker else "优秀共产党员",
                category_position=3 if worker else 2,
                subject=Subject.PARTY_WORKER if worker else Subject.MEMBER,
                name=_name(rng),
                organization=unit,
                order=(s, u),
                own_order=(i,),
                deeds=rng.choice(DEEDS),
                key=f"m{i}",
                gender=rng.choice("男女"),
            )
        )
    for i in range(organizations):
        s = i % len(STREETS)
        place = rng.choice(PLACES)
        rows.append(
            AwardeeRow(
                category="先进基层党组织",
                category_position=1,
                subject=Subject.ORGANIZATION,
                name=f"{place}第{i + 1}居民区党支部"
                if i % 3
                else f"上海{place}{rng.choice(ENTERPRISES)}党支部",
                organization=f"{STREETS[s]}党工委",
                order=(s, 0),
                own_order=(i,),
                deeds=rng.choice(DEEDS),
                key=f"o{i}",
            )
        )
    return rows


INFO = {
    "title": "关于表彰2011年度先进基层党组织、优秀共产党员和优秀党务工作者的决定",
    "issuer": "中共徐汇区委",
    "doc_number": "徐委〔2011〕12号",
    "addressee": "各直属党组织",
}
PARAGRAPHS = (
    "创先争优活动开展以来，全区各级党组织和广大共产党员紧紧围绕迎办世博、推动科学发展、促进社会和谐，"
    "立足本职、争创一流，涌现出一批先进基层党组织、优秀共产党员和优秀党务工作者。",
    "为表彰先进、树立典型，经择优推荐、层层推荐、组织复审和公示，区委决定，授予"
    "湖南路街道东安第1居民区党总支等120个党组织“先进基层党组织”称号，授予张建国等416名同志"
    "“优秀共产党员”称号，授予李秀英等104名同志“优秀党务工作者”称号。",
    "希望受表彰的先进集体和个人珍惜荣誉，再接再厉，充分发挥示范带头作用。全区各级党组织和广大党员"
    "要以先进典型为榜样，学习先进、崇尚先进、争当先进，为推动徐汇科学发展作出新的更大贡献。",
)


def worker(spec: dict) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from awards import documents

    rows = awardee_rows(spec["members"], spec["organizations"])
    on = dt.date(2011, 6, 28)
    info = documents.DecisionInfo(issued_on=on, paragraphs=PARAGRAPHS, **INFO)
    op = spec["op"]
    n = len(rows)
    started = time.perf_counter()
    if op == "decision":
        data = documents.decision_pdf(info, rows)
    elif op == "notice":
        contact = documents.Contact("区委创先争优活动领导小组办公室", phone="021-64872222")
        data = documents.publicity_notice_pdf(
            info, rows, dt.date(2011, 6, 26), contact, starts_on=dt.date(2011, 6, 20)
        )
    elif op == "certificates":
        data = documents.certificates_pdf(rows, INFO["issuer"], on)
    elif op == "zip":  # into a temporary file, as the job should
        data = Path(spec["result"] + ".zip")
        with data.open("wb") as out:
            documents.write_certificates_zip(out, rows, INFO["issuer"], on)
    elif op == "zip_per_layout":  # a layout per awardee: what the fast path replaces
        from django.template.loader import render_to_string

        from core import pdf

        files = []
        awardees = documents.ordered(rows)
        for row, name in zip(awardees, documents.certificate_names(awardees), strict=True):
            html = render_to_string(
                "awards/documents/certificates.html",
                {
                    "pdf_title_font": pdf.css_string("Noto Serif CJK SC"),
                    "pdf_body_font": pdf.css_string("Noto Serif CJK SC"),
                    "pdf_subheading_font": pdf.css_string("AR PL UKai CN"),
                    "certificates": [documents.certificate_of(row)],
                    "issuer": INFO["issuer"],
                    "issued_on_text": pdf.cn_date(on),
                    "occasion": documents.DEFAULT_OCCASION,
                },
            )
            files.append((name, pdf.html_to_pdf(html)))
        from core.documents import zip_files

        data = zip_files(files)
    elif op == "zip_page_copy":  # one layout, each page written by WeasyPrint on its own
        awardees = documents.ordered(rows)
        document = documents._certificates_layout(awardees, INFO["issuer"], on, "")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            names = documents.certificate_names(awardees)
            for page, name in zip(document.pages, names, strict=True):
                archive.writestr(name, document.copy([page]).write_pdf())
        data = buffer.getvalue()
    else:
        raise SystemExit(f"unknown op {op}")
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before reading the output
    if isinstance(data, Path):
        size, pages = data.stat().st_size, len(zipfile.ZipFile(data).namelist())
        data.unlink()
    else:
        size, pages = len(data), _pages(data)
    Path(spec["result"]).write_text(
        json.dumps({"seconds": seconds, "rss": rss, "bytes": size, "pages": pages, "n": n})
    )


def _pages(data: bytes) -> int:
    """Pages of a PDF, or files of a ZIP."""
    if data[:2] == b"PK":
        return len(zipfile.ZipFile(io.BytesIO(data)).namelist())
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True).stdout
    return next(
        (int(line.split()[-1]) for line in info.splitlines() if line.startswith("Pages:")), 0
    )


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "_worker":
        worker(json.loads(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=520)
    parser.add_argument("--organizations", type=int, default=120)
    parser.add_argument(
        "--compare", action="store_true", help="also time the other ways to make the ZIP"
    )
    parser.add_argument("--compare-n", type=int, default=160)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    size = {"members": args.members, "organizations": args.organizations}
    n = args.members + args.organizations
    print(
        f"district year: {args.members} member awards + {args.organizations} organisation awards = {n}"
    )
    results = {}
    for op in ("decision", "notice", "certificates", "zip"):
        r = _child.run_worker(__file__, op, **size)
        results[op] = r
        rate = (
            f", {r['n'] / r['seconds']:.1f} certificates/s" if op in ("certificates", "zip") else ""
        )
        what = "files" if op == "zip" else "pages"
        print(
            f"{op:<13} {r['seconds']:6.2f} s  {r['pages']:4d} {what}{rate}  "
            f"peak RSS {r['rss']:.0f} MB  {r['bytes'] / 1e6:.1f} MB out"
        )
    if args.compare:
        cmp_size = {
            "members": args.compare_n * args.members // n,
            "organizations": args.compare_n - args.compare_n * args.members // n,
        }
        print(f"ZIP, three ways, on {args.compare_n} awardees:")
        for op in ("zip", "zip_per_layout", "zip_page_copy"):
            r = _child.run_worker(__file__, op, **cmp_size)
            print(
                f"  {op:<15} {r['seconds']:6.2f} s  {r['n'] / r['seconds']:5.1f}/s  "
                f"peak RSS {r['rss']:.0f} MB  ZIP {r['bytes'] / 1e6:.1f} MB "
                f"({r['bytes'] / r['n'] / 1e3:.0f} kB per file)"
            )
    print("targets:")
    verdict = lambda ok: "PASS" if ok else "MISS"  # noqa: E731
    d = results["decision"]
    print(
        f"  decision ≤ {DECISION_SECONDS:.0f} s: {d['seconds']:.2f} s {verdict(d['seconds'] <= DECISION_SECONDS)}"
    )
    for op in ("certificates", "zip"):
        rate = results[op]["n"] / results[op]["seconds"]
        print(
            f"  {op} ≥ {CERTIFICATES_PER_SECOND:.0f}/s per worker: {rate:.1f}/s {verdict(rate >= CERTIFICATES_PER_SECOND)}"
        )
    worst = max(r["rss"] for r in results.values())
    print(f"  peak RSS ≤ {RSS_MB} MB: {worst:.0f} MB {verdict(worst <= RSS_MB)}")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
