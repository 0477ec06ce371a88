"""The award documents over plain rows: 表彰决定, 公示 notice, 荣誉证书 (PDF and ZIP), the list export."""

import csv
import dataclasses
import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile

import pytest
from pypdf import PdfReader

from awards import documents
from awards.documents import AwardeeRow, Contact, DecisionInfo, Subject
from core import pdf
from core.tabular import write_table
from tests.pdf_pages import closing_problem, date_page, page_texts

needs_poppler = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils is not installed"
)

ON = dt.date(2011, 6, 28)
STREETS = ["虹梅路街道党工委", "田林街道党工委", "漕河泾开发区党委"]  # tree order: as listed


def member(
    name, unit, *, category="优秀共产党员", position=2, key="", subject=Subject.MEMBER, **kw
):
    return AwardeeRow(
        category=category,
        category_position=position,
        subject=subject,
        name=name,
        organization=unit,
        order=(1, STREETS.index(unit)) if unit in STREETS else (9, 0),
        key=key or name,
        **kw,
    )


def organisation(name, parent, own):
    return AwardeeRow(
        category="先进基层党组织",
        category_position=1,
        subject=Subject.ORGANIZATION,
        name=name,
        organization=parent,
        order=(1, STREETS.index(parent)),
        own_order=(own,),
        key=f"o{own}",
    )


# Handed over out of order; names unique and none inside another.
ROWS = [
    member(
        "马红梅",
        "田林街道党工委",
        category="优秀党务工作者",
        position=3,
        subject=Subject.PARTY_WORKER,
    ),
    member("李秀英", "田林街道党工委"),
    member("张建国", "虹梅路街道党工委"),
    organisation("康健东苑居民区党支部", "田林街道党工委", 7),
    member("王志强", "漕河泾开发区党委"),
    organisation("航华一村居民区党总支", "虹梅路街道党工委", 3),
    member("陈德明", "虹梅路街道党工委"),
    organisation("南丹路居民区党支部", "虹梅路街道党工委", 2),
]
# By category, then organisation in tree order, then the awardee's own order.
EXPECTED = [
    "南丹路居民区党支部",
    "航华一村居民区党总支",
    "康健东苑居民区党支部",
    "张建国",
    "陈德明",
    "李秀英",
    "王志强",
    "马红梅",
]
INFO = DecisionInfo(
    title="关于表彰2011年度先进基层党组织、优秀共产党员和优秀党务工作者的决定",
    issuer="中共徐汇区委",
    doc_number="徐委〔2011〕12号",
    issued_on=ON,
    addressee="各直属党组织",
    paragraphs=(
        "创先争优活动开展以来，全区各级党组织和广大共产党员立足本职、争创一流。",
        "希望受表彰的先进集体和个人珍惜荣誉，再接再厉。",
    ),
)


