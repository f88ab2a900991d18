"""The counter sets, changes and releases a walk-in authorizer's allowance: the person page lists his
bindings with their allowances, the check page shows the money before it moves, the confirmation
records the operator and the counter; every refusal shows on the page and moves nothing."""

import re
import threading
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from ledger.models import Account
from medical.models import Allowance, AllowanceChange, AllowanceStatus
from medical.services import Actor, allowance_set
from mutual_aid.models import BindingStatus
from mutual_aid.services import binding_end
from staff.models import AuditAction, AuditRecord
from staff.services import counter_allowance_set
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    ResidentFactory,
    UserFactory,
    user_for,
)
from tests.medical.test_allowance_services import spend
from tests.payments.invariants import Snapshot, assert_money_invariants
from tests.staff.conftest import staff_user
from tests.staff.test_counter_paying import serving, text_of


@pytest.fixture(autouse=True)
def _money_invariants_hold_after_each_test(db):
    yield
    assert_money_invariants()


@pytest.fixture
def family(db):
    """张建国 (employee, ¥1,000.00) bound to his father 张德明 and his mother 李秀英."""
    son = EmployeeFactory(balance_fen=100_000, person=PersonFactory(name="张建国"))
    father = BindingFactory(authorizer=son, beneficiary=ResidentFactory(person=PersonFactory(name="张德明")))
    mother = BindingFactory(authorizer=son, beneficiary=ResidentFactory(person=PersonFactory(name="李秀英")))
    return son, father, mother


def balance(insuree) -> int:
    return Account.objects.get(pk=insuree.account_id).balance_fen


def set_online(binding, amount_fen: int, key: str = "online"):
    person = binding.authorizer.person
    return allowance_set(
        authorizer=person,
        binding_id=binding.pk,
        amount_fen=amount_fen,
        actor=Actor(user=user_for(person), idempotency_key=key),
    )


def choose(client, binding, amount: str) -> str:
    chosen = client.post(reverse("staff:allowance", args=[binding.pk]), {"amount": amount})
    assert chosen.status_code == 302, chosen.content.decode()[:2000]
    return chosen["Location"]


def amount_fen_on(check_html: str) -> str:
    found = re.search(r'name="amount_fen" value="(\d+)"', check_html)
    assert found
    return found.group(1)


def error_summary(page: str) -> str:
    found = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert found, "no error summary"
    return unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def test_the_person_page_lists_his_bindings_with_their_allowances(client, clerk, family):
    son, father, mother = family
    allowance = set_online(father, 30_000)
    spend(allowance, 4_550)
    serving(client, clerk, son.person)

    html = client.get(reverse("staff:person")).content.decode()

    section = html[html.index('id="allowances"') :]
    father_row = re.search(r"<tr>\s*<td[^>]*>张德明</td>(.*?)</tr>", section, re.S)
    mother_row = re.search(r"<tr>\s*<td[^>]*>李秀英</td>(.*?)</tr>", section, re.S)
    assert father_row
    assert mother_row
    for shown in ("父母", "¥300.00", "¥45.50", "¥254.50", "修改共济额度", "解除…"):
        assert shown in father_row.group(1), shown
    assert "无" in mother_row.group(1)
    assert "设置共济额度" in mother_row.group(1)
    assert reverse("staff:allowance-release", args=[mother.pk]) not in html  # nothing to release
    # His account: ¥1,000.00 in all, ¥254.50 of it held, ¥700.00 to spend (the ¥45.50 spent is gone).
    assert "¥954.50" in html
    assert text_of(html, "available-balance") == "¥700.00"


def test_the_relative_on_screen_sees_what_he_receives(client, clerk, family):
    son, father, _mother = family
    set_online(father, 30_000)
    serving(client, clerk, father.beneficiary.person)

    html = client.get(reverse("staff:person")).content.decode()

    assert "来自张建国（子女）：剩余 ¥300.00，共 ¥300.00" in html  # no space around a Chinese name
    assert reverse("staff:allowance", args=[father.pk]) not in html  # only the authorizer changes it


