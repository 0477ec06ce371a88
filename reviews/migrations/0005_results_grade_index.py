"""The results page filtered by grade (合格 …) in its order, as an index on
PostgreSQL (as review_rank of 0003 for the unfiltered page): the page and its
count read a district round's grade from the index instead of scanning its
75,000 reviews. The round's own index goes: every query by round is served by
review_round_org and the two rank indexes, and a results write maintains one
index fewer."""

from django.db import migrations, models

CREATE = (
    "CREATE INDEX IF NOT EXISTS review_grade_rank ON reviews_review "
    "(round_id, grade, composite DESC NULLS LAST, id)"
)
DROP = "DROP INDEX IF EXISTS review_grade_rank"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0004_spotcheck")]

    operations = [
        migrations.RunPython(create, drop),
        migrations.AlterField(
            model_name="review",
            name="round",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.CASCADE,
                related_name="reviews",
                to="reviews.reviewround",
                verbose_name="评议轮次",
            ),
        ),
    ]
