"""What reviews plugs into the lower apps: the data-file section of ``load_campaign``."""

from reviews import loading  # noqa: F401 (registers the review_kinds section)
