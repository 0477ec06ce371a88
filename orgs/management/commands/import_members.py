from orgs.importers import import_members
from orgs.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = "从 XLSX/CSV 导入党员（全部校验通过才写入；--dry-run 只校验）"
    target = "党员"
    importer = staticmethod(import_members)