def _text(data: bytes, *args: str) -> str:
    """pdftotext's text with all white space removed (a title may wrap anywhere)."""
    out = subprocess.run(
        ["pdftotext", *args, "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return re.sub(r"\s+", "", out)


def _fonts(data: bytes) -> list[tuple[str, str]]:
    """(family, embedded yes/no) per font, as pdffonts lists them."""
    lines = (
        subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True)
        .stdout.decode()
        .splitlines()[2:]
    )
    return [(line.split()[0].split("+")[-1], line.split()[-5]) for line in lines]


def test_ordered_groups_by_category_then_organisation_and_drops_a_repeat():
    rows = [*ROWS, ROWS[2]]  # 张建国 handed over twice
    assert [r.name for r in documents.ordered(rows)] == EXPECTED
    groups = documents.grouped(rows)
    assert [(g["name"], g["count"], g["measure"]) for g in groups] == [
        ("先进基层党组织", 3, "个"),
        ("优秀共产党员", 4, "名"),
        ("优秀党务工作者", 1, "名"),
    ]
    assert [u["name"] for u in groups[1]["units"]] == STREETS


@pytest.mark.parametrize(
    ("number", "text"),
    [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"), (23, "二十三")],
)
def test_numerals(number, text):
    assert documents.numeral(number) == text


@needs_poppler
def test_the_decision_lists_every_awardee_once_in_order_with_its_number_and_date():
    data = documents.decision_pdf(INFO, [*ROWS, ROWS[0]])
    text = _text(data)
    for name in EXPECTED:
        assert text.count(name) == 1, name
    positions = [text.index(name) for name in EXPECTED]
    assert positions == sorted(positions)
    assert (
        text.index("先进基层党组织（3个）")
        < text.index("优秀共产党员（4名）")
        < text.index("优秀党务工作者（1名）")
    )
    assert "徐委〔2011〕12号" in text
    assert "2011年6月28日" in text  # 成文日期 in Arabic numerals
    assert "附件：先进基层党组织、优秀共产党员和优秀党务工作者名单" in text
    assert "各直属党组织：" in text
    assert "—1—" in text and "—2—" in text  # page numbers, the 名单 on a page of its own
    assert text.index("中共徐汇区委2011年6月28日") < text.index("南丹路居民区党支部")
    fonts = _fonts(data)
    assert any(family.startswith("Noto-Serif-CJK") for family, _ in fonts)
    assert all(embedded == "yes" for _, embedded in fonts)


@needs_poppler
def test_the_publicity_notice_names_who_what_where_and_how_to_object():
    contact = Contact(
        "区委创先争优活动领导小组办公室",
        phone="021-64872222",
        url="https://example.org/biaozhang/1/",
    )
    notice = DecisionInfo(
        title="关于2011年度拟表彰对象的公示",
        issuer="中共徐汇区委组织部",
        doc_number="",
        issued_on=ON,
        paragraphs=("经择优推荐、层层推荐、组织复审，现将拟表彰对象予以公示。",),
    )
    data = documents.publicity_notice_pdf(notice, ROWS, dt.date(2011, 7, 4), contact)
    text = _text(data)
    for name in EXPECTED:
        assert text.count(name) == 1, name
    assert "公示时间：2011年6月28日至2011年7月4日。" in text
    assert "021-64872222" in text and "区委创先争优活动领导小组办公室" in text
    assert "上级党组织" in text and "所在单位" in text


def test_a_publicity_period_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="公示结束日期"):
        documents.publicity_notice_pdf(INFO, ROWS, dt.date(2011, 6, 1), Contact("办公室"))


@needs_poppler
def test_certificates_are_one_landscape_page_per_awardee():
    data = documents.certificates_pdf(ROWS, "中共徐汇区委", ON, occasion="2011年度创先争优活动")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == len(EXPECTED)
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    for number, name in enumerate(EXPECTED, start=1):
        page = _text(data, "-f", str(number), "-l", str(number))
        assert name in page
        assert "荣誉证书" in page and "中共徐汇区委" in page and "2011年6月28日" in page
    first = _text(data, "-f", "1", "-l", "1")
    assert "被评为先进基层党组织" in first and "同志" not in first
    fourth = _text(data, "-f", "4", "-l", "4")  # 张建国: his unit above his name
    assert "虹梅路街道党工委张建国同志：" in fourth and "被评为优秀共产党员" in fourth
    assert all(embedded == "yes" for _, embedded in _fonts(data))


def test_certificate_names_are_unique_and_safe():
    twins = [
        member("张伟", "田林街道党工委", key="a"),
        member("张伟", "田林街道党工委", key="b"),
        member("张伟", "虹梅路街道党工委", key="c"),
        member("李/明", "田林街道党工委", key="d"),
        organisation("南丹路居民区党支部", "虹梅路街道党工委", 2),
    ]
    names = documents.certificate_names(documents.ordered(twins))
    assert names == [
        "荣誉证书-先进基层党组织-南丹路居民区党支部.pdf",
        "荣誉证书-优秀共产党员-虹梅路街道党工委-张伟.pdf",
        "荣誉证书-优秀共产党员-田林街道党工委-张伟.pdf",
        "荣誉证书-优秀共产党员-田林街道党工委-张伟-2.pdf",
        "荣誉证书-优秀共产党员-田林街道党工委-李_明.pdf",
    ]


@needs_poppler
def test_the_certificates_zip_holds_one_single_page_pdf_per_awardee(monkeypatch):
    monkeypatch.setattr(documents, "ZIP_CHUNK", 3)  # several layouts, cut and joined in order
    seen = []
    buffer = io.BytesIO()
    count = documents.write_certificates_zip(
        buffer, ROWS, "中共徐汇区委", ON, progress=lambda done, total: seen.append((done, total))
    )
    assert count == len(EXPECTED)
    assert seen == [(3, 8), (6, 8), (8, 8)]
    with zipfile.ZipFile(buffer) as archive:
        infos = archive.infolist()
        assert len({i.filename for i in infos}) == len(infos) == len(EXPECTED)
        for info, name in zip(infos, EXPECTED, strict=True):
            assert name in info.filename
            data = archive.read(info)
            assert len(PdfReader(io.BytesIO(data)).pages) == 1
            assert name in _text(data)
            assert all(embedded == "yes" for _, embedded in _fonts(data))
    assert documents.certificates_zip(ROWS[:1], "中共徐汇区委", ON)[:2] == b"PK"


def test_the_award_list_export_is_in_order_and_neutralises_formulas():
    rows = [
        *ROWS,
        member("=HYPERLINK(1)", "田林街道党工委", deeds="+cmd|' /C calc'!A0", gender="女"),
    ]
    table = documents.award_list_rows(rows)
    assert [r[3] for r in table] == [*EXPECTED[:6], "=HYPERLINK(1)", EXPECTED[6], EXPECTED[7]]
    assert [r[0] for r in table] == list(range(1, 10))
    assert table[0][2] == "党组织" and table[-1][2] == "党务工作者"
    content, _type = write_table("csv", documents.LIST_HEADERS, table, title="表彰名单")
    parsed = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert parsed[0] == list(documents.LIST_HEADERS)
    hostile = next(r for r in parsed if "HYPERLINK" in r[3])
    assert hostile[3] == "'=HYPERLINK(1)" and hostile[6].startswith("'+cmd") and hostile[4] == "女"
    xlsx, _type = write_table("xlsx", documents.LIST_HEADERS, table, title="表彰名单")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx)).active
    values = [cell.value for cell in sheet["D"]]
    assert "'=HYPERLINK(1)" in values and "=HYPERLINK(1)" not in values


