"""The results page's order within a round (best first, unscored last, then the
order of creation) as an index, on PostgreSQL: a district round's page is read
from it instead of sorting 75,000 reviews. SQLite cannot index NULLS LAST and
sorts its small rounds."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS review_rank ON reviews_review "
    "(round_id, composite DESC NULLS LAST, id)"
)
DROP = "DROP INDEX IF EXISTS review_rank"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0002_meetings_statements")]

    operations = [migrations.RunPython(create, drop)]