def test_set_check_confirm_and_done_record_the_operator_and_the_counter(client, clerk, family):
    son, father, _mother = family
    serving(client, clerk, son.person)

    step1 = client.get(reverse("staff:allowance", args=[father.pk])).content.decode()
    assert text_of(step1, "available") == "¥1,000.00"
    check_url = choose(client, father, "300")
    check = client.get(check_url).content.decode()

    for element, figure in [
        ("allowance-before", "¥0.00"), ("allowance-after", "¥300.00"), ("available-before", "¥1,000.00"),
        ("available-after", "¥700.00"), ("held-after", "¥300.00"),
    ]:  # fmt: skip
        assert text_of(check, element) == figure, element
    assert "张德明" in check
    assert "张建国（申请人本人的个人账户）" in check
    assert balance(son) == 100_000  # the check page moves nothing
    assert not AuditRecord.objects.filter(action=AuditAction.ALLOWANCE_SET).exists()

    confirmed = client.post(check_url, {"amount_fen": amount_fen_on(check)})

    assert confirmed.status_code == 302
    done = client.get(confirmed["Location"]).content.decode()
    assert text_of(done, "allowance-before") == "¥0.00"
    assert text_of(done, "allowance-after") == "¥300.00"
    assert text_of(done, "available-now") == "¥700.00"
    assert balance(son) == 70_000
    change = AllowanceChange.objects.get()
    assert change.user == clerk
    record = AuditRecord.objects.get(action=AuditAction.ALLOWANCE_SET)
    assert (record.operator, record.counter_id, record.person, record.object_ref) == (
        clerk,
        "DL-05",
        son.person,
        f"allowance:{change.allowance_id}",
    )
    assert record.details["amount_before_fen"] == 0
    assert record.details["amount_after_fen"] == 30_000
    assert record.details["beneficiary_person"] == father.beneficiary.person_id
    # Confirming again (the browser's back button) holds nothing twice and records nothing twice.
    again = client.post(check_url, {"amount_fen": "30000"})
    assert again["Location"] == confirmed["Location"]
    assert balance(son) == 70_000
    assert AuditRecord.objects.filter(action=AuditAction.ALLOWANCE_SET).count() == 1


def test_the_counter_lowers_then_releases_an_allowance_set_online(client, clerk, family):
    son, father, _mother = family
    set_online(father, 30_000)
    serving(client, clerk, son.person)

    step1 = client.get(reverse("staff:allowance", args=[father.pk])).content.decode()
    assert 'value="300.00"' in step1  # the amount now, to change
    check_url = choose(client, father, "100.00")
    check = client.get(check_url).content.decode()
    assert (text_of(check, "allowance-before"), text_of(check, "allowance-after")) == ("¥300.00", "¥100.00")
    assert (text_of(check, "available-before"), text_of(check, "available-after")) == ("¥700.00", "¥900.00")
    client.post(check_url, {"amount_fen": amount_fen_on(check)})
    assert balance(son) == 90_000

    release_url = reverse("staff:allowance-release", args=[father.pk])
    release = client.get(release_url).content.decode()
    assert text_of(release, "released") == "¥100.00"
    assert (text_of(release, "available-before"), text_of(release, "available-after")) == (
        "¥900.00",
        "¥1,000.00",
    )
    assert balance(son) == 90_000  # the release's check page moves nothing
    key = re.search(r'name="idempotency_key" value="([^"]+)"', release).group(1)
    released = client.post(release_url, {"idempotency_key": key})

    assert released.status_code == 302
    done = client.get(released["Location"]).content.decode()
    assert "共济额度已解除" in done
    assert "¥100.00已退回张建国的个人账户" in done
    assert text_of(done, "available-now") == "¥1,000.00"
    assert Allowance.objects.get().status == AllowanceStatus.RELEASED
    assert balance(son) == 100_000
    records = AuditRecord.objects.filter(action__startswith="allowance").order_by("pk")
    assert [(r.action, r.details["amount_before_fen"], r.details["amount_after_fen"]) for r in records] == [
        (AuditAction.ALLOWANCE_SET, 30_000, 10_000),
        (AuditAction.ALLOWANCE_RELEASE, 10_000, 0),
    ]
    assert {r.counter_id for r in records} == {"DL-05"}
    # A second click of the same page answers the same confirmation and releases nothing more.
    assert client.post(release_url, {"idempotency_key": key})["Location"] == released["Location"]
    assert AuditRecord.objects.filter(action=AuditAction.ALLOWANCE_RELEASE).count() == 1


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "申请人的可用余额为 1,000.00 元，不足以预留本次变更的金额；未预留任何款项。"),
        ("en", "The applicant's available balance is 1,000.00 yuan, less than this change sets aside"),
    ],
)
def test_more_than_the_available_balance_is_refused_on_the_form(clerk, family, language, message):
    son, father, _mother = family
    client = serving(Client(HTTP_ACCEPT_LANGUAGE=language), clerk, son.person)
    before = Snapshot()

    refused = client.post(reverse("staff:allowance", args=[father.pk]), {"amount": "1000.01"})

    assert refused.status_code == 400
    assert message in error_summary(refused.content.decode())
    before.assert_unchanged()


