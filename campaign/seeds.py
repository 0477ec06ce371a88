"""The seed campaigns shipped as data files in ``fixtures/campaigns/`` (one per seed document)."""

import json
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
        return json.load(f)
