"""The admin deletes organisations through organization_delete: the tree lock,
the rules (no children, no members) and an audit entry, alone or in bulk."""

from django.urls import reverse

from core.models import AuditEntry
from orgs.models import Organization
from orgs.services import tree_problems
from tests.factories import OrganizationFactory


def changelist_delete(client, nodes):
    return client.post(
        reverse("admin:orgs_organization_changelist"),
        {"action": "delete_selected", "_selected_action": [n.pk for n in nodes], "post": "yes"},
        follow=True,
    )


def test_bulk_delete_of_empty_units_is_audited_and_keeps_the_tree_sound(district, login):
    parent = OrganizationFactory(code="R-S2-X", name="待撤销党总支", parent=district.street2)
    child = OrganizationFactory(code="R-S2-X-1", name="待撤销支部", parent=parent)
    client = login(district.users["admin"])
    response = changelist_delete(client, [parent, child])  # parent first: children go first
    assert "已删除 2 个党组织" in response.content.decode()
    assert not Organization.objects.filter(pk__in=[parent.pk, child.pk]).exists()
    deleted = AuditEntry.objects.filter(model="orgs.organization", action="delete")
    assert sorted(deleted.values_list("object_id", flat=True)) == sorted(
        [str(parent.pk), str(child.pk)]
    )
    assert tree_problems() == []


def test_bulk_delete_refuses_a_unit_with_members_and_deletes_nothing(district, login):
    empty = OrganizationFactory(code="R-S2-E", name="空支部", parent=district.street2)
    client = login(district.users["admin"])
    response = changelist_delete(client, [empty, district.far_branch])
    page = response.content.decode()
    assert "未删除任何党组织" in page and "远方党支部（R-S2-B1）" in page and "还有党员" in page
    assert Organization.objects.filter(pk__in=[empty.pk, district.far_branch.pk]).count() == 2
    assert not AuditEntry.objects.filter(model="orgs.organization", action="delete").exists()


def test_deleting_one_unit_goes_through_the_service(district, login):
    client = login(district.users["admin"])
    url = reverse("admin:orgs_organization_delete", args=[district.street2.pk])
    response = client.post(url, {"post": "yes"}, follow=True)
    assert "无法删除" in response.content.decode()  # the admin's own check: it has children
    assert Organization.objects.filter(pk=district.street2.pk).exists()
    empty = OrganizationFactory(code="R-S2-E", name="空支部", parent=district.street2)
    url = reverse("admin:orgs_organization_delete", args=[empty.pk])
    client.post(url, {"post": "yes"})
    assert not Organization.objects.filter(pk=empty.pk).exists()
    entry = AuditEntry.objects.get(model="orgs.organization", action="delete")
    assert entry.object_id == str(empty.pk) and entry.source == "admin"
    assert tree_problems() == []


def test_a_unit_that_gained_a_child_meanwhile_is_refused_with_a_message(
    district, login, monkeypatch
):
    """Between the admin's confirmation page and the delete a child can appear;
    the service, under the tree lock, has the last word and the page says why."""
    import orgs.admin
    from orgs.services import DomainError

    def refuse(*, organization):
        raise DomainError("该党组织下还有下级组织，不能删除")

    monkeypatch.setattr(orgs.admin, "organization_delete", refuse)
    empty = OrganizationFactory(code="R-S2-E", name="空支部", parent=district.street2)
    client = login(district.users["admin"])
    url = reverse("admin:orgs_organization_delete", args=[empty.pk])
    response = client.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "未删除：该党组织下还有下级组织" in response.content.decode()
    assert Organization.objects.filter(pk=empty.pk).exists()