@pytest.mark.parametrize("amount", ["12.345", "0", "-5", "abc", "10000000.01", ""])
def test_an_invalid_amount_is_shown_on_the_form(client, clerk, family, amount):
    son, father, _mother = family
    serving(client, clerk, son.person)

    refused = client.post(reverse("staff:allowance", args=[father.pk]), {"amount": amount})

    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.content.decode()
    assert not Allowance.objects.exists()


def test_below_what_is_spent_is_refused_with_the_spent_amount(client, clerk, family):
    son, father, _mother = family
    spend(set_online(father, 30_000), 12_000)
    serving(client, clerk, son.person)
    before = Snapshot()

    refused = client.post(reverse("staff:allowance", args=[father.pk]), {"amount": "100"})

    assert refused.status_code == 400
    assert "该共济额度已使用120.00元，不能设置得低于此数。" in error_summary(refused.content.decode())
    before.assert_unchanged()


def test_a_balance_spent_between_check_and_confirm_is_refused_on_the_check_page(client, clerk, family):
    son, father, mother = family
    serving(client, clerk, son.person)
    check_url = choose(client, father, "800")
    set_online(mother, 50_000)  # meanwhile, online: only ¥500.00 is left to hold
    before = Snapshot()

    refused = client.post(check_url, {"amount_fen": "80000"})

    assert refused.status_code == 400
    html = refused.content.decode()
    assert "申请人的可用余额为 500.00 元" in error_summary(html)
    assert text_of(html, "available-before") == "¥500.00"  # the figures as they are now
    before.assert_unchanged()
    assert not AuditRecord.objects.filter(action__startswith="allowance").exists()


def test_a_binding_ended_between_check_and_confirm_moves_nothing(client, clerk, family):
    son, father, _mother = family
    serving(client, clerk, son.person)
    check_url = choose(client, father, "300")
    binding_end(binding=father, ended_by=father.beneficiary.person)
    before = Snapshot()

    refused = client.post(check_url, {"amount_fen": "30000"}, follow=True)

    assert refused.redirect_chain[-1][0] == reverse("staff:person")
    assert "该共济关系已不再有效，因此其共济额度未作变更，没有资金变动。" in refused.content.decode()
    before.assert_unchanged()
    assert not AuditRecord.objects.filter(action__startswith="allowance").exists()


