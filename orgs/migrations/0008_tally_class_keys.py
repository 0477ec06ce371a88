from collections import defaultdict

from django.db import migrations, models


def add_class_figures(apps, schema_editor):
    """Each stored own figure also under its organisation's class (``<key>@<sector>.<kind>``,
    ``.off`` for a revoked one), rolled up the tree (orgs.tallies.counted does the
    same for the live models)."""
    Organization = apps.get_model("orgs", "Organization")
    Tally = apps.get_model("orgs", "OrganizationTally")
    own = defaultdict(dict)
    for pk, key, n in Tally.objects.exclude(own=0).values_list("organization_id", "key", "own"):
        if "@" not in key:
            own[pk][key] = n
    if not own:
        return
    subtree, stack, mine_of = {}, [], {}
    nodes = Organization.objects.order_by("tree_id", "lft").values_list(
        "pk", "tree_id", "lft", "rght", "sector_id", "kind", "is_active"
    )
    for pk, tree_id, lft, rght, sector_id, kind, active in nodes.iterator(chunk_size=5000):
        while stack and (stack[-1][1] != tree_id or stack[-1][2] < lft):
            stack.pop()
        subtree[pk] = defaultdict(int)
        suffix = f"@{sector_id}.{kind}" + ("" if active else ".off")
        mine = {f"{key}{suffix}": n for key, n in own.get(pk, {}).items()}
        mine_of[pk] = mine
        for key, n in mine.items():
            subtree[pk][key] += n
            for ancestor, _, _ in stack:
                subtree[ancestor][key] += n
        stack.append((pk, tree_id, rght))
    Tally.objects.bulk_create(
        [
            Tally(organization_id=pk, key=key, own=mine_of[pk].get(key, 0), subtree=n)
            for pk, keys in subtree.items()
            for key, n in keys.items()
            if n
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0007_organization_tallies_member_order"),
    ]

    operations = [
        migrations.AlterField(
            model_name="organizationtally",
            name="key",
            field=models.CharField(max_length=128, verbose_name="统计项"),
        ),
        migrations.RunPython(add_class_figures, migrations.RunPython.noop),
    ]
