"""The payment answer is written out by hand for speed; it must say exactly what its declared fields
(the schema) say, whatever state the payment is in."""

import pytest
from rest_framework import serializers

from payments.apis import PaymentOutputSerializer
from payments.models import Payment
from payments.services import payment_refund, payment_sync_enrollment
from tests.factories import BindingFactory, UserFactory
from tests.payments.paying import payment_create_self
from tests.payments.test_payment_services import pay


@pytest.mark.parametrize("state", ["settled", "synced", "refunded", "self"])
def test_the_written_out_answer_equals_the_declared_fields(rate, year, actor_for, state):
    binding = BindingFactory()
    if state == "self":
        payment = payment_create_self(beneficiary=binding.beneficiary, year=year, actor=actor_for())
    else:
        payment = pay(binding, year, actor_for())
    if state == "synced":
        payment_sync_enrollment(payment_id=payment.pk)
    if state == "refunded":
        payment_refund(payment=payment, reason="deceased", note="", operator=UserFactory())
    for shown in (payment, Payment.objects.get(pk=payment.pk)):  # as the service returns it, and as read
        serializer = PaymentOutputSerializer(shown)

        declared = serializers.ModelSerializer.to_representation(serializer, shown)

        assert serializer.data == declared
        assert set(declared) == set(PaymentOutputSerializer.Meta.fields)
