"""What a 公文 PDF's pages say, for checking where its 署名 and 成文日期 fall (GB/T 9704 7.3.5)."""

import subprocess

BODY_MARK = "正文"  # every 正文 line of the test documents carries it; no 版头 or 署名 does


def page_texts(data: bytes) -> list[str]:
    """Each page's text as pdftotext reads it (it ends every page with a form feed)."""
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return out.split("\f")[:-1]


def closing_problem(
    data: bytes, *, signature: str, date: str, body_mark: str = BODY_MARK
) -> str | None:
    """Why the page holding the 成文日期 breaks GB/T 9704 7.3.5, or None when it does not:
    the 署名 must be the line right above the date, and a line of the 正文 (one
    with ``body_mark``) must be above the 署名 on that page, so the page does not
    begin with the 署名 (or with only a 附件说明 over it)."""
    for number, text in enumerate(page_texts(data), start=1):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if date not in lines:
            continue
        at = lines.index(date)
        if at == 0 or lines[at - 1] != signature:
            return f"第{number}页：成文日期上方不是署名：{lines[: at + 1]}"
        if not any(body_mark in line for line in lines[: at - 1]):
            return f"第{number}页以署名开头，没有一行正文：{lines[: at + 1]}"
        return None
    return f"没有一页有成文日期 {date}"


def date_page(data: bytes, date: str) -> int:
    """The number (from 1) of the page whose lines include ``date``; 0 if none."""
    for number, text in enumerate(page_texts(data), start=1):
        if date in (line.strip() for line in text.splitlines()):
            return number
    return 0
