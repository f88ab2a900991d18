"""Each staff account lands on the page its role may use; a page of another role answers the portal's
403 page saying which pages the account can use, with a link; the admin's app headings read Chinese."""

import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories import UserFactory, user_for
from tests.staff.conftest import staff_user

CJK = re.compile(r"[\u4e00-\u9fff]")


def signed_in(client, username: str) -> str:
    """Signs in through the login page, as a browser does; returns where the portal sends him."""
    response = client.post(reverse("login"), {"identifier": username, "password": "Gongji-test-2026"})
    assert response.status_code == 302, response.content[:300]
    return client.get(response["Location"])["Location"]


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("counter_staff", "staff:home"),
        ("counter_supervisor", "staff:home"),
        ("auditor", "staff:review"),
    ],
)
def test_each_role_lands_on_its_own_page_after_signing_in(client, db, role, landing):
    staff_user(role, f"a-{role}")

    lands = signed_in(client, f"a-{role}")

    assert lands == reverse(landing)
    assert client.get(lands).status_code == 200


def test_a_superuser_lands_in_the_admin_and_may_still_open_the_counter(client, db):
    UserFactory(username="root", is_superuser=True, is_staff=True)

    assert signed_in(client, "root") == reverse("admin:index")
    assert client.get(reverse("staff:home")).status_code == 200


def test_a_staff_account_with_no_role_lands_on_a_page_saying_so(client, db):
    UserFactory(username="new-hire")

    lands = signed_in(client, "new-hire")
    page = client.get(lands)

    assert lands == reverse("staff:no-role")
    assert page.status_code == 200
    assert 'id="no-role"' in page.content.decode()
    assert "new-hire" in page.content.decode()


def test_the_no_role_page_sends_an_account_with_a_role_to_its_page(client, auditor):
    client.force_login(auditor)

    assert client.get(reverse("staff:no-role"))["Location"] == reverse("staff:review")


def test_counter_staff_opening_the_review_get_the_portals_403_naming_their_page(client, clerk):
    client.force_login(clerk)

    for page in ("staff:review", "staff:reconciliation"):
        response = client.get(reverse(page))
        body = response.content.decode()

        assert response.status_code == 403
        assert "此页面仅供审核人员使用。" in body
        assert "您的账号可以使用经办窗口" in body
        assert 'href="/"' in body or f'href="{reverse("staff:home")}"' in body


def test_an_auditor_opening_the_counter_gets_the_portals_403_naming_his_pages(client, auditor):
    client.force_login(auditor)

    response = client.get(reverse("staff:home"))
    body = response.content.decode()

    assert response.status_code == 403
    assert "此页面仅供经办人员、经办主管使用。" in body
    assert "支出审核和对账" in body
    assert 'href="/"' in body or f'href="{reverse("staff:review")}"' in body


def test_the_refusal_reads_english_in_english(client, auditor):
    client.force_login(auditor)
    client.cookies["django_language"] = "en"

    body = client.get(reverse("staff:home")).content.decode()

    assert "This page is for counter staff, counter supervisors only." in body
    assert "Your account can use the expenditure review and the reconciliation" in body


def test_an_insuree_opening_a_staff_page_is_told_to_use_the_insurees_pages(client, world):
    client.force_login(user_for(world.authorizer.person))

    response = client.get(reverse("staff:review"))

    assert response.status_code == 403
    assert "您的账号可以使用参保人页面" in response.content.decode()


def test_the_nav_leads_an_auditor_to_the_review_and_the_reconciliation(client, auditor):
    client.force_login(auditor)

    body = client.get(reverse("staff:review")).content.decode()

    assert f'href="{reverse("staff:reconciliation")}"' in body


def test_the_admins_app_headings_read_chinese_by_default(client, db):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    Group.objects.get_or_create(name="auditor")
    client.force_login(superuser)

    response = client.get(reverse("admin:index"))
    headings = [app["name"] for app in response.context["app_list"]]

    assert response.status_code == 200
    assert headings, "the admin lists no app"
    assert [name for name in headings if not CJK.search(str(name))] == []
    for label in ("insurees", "mutual_aid", "payments", "ledger", "staff", "accounts", "portal"):
        assert CJK.search(str(apps.get_app_config(label).verbose_name)), label
