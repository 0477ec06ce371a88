"""Benchmark: peak memory and time of ``core.tabular.read_table`` on crafted files.

Each file is built here, written to a temporary directory, and read in a fresh
interpreter (``python benchmarks/hostile_files.py _read FILE``) so that its peak
RSS (``ru_maxrss``) is the read's own, starting from an interpreter with Django
set up (its baseline is printed as the first line). The settings are the
defaults (``IMPORT_MAX_ROWS`` 200,000, ``IMPORT_MAX_COLUMNS`` 50,
``IMPORT_MAX_BYTES`` 20 MB). The issue's goal: ≤ 200 MB for every refused file.
It prints figures and PASS/MISS; it asserts nothing.

    .venv/bin/python benchmarks/hostile_files.py
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL_MB = 200


def _xlsx(sheet_rows: str) -> bytes:
    from tests.core.test_hostile_tables import crafted_xlsx

    return crafted_xlsx(sheet_rows)


HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>党员编号</t></is></c></row>'


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
    ]


def _high_water_kb() -> int:
    """VmHWM, the peak RSS of this process image. (ru_maxrss would not do: Linux
    carries it across exec, so the child would report the parent's peak.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def _read(path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from core.tabular import TableError, read_table

    data = Path(path).read_bytes()
    before = _high_water_kb()
    start = time.perf_counter()
    try:
        table = read_table(data, Path(path).name)
        outcome = f"read {len(table.rows):,} rows"
    except TableError as exc:
        outcome = f"refused: {exc}"
    elapsed = time.perf_counter() - start
    peak = _high_water_kb()
    print(json.dumps({"outcome": outcome, "seconds": elapsed, "peak_kb": peak, "start_kb": before}))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'file':44} {'size':>9} {'time':>7} {'peak RSS':>9}  result")
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
            refused = figures["outcome"].startswith("refused")
            verdict = ("PASS" if peak <= GOAL_MB else "MISS") if refused else "(accepted)"
            size = path.stat().st_size
            print(
                f"{title:44} {size / 1024:>7.0f}KB {figures['seconds']:>6.2f}s {peak:>7.0f}MB"
                f"  {verdict} {figures['outcome'][:90]}"
            )
        print(
            f"(interpreter with Django set up, before reading: {figures['start_kb'] / 1024:.0f} MB)"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "_read":
        _read(sys.argv[2])
    else:
        main()