def test_long_names_and_titles_still_fit_one_certificate_each():
    long_unit = "上海漕河泾新兴技术开发区发展总公司党委下属第三产业联合党支部第二党小组"
    rows = [
        member("欧阳建国", long_unit, category="“建功世博会、奉献在徐汇”优秀共产党员"),
        organisation(
            "中共上海市徐汇区漕河泾新兴技术开发区发展总公司委员会第三产业联合党支部委员会",
            "虹梅路街道党工委",
            1,
        ),
    ]
    data = documents.certificates_pdf(
        rows, "中共上海市徐汇区委员会", ON, occasion="2011年度“建功世博会、奉献在徐汇”创先争优活动"
    )
    assert len(PdfReader(io.BytesIO(data)).pages) == 2


def test_the_showcase_cards_show_name_unit_title_and_deeds_escaped():
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    rows = [
        *ROWS,
        member("赵卫东", "田林街道党工委", deeds="<script>alert(1)</script>带头服务群众\n第二行"),
    ]
    html = render_to_string(
        "awards/_showcase.html",
        {"groups": documents.grouped(rows), "showcase_title": "2011年“七一”表彰"},
    )
    assert "网上巡展 · 2011年“七一”表彰" in html
    for name in [*EXPECTED, "赵卫东"]:
        assert html.count(f"<h4>{name}</h4>") == 1, name
    assert html.index("<h4>南丹路居民区党支部</h4>") < html.index("<h4>张建国</h4>")
    assert "上级党组织：虹梅路街道党工委" in html and "所在单位：田林街道党工委" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;带头服务群众<br>第二行" in html
    assert "<script>alert" not in html
    assert html.count('class="initial"') == len(EXPECTED) + 1  # no photos: the placeholder
    group = {
        "name": "优秀共产党员",
        "count": 1,
        "measure": "名",
        "kind": "member",
        "rows": [
            SimpleNamespace(
                name="李秀英",
                organization="田林街道党工委",
                category="优秀共产党员",
                deeds="",
                photo_url="/media/awards/1.jpg",
            )
        ],
    }
    html = render_to_string("awards/_showcase.html", {"groups": [group]})
    assert '<img src="/media/awards/1.jpg" alt="李秀英" loading="lazy">' in html
    assert 'class="initial"' not in html and 'class="deeds"' not in html
    assert "暂无获表彰对象" in render_to_string("awards/_showcase.html", {"groups": []})


# With 5-11 one-line paragraphs the 附件说明, 署名 and 成文日期 do not fit under
# the 正文 on page 1 (found once by trying 3-15).
@needs_poppler
@pytest.mark.parametrize("count", [5, 8])
def test_the_decisions_closing_keeps_a_body_line_and_the_list_starts_its_own_page(count):
    info = dataclasses.replace(INFO, paragraphs=tuple(f"正文第{i}段。" for i in range(count)))
    data = documents.decision_pdf(info, ROWS)
    assert closing_problem(data, signature=INFO.issuer, date="2011年6月28日") is None
    page = date_page(data, "2011年6月28日")
    pages = page_texts(data)
    assert page == 2
    assert "附件：" in pages[page - 1]
    assert pages[page].split()[0] == "附件"  # the 名单 starts the next page
    assert EXPECTED[0] not in pages[page - 1]


@needs_poppler
def test_without_its_rule_the_attachment_note_would_go_over_alone_with_the_closing(
    monkeypatch,
):
    # So the test above is not passing on lengths where nothing was at stake.
    original = pdf.html_to_pdf
    off = "<style>.gw-body .attachment-note { break-before: auto; }</style></head>"
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: original(html.replace("</head>", off)))
    info = dataclasses.replace(INFO, paragraphs=tuple(f"正文第{i}段。" for i in range(8)))
    problem = closing_problem(
        documents.decision_pdf(info, ROWS), signature=INFO.issuer, date="2011年6月28日"
    )
    assert problem is not None
    assert "附件：" in problem
