"""A premium is settled once per beneficiary, year and kind, held by the database whatever path writes:
a second resident or long-term-care payment is refused, one of each kind is not."""

import pytest
from django.db import IntegrityError, connection, transaction

from insurees.models import PremiumKind
from ledger.models import Account
from payments.models import Payment, PaymentStatus
from tests.factories import LongTermCareRateFactory
from tests.payments.paying import fund_account_ensure, payment_create_for_relative

CONSTRAINT = "one_settled_payment_per_beneficiary_year_kind"


def test_a_second_settled_payment_for_the_same_beneficiary_and_year_is_refused(family, year, actor_for):
    paid = payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor_for()
    )

    balances = list(Account.objects.order_by("pk").values_list("pk", "balance_fen"))

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        _copy_as_settled(paid)

    assert raised.value.__cause__.diag.constraint_name == CONSTRAINT
    assert Payment.objects.count() == 1
    assert list(Account.objects.order_by("pk").values_list("pk", "balance_fen")) == balances


def test_a_second_settled_long_term_care_payment_for_the_same_beneficiary_and_year_is_refused(
    family, year, actor_for
):
    LongTermCareRateFactory(year=year)
    paid = payment_create_for_relative(
        authorizer=family.authorizer,
        beneficiary=family.beneficiary,
        year=year,
        actor=actor_for(),
        kind=PremiumKind.LONG_TERM_CARE,
    )
    balances = list(Account.objects.order_by("pk").values_list("pk", "balance_fen"))

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        _copy_as_settled(paid)

    assert raised.value.__cause__.diag.constraint_name == CONSTRAINT
    assert list(Payment.objects.values_list("kind", flat=True)) == [PremiumKind.LONG_TERM_CARE]
    assert list(Account.objects.order_by("pk").values_list("pk", "balance_fen")) == balances


def test_the_database_holds_a_resident_and_a_long_term_care_payment_for_the_same_year(
    family, year, actor_for
):
    resident = payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor_for()
    )

    # Written past every service: only the constraint stands between the two rows.
    _copy_as_settled(resident, kind=PremiumKind.LONG_TERM_CARE)

    settled = Payment.objects.filter(beneficiary=family.beneficiary, year=year, status=PaymentStatus.SETTLED)
    assert sorted(settled.values_list("kind", flat=True)) == [
        PremiumKind.LONG_TERM_CARE,
        PremiumKind.RESIDENT_MEDICAL,
    ]


def test_existing_rows_and_sql_naming_no_kind_are_resident_premiums(family, year, actor_for):
    """The database's own default: a row written without a kind (by SQL older than kinds, or a bulk
    load) is the resident premium, as the migration made every row before it."""
    paid = payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor_for()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO insurees_premiumrate (region_code, year, amount_fen, collection_start, "
            "collection_end) VALUES ('320100', %s, 100, '2000-01-01', '2000-01-02') RETURNING kind",
            [year],
        )
        [rate_kind] = cursor.fetchone()

    assert rate_kind == PremiumKind.RESIDENT_MEDICAL
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        _copy_as_settled(paid, kind=None)
    assert raised.value.__cause__.diag.constraint_name == CONSTRAINT


def _copy_as_settled(paid: Payment, kind: str | None | object = ...) -> None:
    """The same premium again, with a balanced ledger transaction of its own: of the same kind by
    default, of `kind` if given, and without naming the kind at all if None."""
    legs = list(paid.ledger_transaction.entries.values_list("account_id", "amount_fen"))
    if kind not in (None, ..., paid.kind):
        # Into that kind's own fund, as pay.sql would have paid it.
        fund = fund_account_ensure(region_code=paid.region_code, kind=PremiumKind(kind))
        legs = [(fund.pk if amount > 0 else account, amount) for account, amount in legs]
    kind_column, kind_value = ("", "") if kind is None else (", kind", ", %s")
    params: list = [] if kind is None else [paid.kind if kind is ... else kind]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ledger_post('again', '', NULL, %s, %s, now())",
            [[account for account, _ in legs], [amount for _, amount in legs]],
        )
        [txn] = cursor.fetchone()
        cursor.execute(
            "INSERT INTO payments_payment (reference, year, amount_fen, beneficiary_id, authorizer_id, "  # noqa: S608
            f"binding_id, region_code, relation, channel, status, ledger_transaction_id, counter_id, "
            f"verification_code, created_at, refund_reason, refund_note{kind_column}) "
            "SELECT reference || 'X', year, amount_fen, beneficiary_id, authorizer_id, binding_id, "
            "region_code, relation, channel, 'settled', %s, counter_id, "
            f"verification_code, now(), '', ''{kind_value} FROM payments_payment WHERE id = %s",
            [txn, *params, paid.pk],
        )
