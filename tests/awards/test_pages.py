"""The award pages: the office's round, the quota page with its children and
history, 分配 and 调整 through the page, a refusal as a message, the 待办."""

from awards.models import Quota


def test_the_office_allocates_and_adjusts_on_the_page(district, category, login):
    client = login(district.users["office"])
    page = client.get(f"/awards/{category.round_id}/")
    assert page.status_code == 200
    assert "优秀共产党员" in page.content.decode()
    url = f"/awards/categories/{category.pk}/quota/{district.root.pk}/"
    page = client.get(url).content.decode()
    assert "最大余数法" in page and "按比例分配到下级" in page
    client.post(url + "allocate/")
    street = Quota.objects.get(category=category, organization=district.street)
    street2 = Quota.objects.get(category=category, organization=district.street2)
    assert (street.amount, street2.amount) == (8, 2)
    # Not adding up: refused with the reason, nothing changed.
    answer = client.post(
        url + "adjust/", {f"amount-{street.pk}": "9", "reason": "多给一个"}, follow=True
    )
    assert "下级名额合计 11 个" in answer.content.decode()
    street.refresh_from_db()
    assert street.amount == 8
    answer = client.post(
        url + "adjust/", {f"amount-{street.pk}": "x", "reason": "多给一个"}, follow=True
    )
    assert "不是不小于 0 的整数" in answer.content.decode()
    client.post(
        url + "adjust/",
        {f"amount-{street.pk}": "7", f"amount-{street2.pk}": "3", "reason": "第二街道党员增长快"},
    )
    street.refresh_from_db()
    assert street.amount == 7
    page = client.get(url).content.decode()
    assert "调整名额" in page and "第二街道党员增长快" in page and "8 → 7" in page


def test_the_committee_sees_its_quota_waiting_and_keeps_it(district, category, login):
    from awards.quotas import quota_allocate

    quota_allocate(user=district.users["office"], category=category, organization=district.root)
    client = login(district.users["committee"])
    home = client.get("/").content.decode()
    assert "优秀共产党员名额 8 个待分配或确认" in home
    assert (
        client.get(f"/awards/categories/{category.pk}/quota/{district.root.pk}/").status_code == 404
    )
    url = f"/awards/categories/{category.pk}/quota/{district.street.pk}/"
    assert client.get(url).status_code == 200
    client.post(url + "keep/")
    assert "待分配或确认" not in client.get("/").content.decode()
    assert Quota.objects.get(category=category, organization=district.street).kept
