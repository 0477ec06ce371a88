"""PDF documents: GB/T 9704 layout, CJK fonts embedded, and WeasyPrint fetching nothing."""

import datetime as dt
import random
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple

import pytest
import weasyprint
from django.conf import settings as django_settings

from core import pdf
from core.jobs import job_save_output
from core.models import Job
from tests.pdf_pages import closing_problem

ROOT = Path(__file__).resolve().parents[2]
MM = 72 / 25.4  # points per millimetre

needs_poppler = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdfimages")),
    reason="poppler-utils (pdftotext, pdffonts, pdfimages) is not installed",
)

DECISION = {
    "issuer": "中共明湖区委创先争优活动领导小组办公室",
    "doc_number": "明湖创先〔2010〕5号",
    "title": "关于表彰创先争优活动先进基层党组织的决定",
    "issued_on": dt.date(2011, 6, 28),
    "reason": "经各单位推荐、活动办公室复审，决定予以表彰。",
}
PARAGRAPH = (
    "为深入贯彻落实党的十七大精神，进一步加强基层党组织建设，区委决定在全区深入开展创先争优活动。"
    "经各单位推荐、活动办公室复审、区委研究，决定对以下先进基层党组织和优秀共产党员予以表彰。"
)
# A 1 × 1 transparent PNG.
PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


# A body with a 一级标题 and a 二级标题, as GB/T 9704 numbers them.
HEADINGS = (
    "{% extends 'pdf/base_gbt9704.html' %}{% block body %}"
    "<h2>一、总体要求</h2><p>{{ reason }}</p><h3>（一）指导思想</h3><p>{{ reason }}</p>"
    "{% endblock %}"
)


# A body given as HTML, and CSS to add (the tests of the closing block).
CLOSING = (
    "{% extends 'pdf/base_gbt9704.html' %}"
    "{% block extra_style %}{{ extra_style|safe }}{% endblock %}"
    "{% block body %}{{ body|safe }}{% endblock %}"
)
# About twelve lines: what comes before the end of a body that is a list or table.
OPENING = "<p>" + "正文" * 160 + "。</p>"


def closing_body(kind: str, n: int) -> str:
    """A body ending in ``kind`` whose length grows with ``n``; every line says 正文."""
    if kind == "short paragraphs":  # n one-line paragraphs
        return "".join(f"<p>正文第{i}段。</p>" for i in range(1, n + 1))
    if kind == "long paragraph":  # the opening, then a last paragraph of n lines
        return OPENING + "<p>" + "正文" * (13 + 14 * (n - 1) - 1) + "末段。</p>"
    if kind == "list":
        items = "".join(f"<li>正文事项{i}</li>" for i in range(1, n + 1))
        return f"{OPENING}<ol>{items}</ol>"
    if kind == "table":
        rows = "".join(f"<tr><td>{i}</td><td>正文单位{i}</td></tr>" for i in range(1, n + 1))
        head = "<thead><tr><th>序号</th><th>单位</th></tr></thead>"
        return f"{OPENING}<table>{head}<tbody>{rows}</tbody></table>"
    raise ValueError(kind)


def embedded_fonts(data: bytes) -> set[str]:
    """Font families embedded in a PDF, as pdffonts names them, subset tags dropped."""
    lines = run(["pdffonts", "-"], data).splitlines()[2:]
    return {line.split()[0].split("+")[-1] for line in lines}


@pytest.fixture
def documents(settings):
    """Child templates of the base layout, as each product document is, kept in memory."""
    child = (
        "{% extends 'pdf/base_gbt9704.html' %}{% load i18n %}"
        "{% block body %}<p>{{ reason }}</p>{% for p in paragraphs %}<p>{{ p }}</p>{% endfor %}"
        "{% get_current_language as language %}<p>语言：{{ language }}</p>{% endblock %}"
    )
    settings.TEMPLATES = [
        {
            **django_settings.TEMPLATES[0],
            "APP_DIRS": False,
            "OPTIONS": {
                **django_settings.TEMPLATES[0]["OPTIONS"],
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {
                            "test/decision.html": child,
                            "test/headings.html": HEADINGS,
                            "test/closing.html": CLOSING,
                        },
                    ),
                    "django.template.loaders.filesystem.Loader",
                ],
            },
        }
    ]
    return "test/decision.html"


