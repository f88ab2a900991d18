"""The pay pages tell the truth about the money when the database connection is lost as a payment is
made: after the commit, the confirmation; when the database stays away, a page saying the outcome is
not known yet, whose button asks again under the same key and so never pays twice.

The connection goes through a proxy (tests/db_proxy.py) that lets the payment commit and then
withholds its answer and closes the connection."""

import html
import re

import pytest
from django.urls import reverse

from payments.models import Payment
from tests.db_proxy import PAY_CALL, database_through_proxy
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    PledgeFactory,
    PremiumRateFactory,
    ResidentFactory,
    user_for,
)
from tests.pages.paying import CHOICE, choose

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@pytest.fixture
def fast_recheck(monkeypatch):
    monkeypatch.setattr("common.outcome.OUTCOME_RECHECK_PAUSES", (0.05, 0.05))


@pytest.fixture
def son(transactional_db, year):
    PledgeFactory()
    PremiumRateFactory(year=year)
    son = EmployeeFactory(balance_fen=100_000, person=PersonFactory(name="张建国"))
    BindingFactory(authorizer=son, beneficiary=ResidentFactory(person=PersonFactory(name="张德明")))
    return son


@pytest.fixture
def year():
    from django.utils import timezone

    return timezone.localdate().year + 1


def _check_page(client, son, year) -> tuple[str, str]:
    client.force_login(user_for(son.person))
    [binding] = son.bindings_given.all()
    check_url = choose(
        client, "pay", {"year": year, "beneficiaries": [binding.beneficiary_id], "idempotency_key": "k"}
    )
    choice = html.unescape(CHOICE.search(client.get(check_url).content.decode()).group(1))
    return check_url, choice


def test_a_payment_whose_answer_is_lost_after_its_commit_shows_its_confirmation(client, son, year):
    check_url, choice = _check_page(client, son, year)

    with database_through_proxy() as proxy:
        proxy.drop_after_commit_of(PAY_CALL)
        answer = client.post(check_url, {"choice": choice})
        assert proxy.dropped.is_set()

    assert answer.status_code == 302
    assert answer["Location"] == reverse("pay-done", kwargs={"key": "k"})
    assert "张德明" in client.get(answer["Location"]).content.decode()
    assert Payment.objects.count() == 1


def test_when_the_database_stays_away_the_page_says_so_and_its_button_pays_once(
    client, son, year, fast_recheck
):
    check_url, choice = _check_page(client, son, year)
    client.raise_request_exception = False

    with database_through_proxy() as proxy:
        proxy.stay_away = True
        proxy.drop_after_commit_of(PAY_CALL)
        answer = client.post(check_url, {"choice": choice})

    page = answer.content.decode()
    assert answer.status_code == 503
    assert answer["Retry-After"]
    assert "暂时无法确认这笔缴费是否已完成" in page
    assert "绝不会重复扣款" in page
    assert f'action="{check_url}"' in page
    resend = dict(HIDDEN.findall(page))
    assert html.unescape(resend["choice"]) == choice

    # The database is back: "Check again" resends the confirmation under the same key.
    again = client.post(check_url, {name: html.unescape(value) for name, value in resend.items()})
    assert again.status_code == 302
    assert again["Location"] == reverse("pay-done", kwargs={"key": "k"})
    assert Payment.objects.count() == 1