def test_without_a_counter_number_nothing_moves(client, clerk, family):
    son, father, _mother = family
    serving(client, clerk, son.person)
    check_url = choose(client, father, "300")
    session = client.session
    del session["staff_counter_id"]
    session.save()
    before = Snapshot()

    refused = client.post(check_url, {"amount_fen": "30000"})

    assert refused.status_code == 400
    assert "请先设置窗口号" in error_summary(refused.content.decode())
    before.assert_unchanged()


def test_only_the_applicants_own_active_bindings_open(client, clerk, family):
    son, father, _mother = family
    other = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000))
    serving(client, clerk, son.person)

    assert client.get(reverse("staff:allowance", args=[other.pk])).status_code == 404
    assert client.post(reverse("staff:allowance", args=[other.pk]), {"amount": "1"}).status_code == 404
    assert client.get(reverse("staff:allowance-release", args=[father.pk])).status_code == 404  # none set
    binding_end(binding=father, ended_by=son.person)
    assert client.get(reverse("staff:allowance", args=[father.pk])).status_code == 404
    assert not Allowance.objects.exists()


def test_another_clerks_key_opens_nothing(client, clerk, family):
    son, father, _mother = family
    serving(client, clerk, son.person)
    check_url = choose(client, father, "300")
    client.post(check_url, {"amount_fen": "30000"})
    done_url = reverse("staff:allowance-done", args=[father.pk, check_url.rstrip("/").rsplit("/", 1)[1]])
    assert client.get(done_url).status_code == 200

    other = serving(Client(), staff_user("counter_staff", "clerk-2"), son.person)

    assert other.get(check_url).status_code == 404
    assert other.get(done_url).status_code == 404


def test_a_check_page_for_an_applicant_no_longer_on_screen_changes_nothing(client, clerk, family):
    son, father, _mother = family
    serving(client, clerk, son.person)
    check_url = choose(client, father, "300")
    client.post(reverse("staff:home"), {"id_number": father.beneficiary.person.id_number})

    response = client.post(check_url, {"amount_fen": "30000"})

    assert response["Location"] == reverse("staff:person")
    assert not Allowance.objects.exists()


PAGES = ["staff:allowance", "staff:allowance-release", "staff:allowance-check", "staff:allowance-done"]


@pytest.mark.parametrize("page", PAGES)
def test_only_counter_staff_reach_the_allowance_pages(client, family, page):
    son, father, _mother = family
    set_online(father, 30_000)
    args = [father.pk, "online"] if page.endswith(("check", "done")) else [father.pk]
    url = reverse(page, args=args)
    auditor = staff_user("auditor", "auditor")
    before = Snapshot()

    for user in (UserFactory(), user_for(son.person), user_for(father.beneficiary.person), auditor):
        client.force_login(user)
        assert client.get(url).status_code == 403, user
        assert (
            client.post(url, {"amount": "1", "amount_fen": "100", "idempotency_key": "x"}).status_code == 403
        )
    client.logout()
    assert client.get(url)["Location"].startswith("/login/")
    before.assert_unchanged()


def test_twin_confirmations_under_one_key_make_one_change_and_one_record(transactional_db):
    son = EmployeeFactory(balance_fen=100_000)
    binding = BindingFactory(authorizer=son)
    clerk = staff_user("counter_staff", "twin-clerk")
    start = threading.Barrier(2)
    outcomes = []

    def confirm():
        start.wait()
        try:
            outcomes.append(
                counter_allowance_set(
                    operator=clerk,
                    counter_id="DL-09",
                    binding=binding,
                    amount_fen=30_000,
                    idempotency_key="twin",
                ).pk
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 2
    assert len(set(outcomes)) == 1  # the second replayed the first
    assert AllowanceChange.objects.count() == 1
    assert AuditRecord.objects.filter(action=AuditAction.ALLOWANCE_SET).count() == 1
    assert balance(son) == 70_000
    assert Allowance.objects.get().binding.status == BindingStatus.ACTIVE
