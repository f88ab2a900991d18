"""The family's statements: the relative's 我的共济额度 (his allowances, and what he spent where), the
authorizer's page per relative (institution, category, amount, date, status: never items), and the
notification threshold on the allowance page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from medical.models import Allowance
from medical.services import Terminal, allowance_release, settlement_refund, settlement_reverse
from tests.factories import BindingFactory, EmployeeFactory, PersonFactory, ResidentFactory, user_for
from tests.pages.cashiers import allowance, institution, settle, signed_in, terminal_user


@pytest.fixture
def family(db):
    """张伟 set 300 yuan for his father 张德明; his sister 张敏 set 200 yuan for him too."""
    father = ResidentFactory(person=PersonFactory(name="张德明"))
    son = BindingFactory(
        authorizer=EmployeeFactory(balance_fen=100_000, person=PersonFactory(name="张伟")), beneficiary=father
    )
    daughter = BindingFactory(
        authorizer=EmployeeFactory(balance_fen=100_000, person=PersonFactory(name="张敏")), beneficiary=father
    )
    allowance(son, 30_000)
    allowance(daughter, 20_000)
    return son, daughter


@pytest.fixture
def places(db):
    pharmacy = terminal_user(institution("PH0001", "大连康民大药房"), "kangmin")
    hospital = terminal_user(institution("HO0001", "大连市中心医院", kind="hospital"), "zhongxin")
    return pharmacy, hospital


def test_the_relative_sees_his_allowances_and_what_he_spent_where(family, places):
    son, daughter = family
    pharmacy, hospital = places
    settle(pharmacy, son.beneficiary, 4_550, category="drugs")  # from the son's: the most left
    outpatient = settle(hospital, son.beneficiary, 12_000, category="outpatient")
    reversed_ = settle(pharmacy, son.beneficiary, 1_000, category="devices")
    settlement_reverse(
        terminal=Terminal(user=pharmacy, institution=pharmacy.terminal.institution),
        settlement_id=reversed_.settlement_id,
    )
    settlement_refund(
        terminal=Terminal(user=hospital, institution=hospital.terminal.institution),
        settlement_id=outpatient.settlement_id,
        refund_id="R-1",
        amount_fen=2_000,
    )
    client = signed_in(user_for(son.beneficiary.person), "en")

    page = client.get(reverse("my-allowances"))

    assert page.status_code == 200
    html = page.content.decode()
    allowances = html[html.index('id="my-allowances"') : html.index('id="spent-title"')]
    rows = re.findall(r"<tr><td[^>]*>(.*?)</tr>", allowances, re.S)
    by_name = {re.sub(r"<.*", "", row, flags=re.S): row for row in rows}
    assert set(by_name) == {"张伟", "张敏"}
    # 45.50 + 120.00 spent, 20.00 of it refunded, the reversed 10.00 not counted
    for figure in ("¥300.00", "¥145.50", "¥154.50"):
        assert figure in by_name["张伟"]
    assert "¥0.00" in by_name["张敏"]
    spent = html[html.index('id="my-settlements"') :]
    assert (
        spent.index("Medical devices") < spent.index("Outpatient care") < spent.index("Drugs")
    )  # newest first
    for shown in ("大连康民大药房", "大连市中心医院", "¥45.50", "¥120.00"):
        assert shown in spent
    assert "Reversed" in spent
    assert "¥20.00 refunded" in spent


def test_the_authorizer_sees_where_his_allowance_went_for_one_relative(family, places):
    son, daughter = family
    pharmacy, hospital = places
    mine = settle(pharmacy, son.beneficiary, 25_000, category="drugs")  # from the son's (300 left)
    hers = settle(hospital, son.beneficiary, 20_000, category="inpatient")  # from the daughter's now
    assert (mine.allowance.binding_id, hers.allowance.binding_id) == (son.pk, daughter.pk)
    client = signed_in(user_for(son.authorizer.person), "en")

    page = client.get(reverse("allowance-spending", args=[son.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "For 张德明 (Parent)" in html
    assert 'id="spent">¥250.00<' in html
    assert 'id="remaining">¥50.00<' in html
    spending = html[html.index('id="spending"') :]
    assert "大连康民大药房" in spending
    assert "Drugs" in spending
    assert "¥250.00" in spending
    assert "大连市中心医院" not in spending  # paid from his sister's allowance: not his to see
    assert "Inpatient" not in spending


def test_the_statement_stays_after_the_allowance_is_released(family, places):
    son, _daughter = family
    settle(places[0], son.beneficiary, 1_000)
    person = son.authorizer.person
    from medical.services import Actor

    allowance_release(authorizer=person, binding_id=son.pk, actor=Actor(user=user_for(person)))

    page = signed_in(user_for(person), "en").get(reverse("allowance-spending", args=[son.pk]))
    relative = signed_in(user_for(son.beneficiary.person), "en").get(reverse("my-allowances"))

    assert "This relative has no active allowance now." in page.content.decode()
    assert "¥10.00" in page.content.decode()
    assert "Released" in relative.content.decode()


def test_no_one_else_sees_an_authorizers_spending_page(family, places):
    son, daughter = family
    settle(places[0], son.beneficiary, 1_000)
    url = reverse("allowance-spending", args=[son.pk])

    for person in (son.beneficiary.person, daughter.authorizer.person, EmployeeFactory().person):
        assert signed_in(user_for(person)).get(url).status_code == 404
    assert signed_in(places[0]).get(url).status_code == 404
    assert signed_in(user_for(son.authorizer.person)).get(url).status_code == 200


def test_a_relative_with_nothing_yet_is_told_so(db):
    resident = ResidentFactory()
    BindingFactory(beneficiary=resident)

    html = signed_in(user_for(resident.person), "en").get(reverse("my-allowances")).content.decode()

    assert 'id="no-allowances"' in html
    assert 'id="no-settlements"' in html


def test_the_home_page_leads_the_authorizer_to_the_spending_page(family):
    son, _daughter = family

    home = signed_in(user_for(son.authorizer.person)).get(reverse("home")).content.decode()

    assert f'href="{reverse("allowance-spending", args=[son.pk])}"' in home


def test_the_spending_list_reads_in_a_fixed_number_of_queries(family, places, django_assert_max_num_queries):
    son, _daughter = family
    for amount in (100, 200, 300, 400):
        settle(places[0], son.beneficiary, amount)
    client = signed_in(user_for(son.beneficiary.person))
    client.get(reverse("my-allowances"))  # warm: the session, the user

    with django_assert_max_num_queries(12) as counted:
        client.get(reverse("my-allowances"))
    few = len(counted)
    for amount in (500, 600, 700):
        settle(places[1], son.beneficiary, amount)
    with django_assert_max_num_queries(few):
        client.get(reverse("my-allowances"))


# --- the notification threshold ---------------------------------------------------------------------


def threshold(binding) -> int:
    return Allowance.objects.get(binding=binding, status="active").notify_over_fen


def test_the_allowance_page_sets_the_notification_threshold(family):
    son, _daughter = family
    client = signed_in(user_for(son.authorizer.person), "en")
    page = client.get(reverse("allowance", args=[son.pk]))
    assert "Now: you are both told of every payment." in page.content.decode()
    assert 'name="notify_over" value="0.00"' in page.content.decode()

    saved = client.post(reverse("allowance-notify", args=[son.pk]), {"notify_over": "50"})

    assert saved.status_code == 302
    assert saved["Location"] == reverse("allowance", args=[son.pk])
    assert threshold(son) == 5_000
    shown = client.get(saved["Location"]).content.decode()
    assert "You and 张德明 will be told of each payment from this allowance over 50.00 yuan." in shown
    assert "Now: you are both told of each payment over ¥50.00." in shown
    assert client.post(reverse("allowance-notify", args=[son.pk]), {"notify_over": "0"}).status_code == 302
    assert threshold(son) == 0


@pytest.mark.parametrize("typed", ["-1", "abc", "1.001", "", "10000000.01"])
def test_a_bad_threshold_is_shown_on_its_field_and_changes_nothing(family, typed):
    son, _daughter = family
    client = signed_in(user_for(son.authorizer.person), "en")

    refused = client.post(reverse("allowance-notify", args=[son.pk]), {"notify_over": typed})

    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'href="#id_notify_over"' in html
    assert re.search(
        r'id="id_notify_over"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="id_notify_over"', html
    )
    assert threshold(son) == 0


def test_the_threshold_is_the_authorizers_own(family):
    son, daughter = family
    url = reverse("allowance-notify", args=[son.pk])

    for person in (son.beneficiary.person, daughter.authorizer.person):
        assert signed_in(user_for(person)).post(url, {"notify_over": "1"}).status_code == 404
    assert signed_in(user_for(son.authorizer.person)).get(url).status_code == 405
    assert threshold(son) == 0


def test_without_an_allowance_there_is_no_threshold_to_set(db):
    binding = BindingFactory(authorizer=EmployeeFactory(balance_fen=10_000))
    client = signed_in(user_for(binding.authorizer.person))

    assert 'name="notify_over"' not in client.get(reverse("allowance", args=[binding.pk])).content.decode()
    assert (
        client.post(reverse("allowance-notify", args=[binding.pk]), {"notify_over": "5"}).status_code == 404
    )


def test_the_threshold_set_on_the_page_decides_which_payments_are_notified(family, places):
    from notices.models import Notice, NoticeKind

    son, _daughter = family
    client = signed_in(user_for(son.authorizer.person))
    client.post(reverse("allowance-notify", args=[son.pk]), {"notify_over": "50"})
    paid = Notice.objects.filter(kind=NoticeKind.SETTLEMENT_PAID)

    settle(places[0], son.beneficiary, 5_000)  # 50.00: not over the threshold
    assert not paid.exists()
    settle(places[0], son.beneficiary, 5_001)

    assert sorted(paid.values_list("person_id", flat=True)) == sorted(
        [son.authorizer.person_id, son.beneficiary.person_id]
    )
