"""Spreadsheet columns for organisations and members, as django-import-export resources.

The resources are the one definition of the Chinese column headers: the admin's
export, the export jobs, the downloadable templates and the import engine
(``orgs.importers``) all read their headers from here.
"""

from import_export import fields, resources

from core.tabular import neutralise
from orgs.models import Member, Organization


class SafeExportResource(resources.ModelResource):
    """Exports neutralise cells that a spreadsheet would run as formulas (= + - @)."""

    def export_field(self, field, instance, **kwargs):
        return neutralise(super().export_field(field, instance, **kwargs))


class OrganizationResource(SafeExportResource):
    code = fields.Field(attribute="code", column_name="组织代码")
    name = fields.Field(attribute="name", column_name="组织名称")
    parent_code = fields.Field(attribute="parent__code", column_name="上级组织代码")
    kind = fields.Field(attribute="get_kind_display", column_name="组织类型")
    sector = fields.Field(attribute="sector__name", column_name="所属领域")
    secretary_name = fields.Field(attribute="secretary_name", column_name="书记姓名")
    phone = fields.Field(attribute="phone", column_name="联系电话")
    founded_on = fields.Field(attribute="founded_on", column_name="成立日期")

    class Meta:
        model = Organization
        fields = (
            "code",
            "name",
            "parent_code",
            "kind",
            "sector",
            "secretary_name",
            "phone",
            "founded_on",
        )
        export_order = fields

    def dehydrate_founded_on(self, obj: Organization) -> str:
        return obj.founded_on.isoformat() if obj.founded_on else ""


class MemberResource(SafeExportResource):
    number = fields.Field(attribute="number", column_name="党员编号")
    name = fields.Field(attribute="name", column_name="姓名")
    gender = fields.Field(attribute="get_gender_display", column_name="性别")
    birth_date = fields.Field(attribute="birth_date", column_name="出生日期")
    joined_on = fields.Field(attribute="joined_on", column_name="入党日期")
    category = fields.Field(attribute="get_category_display", column_name="党员类别")
    organization_code = fields.Field(attribute="organization__code", column_name="所在党组织代码")
    post = fields.Field(attribute="post", column_name="工作岗位")
    mobile = fields.Field(attribute="mobile", column_name="手机号码")

    class Meta:
        model = Member
        fields = (
            "number",
            "name",
            "gender",
            "birth_date",
            "joined_on",
            "category",
            "organization_code",
            "post",
            "mobile",
        )
        export_order = fields

    def dehydrate_birth_date(self, obj: Member) -> str:
        return obj.birth_date.isoformat()

    def dehydrate_joined_on(self, obj: Member) -> str:
        return obj.joined_on.isoformat()


def columns(resource_class: type[resources.ModelResource]) -> list[tuple[str, str]]:
    """(header, field name) pairs in column order."""
    resource = resource_class()
    return [(resource.fields[name].column_name, name) for name in resource.get_export_order()]
