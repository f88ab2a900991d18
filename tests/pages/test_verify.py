"""The public receipt check page: genuine only for a settled payment, void for a refunded one, no more
shown than a stranger holding the receipt needs; reached from the footer and each payment's page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from common.masking import mask_name
from payments.services import Actor, payment_refund
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    PledgeFactory,
    PremiumRateFactory,
    ResidentFactory,
    UserFactory,
    user_for,
)
from tests.payments.paying import payment_create_for_relative


@pytest.fixture
def payment(db):
    year = timezone.localdate().year + 1
    PledgeFactory()
    PremiumRateFactory(year=year, amount_fen=42_000)
    binding = BindingFactory(
        authorizer=EmployeeFactory(person=PersonFactory(name="王小明")),
        beneficiary=ResidentFactory(person=PersonFactory(name="王建国")),
    )
    return payment_create_for_relative(
        authorizer=binding.authorizer,
        beneficiary=binding.beneficiary,
        year=year,
        actor=Actor(user=UserFactory(), idempotency_key="verify-page"),
    )


def check(client, payment, **headers):
    query = {"reference": payment.reference, "code": payment.verification_code}
    response = client.get(reverse("receipt-verify"), query, **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_a_settled_receipt_is_genuine_and_shows_only_what_a_holder_needs(client, payment):
    page = check(client, payment)

    assert "真实有效" in page
    assert "已作废" not in page
    assert "大连市" in page
    assert "420.00" in page
    assert str(payment.year) in page
    assert mask_name("王建国") in page
    assert mask_name("王小明") in page
    assert "王建国" not in page
    assert "王小明" not in page
    assert payment.beneficiary.person.id_number not in page
    assert payment.authorizer.person.id_number not in page


def test_a_refunded_receipt_is_void_never_genuine(client, payment):
    payment_refund(payment=payment, reason="paid_twice", note="", operator=UserFactory())

    page = check(client, payment)
    english = check(client, payment, HTTP_ACCEPT_LANGUAGE="en")

    assert "已退费，此凭证已作废" in page
    assert 'role="alert"' in page
    assert "真实有效" not in page
    assert "Refunded: this receipt is void" in english
    assert "Genuine" not in english
    assert "Dalian" in english


def test_a_forged_code_matches_nothing(client, payment):
    query = {"reference": payment.reference, "code": "00000000"}

    page = client.get(reverse("receipt-verify"), query).content.decode()

    assert "没有与该编号和校验码相符的凭证" in page
    assert "真实有效" not in page
    assert "420.00" not in page


def test_the_empty_page_checks_nothing(client, db):
    page = client.get(reverse("receipt-verify")).content.decode()

    assert "真实有效" not in page
    assert 'role="alert"' not in page


def test_the_check_page_is_linked_from_the_footer_and_from_the_payment(client, payment):
    verify = reverse("receipt-verify")
    assert f'href="{verify}"' in client.get(reverse("login")).content.decode()

    client.force_login(user_for(payment.authorizer.person))
    detail = client.get(reverse("payment-detail", args=[payment.pk])).content.decode()

    prefilled = f"{verify}?reference={payment.reference}&amp;code={payment.verification_code}"
    assert f'href="{prefilled}"' in detail
    assert "大连市" in detail