@pytest.fixture
def fetches(monkeypatch):
    """Every URL WeasyPrint asks our fetcher for, with what the fetcher did."""
    calls: list[tuple[str, str]] = []
    original = pdf.StaticOnlyURLFetcher.fetch

    def recording(self, url, headers=None):
        try:
            response = original(self, url, headers)
        except pdf.RefusedURL:
            calls.append((url, "refused"))
            raise
        calls.append((url, "fetched"))
        return response

    monkeypatch.setattr(pdf.StaticOnlyURLFetcher, "fetch", recording)
    return calls


@pytest.fixture
def web_server():
    """A loopback HTTP server serving a PNG, and the paths it was asked for."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(b"\x89PNG\r\n\x1a\n")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", requests
    server.shutdown()
    server.server_close()


def run(command: list[str], data: bytes) -> str:
    return subprocess.run(command, input=data, capture_output=True, check=True).stdout.decode()


def text_of(data: bytes) -> str:
    return run(["pdftotext", "-", "-"], data)


class Word(NamedTuple):
    """A word's box in points from the page's top left, as pdftotext -bbox gives it."""

    x0: float
    y0: float
    x1: float
    text: str


def words_by_page(data: bytes) -> list[list[Word]]:
    pages = run(["pdftotext", "-bbox", "-", "-"], data).split("<page ")[1:]
    word = re.compile(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)'
    )
    return [
        [Word(float(x0), float(y0), float(x1), text) for x0, y0, x1, text in word.findall(page)]
        for page in pages
    ]


def test_the_written_date_uses_arabic_numerals_without_zero_padding():
    assert pdf.cn_date(dt.date(2011, 6, 28)) == "2011年6月28日"
    assert pdf.cn_date(dt.date(2010, 1, 5)) == "2010年1月5日"
    # An aware time is dated in Beijing: 17:00 UTC on the 27th is already the 28th.
    assert pdf.cn_date(dt.datetime(2011, 6, 27, 17, tzinfo=dt.UTC)) == "2011年6月28日"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:///work/main/static/css/app.css",
        "http://127.0.0.1/static/css/app.css",
        "https://pdf.invalid/static/css/app.css",
        "ftp://pdf.invalid/static/css/app.css",
        "http://pdf.invalid/config/settings.py",
        "http://pdf.invalid/static/%2e%2e/config/settings.py",
        "http://pdf.invalid/static/css/../../config/settings.py",
        "http://pdf.invalid/static//etc/passwd",
        "http://pdf.invalid/static/css%5c..%5c..%5cconfig%5csettings.py",
        "http://pdf.invalid/static/",
        "http://pdf.invalid/static/css/missing.css",
    ],
)
def test_only_existing_static_files_map_to_a_file_on_disk(url):
    assert pdf.static_file_for(url) is None


def test_a_static_url_maps_to_the_projects_own_file():
    found = pdf.static_file_for("http://pdf.invalid/static/css/app.css")
    assert found is not None and found.resolve() == ROOT / "static" / "css" / "app.css"


@needs_poppler
def test_a_local_file_reference_is_refused_and_its_content_never_appears(fetches, caplog):
    html = (
        '<p>正文</p><img src="file:///etc/passwd"><link rel="stylesheet" href="../../etc/passwd">'
    )
    data = pdf.html_to_pdf(html)
    assert fetches == [
        ("http://pdf.invalid/etc/passwd", "refused"),
        ("file:///etc/passwd", "refused"),
    ]
    assert "root:" not in text_of(data) and b"root:x:0:0" not in data
    assert "refused to fetch file:///etc/passwd" in caplog.text


@needs_poppler
def test_an_image_on_a_web_server_is_never_requested(fetches, web_server):
    base, requests = web_server
    html = f'<p>正文</p><img src="{base}/x.png">'
    # The control: WeasyPrint left to itself does fetch it, so the server counts.
    weasyprint.HTML(string=html).write_pdf()
    assert requests == ["/x.png"]
    requests.clear()

    data = pdf.html_to_pdf(html)
    assert requests == []
    assert fetches == [(f"{base}/x.png", "refused")]
    assert "正文" in text_of(data)


@needs_poppler
@pytest.mark.django_db
def test_markup_in_user_text_is_printed_as_text_and_fetches_nothing(documents, fetches, web_server):
    base, requests = web_server
    injected = f'<img src="{base}/a.png"><link rel="stylesheet" href="file:///etc/passwd">'
    data = pdf.render_pdf(documents, {**DECISION, "reason": injected})
    assert requests == [] and fetches == []
    assert "".join(injected.split()) in "".join(text_of(data).split())


@needs_poppler
def test_a_data_image_and_our_own_stylesheet_are_loaded(fetches, tmp_path):
    html = f'<link rel="stylesheet" href="/static/css/app.css"><p>正文</p><img src="{PNG}">'
    data = pdf.html_to_pdf(html)
    assert fetches == [
        ("http://pdf.invalid/static/css/app.css", "fetched"),
        (PNG, "fetched"),
    ]
    (tmp_path / "out.pdf").write_bytes(data)
    images = subprocess.run(
        ["pdfimages", "-list", tmp_path / "out.pdf"], capture_output=True, check=True, text=True
    )
    rows = [line.split() for line in images.stdout.splitlines()[2:]]
    assert [row[2:5] for row in rows if row[2] == "image"] == [["image", "1", "1"]]  # 1 × 1 px
    # app.css sets a sans-serif family; seeing it embedded proves the stylesheet applied.
    assert "Noto-Sans-CJK-SC" in run(["pdffonts", "-"], data)


@needs_poppler
@pytest.mark.django_db
def test_a_document_embeds_subset_cjk_fonts_and_its_text_is_selectable(documents):
    data = pdf.render_pdf(documents, DECISION)
    fonts = [line.split() for line in run(["pdffonts", "-"], data).splitlines()[2:]]
    assert fonts and all(line[0].split("+")[-1].startswith("Noto-Serif-CJK-SC") for line in fonts)
    assert all(line[-5:-2] == ["yes", "yes", "yes"] for line in fonts)  # emb, sub, uni
    text = text_of(data)
    for expected in ["明湖创先〔2010〕5号", DECISION["title"], DECISION["reason"], "2011年6月28日"]:
        assert expected in text


@needs_poppler
@pytest.mark.django_db
def test_the_font_families_come_from_settings(documents, settings):
    settings.PDF_TITLE_FONT = "Noto Sans CJK SC"
    data = pdf.render_pdf(documents, DECISION)
    fonts = run(["pdffonts", "-"], data)
    assert "Noto-Sans-CJK-SC" in fonts and "Noto-Serif-CJK-SC" in fonts


@needs_poppler
@pytest.mark.django_db
def test_each_gbt9704_role_gets_its_own_font_from_settings(documents, settings):
    """Title 小标宋-style, body 仿宋-style (the serif: no free 仿宋 covers simplified
    Chinese), 一级标题 黑体, 二级标题 楷体: each a setting, each embedded."""
    data = pdf.render_pdf("test/headings.html", DECISION)
    assert embedded_fonts(data) == {
        "Noto-Serif-CJK-SC-Bold",  # 版头 and title (weight 600)
        "Noto-Serif-CJK-SC",  # body, signature, page numbers
        "Noto-Sans-CJK-SC",  # 一、总体要求
        "AR-PL-UKai-CN",  # （一）指导思想
    }
    settings.PDF_HEADING_FONT = "AR PL UKai CN"
    settings.PDF_SUBHEADING_FONT = "Noto Serif CJK SC"
    settings.PDF_TITLE_FONT = "Noto Sans CJK SC"
    data = pdf.render_pdf("test/headings.html", DECISION)
    assert embedded_fonts(data) == {"Noto-Sans-CJK-SC-Bold", "Noto-Serif-CJK-SC", "AR-PL-UKai-CN"}


def test_a_font_name_cannot_break_out_of_the_stylesheet():
    quoted = pdf.css_string('仿宋"; } html { color: red } </style><img src=x>')
    assert quoted.startswith('"仿宋') and quoted.count('"') == 2 and "<" not in quoted


@needs_poppler
@pytest.mark.django_db
def test_a_document_is_rendered_in_chinese_whatever_the_callers_language(documents):
    from django.utils import translation

    with translation.override("en"):
        data = pdf.render_pdf(documents, DECISION)
    assert "语言：zh-hans" in text_of(data)


@needs_poppler
@pytest.mark.django_db
def test_the_page_follows_the_gbt9704_margins_grid_and_page_numbers(documents):
    data = pdf.render_pdf(documents, {**DECISION, "paragraphs": [PARAGRAPH] * 20})
    pages = words_by_page(data)
    assert len(pages) >= 2
    first, second = pages[0], pages[1]

    # 版头 at the top of the 版心: 天头 37 mm (glyph boxes reach ~2 pt above their line).
    assert first[0].text.startswith("中共明湖区委")
    assert 37 * MM - 3 <= min(w.y0 for w in first) <= 37 * MM + 6

    # 订口 28 mm, right margin 26 mm; paragraphs indented two characters.
    footer_top = 297 * MM - 35 * MM
    body = [w for w in second if w.y0 < footer_top]
    assert min(w.x0 for w in body) == pytest.approx(28 * MM, abs=3)
    assert max(w.x1 for w in body) <= 210 * MM - 26 * MM + 1
    starts = sorted({round(w.x0) for w in body})
    assert starts[-1] - starts[0] == pytest.approx(2 * 16, abs=1.5)

    # A full page holds 22 lines of 28 characters.
    lines: dict[int, str] = {}
    for w in body:
        lines[round(w.y0)] = lines.get(round(w.y0), "") + w.text
    assert len(lines) == 22
    assert max(len(line) for line in lines.values()) == 28

    # — 1 — on the right of page 1, — 2 — on the left of page 2, one character in.
    footer = [w for w in first if w.y0 > footer_top]
    assert " ".join(w.text for w in footer) == "— 1 —"
    assert footer[-1].x1 == pytest.approx(210 * MM - 26 * MM - 14, abs=3)
    footer = [w for w in second if w.y0 > footer_top]
    assert " ".join(w.text for w in footer) == "— 2 —"
    assert footer[0].x0 == pytest.approx(28 * MM + 14, abs=3)


@pytest.mark.django_db
def test_saving_output_twice_leaves_one_file_holding_the_second(settings):
    job = Job.objects.create(kind="pdf-test")
    job_save_output(job, "表彰决定.pdf", b"%PDF-1.7 first")
    job_save_output(job, "表彰决定.pdf", b"%PDF-1.7 second")

    files = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert len(files) == 1
    job.refresh_from_db()
    assert job.output_file.name.startswith("jobs/out/") and job.output_file.name.endswith(".pdf")
    assert Path(job.output_file.path) == files[0] and files[0].read_bytes() == b"%PDF-1.7 second"


@pytest.mark.django_db
def test_output_from_an_open_file_is_copied_whole_in_chunks(settings, tmp_path):
    # A large output (the 荣誉证书 ZIP) is spooled to a temporary file, not held in memory.
    data = bytes(range(256)) * (3 * 1024 * 1024 // 256 + 7)  # several 64 kB chunks and a tail
    spooled = tmp_path / "spool.zip"
    spooled.write_bytes(data)
    job = Job.objects.create(kind="pdf-test")
    with spooled.open("rb") as spool:
        job_save_output(job, "荣誉证书.zip", spool)

    job.refresh_from_db()
    assert job.output_file.name.endswith(".zip")
    assert Path(job.output_file.path).read_bytes() == data


# GB/T 9704 7.3.5: the 署名 and 成文日期 never stand alone at the top of a page;
# when they do not fit under the 正文, its last lines go over with them. These
# lengths put them at a page's foot (found once by trying 1-50 of each kind:
# without the rule, paragraphs 9-12 and 31-34, a last paragraph of 18-21 lines,
# list items 16-19 and 38-39, table rows 23-28 left the closing alone).
CLOSING_AT_THE_FOOT = [
    ("short paragraphs", 11),
    ("short paragraphs", 32),
    ("long paragraph", 19),
    ("list", 17),
    ("table", 25),
]
CLOSING_OFF = ".gw-closing { break-before: auto; }"
ISSUED = "2011年6月28日"


def render_closing(body: str, extra_style: str = "") -> bytes:
    """A document of the base layout with ``body`` (needs the ``documents`` fixture)."""
    return pdf.render_pdf(
        "test/closing.html", {**DECISION, "body": body, "extra_style": extra_style}
    )


@needs_poppler
@pytest.mark.parametrize(("kind", "n"), CLOSING_AT_THE_FOOT)
def test_the_signature_and_date_keep_a_line_of_the_body_with_them(documents, kind, n):
    data = render_closing(closing_body(kind, n))
    assert closing_problem(data, signature=DECISION["issuer"], date=ISSUED) is None


@needs_poppler
@pytest.mark.parametrize(("kind", "n"), CLOSING_AT_THE_FOOT)
def test_those_lengths_would_leave_the_closing_alone_without_the_rule(documents, kind, n):
    # So the test above is not passing on lengths where nothing was at stake.
    data = render_closing(closing_body(kind, n), CLOSING_OFF)
    problem = closing_problem(data, signature=DECISION["issuer"], date=ISSUED)
    assert problem is not None
    assert "以署名开头" in problem


@needs_poppler
def test_the_signature_and_date_keep_the_body_with_them_at_random_lengths(documents):
    for kind, n in [
        (random.choice(["short paragraphs", "list", "table"]), random.randint(1, 45)),
        ("long paragraph", random.randint(1, 30)),
    ]:
        data = render_closing(closing_body(kind, n))
        problem = closing_problem(data, signature=DECISION["issuer"], date=ISSUED)
        assert problem is None, (kind, n, problem)
