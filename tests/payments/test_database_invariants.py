"""A premium is settled once per beneficiary and year, held by the database whatever path writes."""

import pytest
from django.db import IntegrityError, connection, transaction

from ledger.models import Account
from payments.models import Payment
from tests.payments.paying import payment_create_for_relative


def test_a_second_settled_payment_for_the_same_beneficiary_and_year_is_refused(family, year, actor_for):
    paid = payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor_for()
    )

    balances = list(Account.objects.order_by("pk").values_list("pk", "balance_fen"))

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        _copy_as_settled(paid)

    assert raised.value.__cause__.diag.constraint_name == "one_settled_payment_per_beneficiary_year"
    assert Payment.objects.count() == 1
    assert list(Account.objects.order_by("pk").values_list("pk", "balance_fen")) == balances


def _copy_as_settled(paid: Payment) -> None:
    """The same premium again, with a balanced ledger transaction of its own."""
    legs = list(paid.ledger_transaction.entries.values_list("account_id", "amount_fen"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ledger_post('again', '', NULL, %s, %s, now())",
            [[account for account, _ in legs], [amount for _, amount in legs]],
        )
        [txn] = cursor.fetchone()
        cursor.execute(
            "INSERT INTO payments_payment (reference, year, amount_fen, beneficiary_id, authorizer_id, "
            "binding_id, region_code, relation, channel, status, ledger_transaction_id, counter_id, "
            "verification_code, created_at, refund_reason, refund_note) "
            "SELECT reference || 'X', year, amount_fen, beneficiary_id, authorizer_id, binding_id, "
            "region_code, relation, channel, 'settled', %s, counter_id, "
            "verification_code, now(), '', '' FROM payments_payment WHERE id = %s",
            [txn, paid.pk],
        )
