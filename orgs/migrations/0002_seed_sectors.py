from django.db import migrations

SECTORS = ["农村", "街道社区", "机关", "事业单位", "国有企业", "非公有制企业", "社会组织", "其他"]


def seed(apps, schema_editor):
    Sector = apps.get_model("orgs", "Sector")
    for position, name in enumerate(SECTORS, start=1):
        Sector.objects.get_or_create(name=name, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
