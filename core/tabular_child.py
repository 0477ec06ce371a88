"""Read the first sheet of an .xls or .ods file in a child process whose memory is capped.

``core.tabular`` runs this file as a script (``python -I tabular_child.py PATH
MEMORY_MB CPU_SECONDS``); it imports nothing of Django or of the project, so the
child starts in a few tens of milliseconds with a small address space.

Why a child: the parser (python-calamine) builds every sheet of an XLS or ODS
file in memory when the file is opened, as one dense block up to the farthest
cell, and it trusts what the file declares (an XLS ``DIMENSIONS`` record
reserves rows × columns cells up front; an ODS cell may repeat itself thousands
of times). Neither can be measured without parsing the container, so the
parse runs here under ``RLIMIT_AS``: a hostile file makes this process fail an
allocation and die, never the web or worker process that asked.

Output, one JSON document a line on stdout:

- ``{"end": [row, column]}`` (0-based, the farthest cell) or ``{"end": null}``
  for an empty sheet, first, before any row;
- ``[line, [value, …]]``: the sheet's first line (the header), then every line
  that is not blank, the values as the parser gives them (dates, times and
  durations tagged, see ``_tagged``), the block starting at column A;
- ``{"error": "memory" | "nosheet" | "unreadable", "detail": "…"}`` if the
  read fails (exit status 3).

Failures are kinds, not sentences: the parent (``core.tabular._read_in_child``)
words the user's message in its own active language; ``detail`` goes only to
its log.
"""

import datetime as dt
import json
import resource
import sys


def _tagged(value: object) -> object:
    """JSON for the values JSON has no type for (``core.tabular._untag`` reverses it)."""
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"time": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"seconds": value.total_seconds()}
    return {"text": str(value)}


def _fail(kind: str, detail: str = "") -> None:
    sys.stdout.write(json.dumps({"error": kind, "detail": detail[:300]}) + "\n")
    sys.stdout.flush()
    sys.exit(3)


def main(path: str, memory_mb: int, cpu_seconds: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    out = sys.stdout
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(path)
        if not workbook.sheet_names:
            _fail("nosheet")
        sheet = workbook.get_sheet_by_index(0)
        start, end = sheet.start, sheet.end
        out.write(json.dumps({"end": list(end) if end is not None else None}) + "\n")
        if end is None or start is None:
            return
        # Rows come from row 0 but columns from the sheet's first used column:
        # pad them so a value's position is its column, as in the other formats.
        padding = [""] * start[1]
        for line, row in enumerate(sheet.iter_rows(), start=1):
            if line > 1 and all(v == "" or v is None for v in row):
                continue
            out.write(
                json.dumps([line, padding + list(row)], ensure_ascii=False, default=_tagged) + "\n"
            )
    except MemoryError:
        _fail("memory")
    except (SystemExit, BrokenPipeError):  # the reader has what it needs and has gone
        raise
    except BaseException as exc:  # the parser's errors, and its panics (not Exceptions)
        _fail("unreadable", f"{exc.__class__.__name__}: {exc}")
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
