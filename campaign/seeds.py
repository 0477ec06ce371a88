"""The seed campaigns shipped as data files in ``fixtures/campaigns/`` (one per seed document).

A data file may ``extend`` another (by seed name or path): its own keys replace
the base's, and its ``campaign`` fields are laid over the base's one by one.
The demo district's campaign (``fixtures/demo/minghu.json``) extends the 历城
document this way with its own name and contact points.
"""

import calendar
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from django.conf import settings

SEED_DIR = Path(settings.BASE_DIR) / "fixtures" / "campaigns"


def seed_names() -> list[str]:
    """The names ``load_campaign`` accepts: the data files' stems (xuhui, licheng …)."""
    return sorted(p.stem for p in SEED_DIR.glob("*.json"))


def seed_path(name: str) -> Path:
    """A seed by name, or any data file in the same format by its path."""
    if name.endswith(".json"):
        return Path(name)
    return SEED_DIR / f"{name}.json"


def seed_data(name: str) -> dict[str, Any]:
    with seed_path(name).open(encoding="utf-8") as f:
        data = json.load(f)
    base = data.pop("extends", None) if isinstance(data, dict) else None
    if base is None:
        return data
    merged = seed_data(base)
    for key, value in data.items():
        if key == "campaign":
            merged["campaign"] = {**merged.get("campaign", {}), **value}
        else:
            merged[key] = value
    return merged


CN_QUARTERS = "一二三四"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months; a month's last day stays a month's last day
    (06-30 + 3 months is 09-30), a day past the new month's end is clamped."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    was_last = day.day == calendar.monthrange(day.year, day.month)[1]
    return dt.date(year, month + 1, last if was_last else min(day.day, last))


def _renamed(name: str, day: dt.date) -> str:
    """A milestone's name re-read from its new date: 2010年第二季度 dated 2026-12-31
    reads 2026年第四季度; 上半年/下半年 likewise; any other 2010年 takes the new year."""
    quarter = f"{day.year}年第{CN_QUARTERS[(day.month - 1) // 3]}季度"
    half = f"{day.year}年{'上' if day.month <= 6 else '下'}半年"
    name = re.sub(r"(19|20)\d\d年第[一二三四]季度", quarter, name)
    name = re.sub(r"(19|20)\d\d年[上下]半年", half, name)
    return re.sub(r"(?<!\d)(19|20)\d\d(?=年)", str(day.year), name)


def shifted(data: dict[str, Any], today: dt.date, phase: int) -> dict[str, Any]:
    """The campaign re-dated so that ``today`` falls early in its ``phase``-th
    phase (1-based), for the demo: every date moves by the same whole number of
    quarters (quarter and month ends stay ends), and the year, quarter and half
    written in a milestone's name (2011年第一季度) are re-read from its new date.
    The data file's own dates are untouched."""
    phases = data["phases"]
    if not 1 <= phase <= len(phases):
        raise ValueError(f"没有第 {phase} 个阶段（共 {len(phases)} 个）")
    start = dt.date.fromisoformat(phases[phase - 1]["start_date"])
    end = dt.date.fromisoformat(phases[phase - 1]["end_date"])
    target = start + (end - start) / 3
    months = (today.year - target.year) * 12 + today.month - target.month
    months -= months % 3
    # The nearest whole number of quarters that puts today inside the phase.
    for candidate in sorted(range(months - 12, months + 13, 3), key=lambda m: abs(m - months)):
        if add_months(start, candidate) <= today <= add_months(end, candidate):
            months = candidate
            break

    def move(value: str) -> str:
        return add_months(dt.date.fromisoformat(value), months).isoformat()

    out = json.loads(json.dumps(data))
    for key in ("start_date", "end_date"):
        out["campaign"][key] = move(out["campaign"][key])
    for item in out["phases"]:
        item["start_date"], item["end_date"] = move(item["start_date"]), move(item["end_date"])
    for item in out.get("milestones", []):
        item["date"] = move(item["date"])
        item["name"] = _renamed(item["name"], dt.date.fromisoformat(item["date"]))
    return out
