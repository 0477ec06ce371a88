from orgs.importers import import_organizations
from orgs.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = "从 XLSX/CSV 导入党组织（全部校验通过才写入；--dry-run 只校验）"
    target = "党组织"
    importer = staticmethod(import_organizations)
