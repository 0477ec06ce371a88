"""Benchmark: peak memory and time of ``core.tabular.read_table`` on crafted files.

Each file is built here, written to a temporary directory, and read in a fresh
interpreter (``python benchmarks/hostile_files.py _read FILE``) so that its peak
RSS (``ru_maxrss``) is the read's own, starting from an interpreter with Django
set up (its baseline is printed as the first line). XLS and ODS files are parsed
by a child of that interpreter (``core/tabular_child.py``); its peak is watched
from a thread (VmHWM of each child, every 5 ms) and printed in its own column,
and it cannot pass ``IMPORT_PARSER_MEMORY_MB`` (its address-space limit). The
settings are the defaults (``IMPORT_MAX_ROWS`` 200,000, ``IMPORT_MAX_COLUMNS``
50, ``IMPORT_MAX_BYTES`` 20 MB, ``IMPORT_PARSER_MEMORY_MB`` 200). The issue's
goal: ≤ 200 MB for every refused file, in every process. It prints figures and
PASS/MISS; it asserts nothing.

    .venv/bin/python benchmarks/hostile_files.py
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL_MB = 200


def _xlsx(sheet_rows: str) -> bytes:
    from tests.core.test_hostile_tables import crafted_xlsx

    return crafted_xlsx(sheet_rows)


HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>党员编号</t></is></c></row>'


def _ods_and_xls() -> list[tuple[str, str, bytes]]:
    from tests.core import test_hostile_tables as hostile
    from tests.workbooks import xls

    member_rows = [
        [f"P{n:06d}", f"党员{n}", "男", "1980-05-04", "2005-07-01", "正式党员", "X-1-1", "教师"]
        + ["13800138000"]
        for n in range(65_535)
    ]
    headers = ["党员编号", "姓名", "性别", "出生日期", "入党日期", "党员类别", "所在党组织代码"]
    return [
        (
            "ODS: a cell after 16,383 empty ones",
            "farcol.ods",
            hostile.crafted_ods(hostile.ODS_FAR_COLUMN),
        ),
        (
            "ODS: a cell after 1,048,574 empty rows",
            "farrow.ods",
            hostile.crafted_ods(hostile.ODS_FAR_ROW),
        ),
        ("ODS: 16,384 cells × 1,048,575 rows", "block.ods", hostile.crafted_ods(hostile.ODS_BLOCK)),
        (
            "ODS: 50 cells × 200,000 rows (in the caps)",
            "full.ods",
            hostile.crafted_ods(hostile.ODS_FULL_BLOCK),
        ),
        ("ODS: text:s c=2,000,000,000", "spaces.ods", hostile.crafted_ods(hostile.ODS_SPACES)),
        ("XLS: one cell at IV65536", "far.xls", hostile.XLS_FAR_CELL),
        ("XLS: DIMENSIONS of 4 G rows", "dim.xls", hostile.xls_declaring(0xFFFFFFF0, 0xFF)),
        ("XLS: DIMENSIONS of 60,000 × 256", "dim2.xls", hostile.xls_declaring(60_000, 0xFF)),
        (
            "XLS: 65,535 members × 9 (accepted)",
            "members.xls",
            xls([*headers, "工作岗位", "手机号码"], member_rows),
        ),
    ]


def cases() -> list[tuple[str, str, bytes]]:
    tiny_rows = "".join(f"<row><c><v>{n % 10}</v></c></row>" for n in range(2_800_000))
    wide = "".join(
        "<row>" + "<c><v>1</v></c>" * 20 + "</row>" for _ in range(140_000)
    )  # 2.8 M cells inside the caps: accepted, shown for comparison
    return [
        (
            "one cell at XFD1048576",
            "far.xlsx",
            _xlsx(HEADER + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
        ),
        (
            "one cell at CV1000000",
            "cv.xlsx",
            _xlsx(HEADER + '<row r="1000000"><c r="CV1000000"><v>1</v></c></row>'),
        ),
        ("2.8 M tiny cells, one per row", "tiny.xlsx", _xlsx(HEADER + tiny_rows)),
        ("2.8 M cells, 140,000 rows × 20 (accepted)", "wide.xlsx", _xlsx(HEADER + wide)),
        (
            "CSV of '1\\n' lines, 20 MB",
            "ones.csv",
            "党员编号\n".encode() + b"1\n" * (10 * 1024 * 1024 - 10),
        ),
        (
            "CSV, one row of 6 M fields",
            "row.csv",
            "党员编号\n".encode() + b"ab," * (6 * 1024 * 1024),
        ),
        *_ods_and_xls(),
    ]


def _high_water_kb() -> int:
    """VmHWM, the peak RSS of this process image. (ru_maxrss would not do: Linux
    carries it across exec, so the child would report the parent's peak.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


class _ChildWatch(threading.Thread):
    """The largest VmHWM seen among this process's children while it runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.parent = threading.get_native_id()
        self.peak_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        children = Path(f"/proc/self/task/{self.parent}/children")
        while not self.done.wait(0.005):
            for pid in children.read_text().split():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))


def _read(path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from core.tabular import TableError, read_table

    data = Path(path).read_bytes()
    before = _high_water_kb()
    watch = _ChildWatch()
    watch.start()
    start = time.perf_counter()
    try:
        table = read_table(data, Path(path).name)
        outcome = f"read {len(table.rows):,} rows"
    except TableError as exc:
        outcome = f"refused: {exc}"
    elapsed = time.perf_counter() - start
    watch.done.set()
    watch.join()
    peak = _high_water_kb()
    print(
        json.dumps(
            {
                "outcome": outcome,
                "seconds": elapsed,
                "peak_kb": peak,
                "start_kb": before,
                "child_kb": watch.peak_kb,
            }
        )
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'file':44} {'size':>9} {'time':>7} {'peak RSS':>9} {'child':>7}  result")
        for title, name, data in cases():
            path = Path(folder) / name
            path.write_bytes(data)
            del data
            run = subprocess.run(
                [sys.executable, __file__, "_read", str(path)],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            if run.returncode != 0:
                print(f"{title:44} process died: {run.returncode} {run.stderr[-300:]}")
                continue
            figures = json.loads(run.stdout.strip().splitlines()[-1])
            peak = figures["peak_kb"] / 1024
            child = figures["child_kb"] / 1024
            refused = figures["outcome"].startswith("refused")
            worst = max(peak, child)
            verdict = ("PASS" if worst <= GOAL_MB else "MISS") if refused else "(accepted)"
            size = path.stat().st_size
            print(
                f"{title:44} {size / 1024:>7.0f}KB {figures['seconds']:>6.2f}s {peak:>7.0f}MB"
                f" {f'{child:.0f}MB' if child else '—':>7}  {verdict} {figures['outcome'][:90]}"
            )
        print(
            f"(interpreter with Django set up, before reading: {figures['start_kb'] / 1024:.0f} MB)"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "_read":
        _read(sys.argv[2])
    else:
        main()
