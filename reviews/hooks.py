"""What reviews plugs into the lower apps: the data-file section of ``load_campaign``
and the results job."""

from reviews import jobs, loading  # noqa: F401 (registers the job kind and the review_kinds section)
