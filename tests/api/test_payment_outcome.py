"""An answer tells the truth about the money: a payment whose transaction committed is answered 201
even when the connection is lost before its answer; when the database stays away, the answer says the
outcome is unknown and to retry with the same key, and that retry finds the payment made once.

The connection goes through a proxy (tests/db_proxy.py) that lets the payment's statement commit on
the real server and then withholds its answer and closes the connection."""

import pytest

from ledger.models import Transaction
from payments.models import OutboxMessage, Payment
from tests.api.conftest import client_for
from tests.api.test_payments_api import code_of, pay
from tests.db_proxy import PAY_CALL, database_through_proxy
from tests.payments.invariants import assert_money_invariants


@pytest.fixture
def fast_recheck(monkeypatch):
    # The pauses before the payment is asked about again: short, the behaviour is the same.
    monkeypatch.setattr("common.outcome.OUTCOME_RECHECK_PAUSES", (0.05, 0.05))


def _pay_in(language, client, beneficiary, year, key):
    return client.post(
        "/api/v1/payments/",
        {"beneficiary_id_number": beneficiary.person.id_number, "year": year},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def _balance(insuree) -> int:
    insuree.account.refresh_from_db()
    return insuree.account.balance_fen


def test_a_committed_payment_whose_answer_is_lost_is_answered_201(transactional_db, binding, rate, year):
    authorizer = binding.authorizer
    before = _balance(authorizer)
    client = client_for(authorizer.person)

    with database_through_proxy() as proxy:
        proxy.drop_after_commit_of(PAY_CALL)
        answer = pay(client, binding.beneficiary, year, key="lost-answer")
        assert proxy.dropped.is_set()  # the server committed, and its answer never arrived

    assert answer.status_code == 201, answer.content
    [payment] = Payment.objects.all()
    assert answer.json()["reference"] == payment.reference
    assert OutboxMessage.objects.count() == 1
    assert _balance(authorizer) == before - rate.amount_fen
    assert_money_invariants()


def test_when_the_database_stays_away_the_answer_says_the_outcome_is_unknown(
    transactional_db, binding, rate, year, fast_recheck
):
    authorizer = binding.authorizer
    before = _balance(authorizer)
    client = client_for(authorizer.person)
    client.raise_request_exception = False

    with database_through_proxy() as proxy:
        proxy.stay_away = True
        proxy.drop_after_commit_of(PAY_CALL)
        answer = _pay_in("en", client, binding.beneficiary, year, key="stays-away")
        assert proxy.dropped.is_set()

    assert answer.status_code == 503
    assert code_of(answer) == "service_unavailable"
    assert answer["Retry-After"]
    message = answer.json()["error"]["message"]
    assert "not known" in message
    assert "same Idempotency-Key" in message
    # It had committed: the retry the answer asks for finds it, and makes nothing twice.
    retry = pay(client, binding.beneficiary, year, key="stays-away")
    assert retry.status_code == 201
    [payment] = Payment.objects.all()
    assert retry.json()["reference"] == payment.reference
    assert Transaction.objects.filter(memo__startswith="premium").count() == 1
    assert _balance(authorizer) == before - rate.amount_fen
    assert_money_invariants()


def test_the_unknown_outcome_is_said_in_chinese(transactional_db, binding, rate, year, fast_recheck):
    client = client_for(binding.authorizer.person)
    client.raise_request_exception = False

    with database_through_proxy() as proxy:
        proxy.stay_away = True
        proxy.drop_after_commit_of(PAY_CALL)
        answer = _pay_in("zh-hans", client, binding.beneficiary, year, key="zh")

    assert answer.status_code == 503
    assert "相同的 Idempotency-Key" in answer.json()["error"]["message"]
