"""What auditors review and reconcile: the payments' filters, totals, charts, statistics and rows."""

import datetime

import pytest
from django.utils import timezone

from mutual_aid.models import Relation
from payments.models import PaymentChannel, PaymentStatus, RefundReason
from payments.selectors import (
    payment_get,
    payment_latest_year,
    payment_list_created_between,
    payment_list_for_review,
    payment_review_charts,
    payment_review_rows,
    payment_review_totals,
    payment_stats,
)
from payments.services import payment_refund
from tests.factories import DALIAN, BindingFactory, UserFactory
from tests.payments.paying import payment_create_for_relative


@pytest.fixture
def paid(family, year, actor_for):
    """An authorizer's two payments: his father's, and his wife's, refunded since."""
    father = payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor_for()
    )
    wife = BindingFactory(authorizer=family.authorizer, relation=Relation.SPOUSE).beneficiary
    refunded = payment_refund(
        payment=payment_create_for_relative(
            authorizer=family.authorizer, beneficiary=wife, year=year, actor=actor_for()
        ),
        reason=RefundReason.PAID_TWICE,
        note="",
        operator=UserFactory(),
    )
    return father, refunded


def test_the_review_filters_by_day_region_channel_relation_and_status(paid):
    father, refunded = paid
    today, day = timezone.localdate(), datetime.timedelta(days=1)

    def found(**filters) -> list[int]:
        return [payment.pk for payment in payment_list_for_review(**filters)]

    assert found() == [refunded.pk, father.pk]  # newest first
    assert found(date_from=today, date_to=today) == [refunded.pk, father.pk]
    assert found(date_from=today + day) == found(date_to=today - day) == []
    assert found(region="210000") == found(region=DALIAN) == [refunded.pk, father.pk]
    assert found(region="320000") == found(region="210201") == []
    assert found(channel=PaymentChannel.AUTHORIZER) == [refunded.pk, father.pk]
    assert found(channel=PaymentChannel.COUNTER) == []
    assert found(relation=Relation.SPOUSE) == found(status=PaymentStatus.REFUNDED) == [refunded.pk]


def test_the_totals_count_settled_payments_as_paid_and_refunded_ones_apart(paid):
    totals = payment_review_totals(payments=payment_list_for_review())

    assert totals == {
        "payments": 1,
        "people": 1,
        "amount_fen": 42_000,
        "refunded_payments": 1,
        "refunded_amount_fen": 42_000,
    }
    assert payment_review_totals(payments=payment_list_for_review(channel=PaymentChannel.SELF)) == {
        "payments": 0,
        "people": 0,
        "amount_fen": 0,
        "refunded_payments": 0,
        "refunded_amount_fen": 0,
    }


def test_the_charts_show_the_settled_amount_per_day_and_region_and_the_payments_per_relation(paid):
    charts = payment_review_charts(payments=payment_list_for_review())

    assert charts == {
        "per_day": [{"day": timezone.localdate().isoformat(), "amount_fen": 42_000}],
        "per_region": [{"region_code": DALIAN, "amount_fen": 42_000}],
        "per_relation": [{"relation": str(Relation.PARENT.label), "count": 1}],
    }


def test_the_statistics_of_a_year_count_the_residents_paid_for(paid, year):
    stats = payment_stats(year=year)

    assert (stats["year"], stats["beneficiaries_paid"], stats["amount_fen"]) == (year, 1, 42_000)
    assert stats["by_relation"] == [{"relation": "parent", "beneficiaries_paid": 1, "amount_fen": 42_000}]
    assert stats["by_region"] == [{"region_code": DALIAN, "beneficiaries_paid": 1, "amount_fen": 42_000}]
    assert stats["by_channel"] == [{"channel": "authorizer", "beneficiaries_paid": 1, "amount_fen": 42_000}]
    assert payment_stats(year=year + 1)["beneficiaries_paid"] == 0


def test_the_statistics_follow_the_filtered_payments(paid, year):
    spouses = payment_list_for_review(relation=Relation.SPOUSE)  # the wife's payment, refunded
    parents = payment_list_for_review(relation=Relation.PARENT)

    assert payment_stats(year=year, payments=spouses)["beneficiaries_paid"] == 0
    assert payment_stats(year=year, payments=parents)["by_relation"] == [
        {"relation": "parent", "beneficiaries_paid": 1, "amount_fen": 42_000}
    ]
    assert payment_latest_year(payments=parents) == year
    assert payment_latest_year(payments=payment_list_for_review(channel=PaymentChannel.SELF)) is None


def test_the_review_rows_are_plain_tuples_in_the_columns_order(paid, year, family):
    father, _refunded = paid

    [row] = payment_review_rows(payments=payment_list_for_review(status=PaymentStatus.SETTLED))

    assert row[0] == father.reference
    assert row[2:] == (
        year,
        "resident_medical",
        DALIAN,
        "authorizer",
        "parent",
        "settled",
        42_000,
        family.beneficiary.person.name,
        family.authorizer.person.name,
    )


def test_a_payment_by_id_the_latest_year_and_a_days_payments(paid, year):
    father, refunded = paid
    now, hour = timezone.now(), datetime.timedelta(hours=1)

    assert payment_get(payment_id=father.pk) == father
    assert payment_get(payment_id=refunded.pk + 1_000) is None
    assert payment_latest_year() == year
    assert list(payment_list_created_between(created_from=now - hour, created_before=now + hour)) == [
        father,
        refunded,
    ]
    assert not payment_list_created_between(created_from=now + hour, created_before=now + 2 * hour)


def test_there_is_no_latest_year_before_the_first_payment(db):
    assert payment_latest_year() is None
