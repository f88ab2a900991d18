"""The counter's pages: nothing is done before the counter number is set; a refund is its own page,
with a reason chosen (never preselected) and a confirmation naming the payment and the amount; every
action is recorded with the operator and his counter."""

import re

import pytest
from django.urls import reverse

from mutual_aid.models import Binding
from payments.models import Payment, PaymentStatus
from payments.services import Actor
from staff.models import AuditRecord
from staff.views.access import SESSION_COUNTER, SESSION_PERSON
from tests.factories import ResidentFactory, UserFactory
from tests.payments.paying import payment_create_for_relative

NO_COUNTER = "请先设置窗口号"


@pytest.fixture
def paid(world, year):
    return payment_create_for_relative(
        authorizer=world.authorizer,
        beneficiary=world.beneficiary,
        year=year,
        actor=Actor(user=UserFactory(), idempotency_key="counter-pages"),
    )


def at_counter(client, user, *, counter: str = "", person=None):
    client.force_login(user)
    session = client.session
    if counter:
        session[SESSION_COUNTER] = counter
    if person is not None:
        session[SESSION_PERSON] = person.pk
    session.save()
    return client


def bind_body(relative) -> dict:
    return {
        "beneficiary_id_number": relative.person.id_number,
        "beneficiary_name": relative.person.name,
        "relation": "parent",
        "paper_pledge_ref": "PL-1",
        "identity_confirmed": "on",
    }


def test_the_counter_page_asks_for_the_counter_number_first(client, clerk):
    page = at_counter(client, clerk).get(reverse("staff:home")).content.decode()

    assert 'id="counter-required"' in page
    assert page.index('id="counter-title"') < page.index('id="lookup-title"')


def test_a_lookup_without_a_counter_number_is_refused_and_not_recorded(client, clerk, world):
    response = at_counter(client, clerk).post(
        reverse("staff:home"), {"id_number": world.authorizer.person.id_number}
    )

    assert response.status_code == 400
    assert NO_COUNTER in response.content.decode()
    assert SESSION_PERSON not in client.session
    assert not AuditRecord.objects.exists()


def test_a_binding_without_a_counter_number_is_refused_and_nothing_is_written(client, clerk, world):
    relative = ResidentFactory()
    at_counter(client, clerk, person=world.authorizer.person)

    response = client.post(reverse("staff:bind"), bind_body(relative))

    assert response.status_code == 400
    assert NO_COUNTER in response.content.decode()
    assert not Binding.objects.filter(beneficiary=relative).exists()
    assert not AuditRecord.objects.exists()


def test_a_refund_without_a_counter_number_is_refused_and_nothing_is_written(client, supervisor, paid):
    at_counter(client, supervisor)

    page = client.get(reverse("staff:refund", args=[paid.pk])).content.decode()
    response = client.post(
        reverse("staff:refund", args=[paid.pk]), {"reason": "paid_twice", "note": "", "confirmed": "1"}
    )

    assert 'id="counter-required"' in page
    assert response.status_code == 400
    assert NO_COUNTER in response.content.decode()
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.SETTLED
    assert not AuditRecord.objects.exists()


def test_one_counters_actions_are_recorded_with_its_operator_and_number(client, supervisor, world, year):
    relative = ResidentFactory()
    at_counter(client, supervisor)
    client.post(reverse("staff:home"), {"counter_id": "DL-05"})
    client.post(reverse("staff:home"), {"id_number": world.authorizer.person.id_number})
    client.post(reverse("staff:bind"), bind_body(relative))
    payment = payment_create_for_relative(
        authorizer=world.authorizer,
        beneficiary=relative,
        year=year,
        actor=Actor(user=UserFactory(), idempotency_key="r"),
    )
    client.post(reverse("staff:refund", args=[payment.pk]), {"reason": "deceased", "confirmed": "1"})

    records = list(AuditRecord.objects.order_by("pk").values_list("action", "operator", "counter_id"))
    assert records == [
        ("person_lookup", supervisor.pk, "DL-05"),
        ("binding_create", supervisor.pk, "DL-05"),
        ("payment_refund", supervisor.pk, "DL-05"),
    ]
    assert Binding.objects.get(beneficiary=relative).counter_id == "DL-05"


def test_the_person_page_offers_a_refund_link_per_settled_payment_to_supervisors_only(
    client, clerk, supervisor, world, paid
):
    for user, links in ((supervisor, 1), (clerk, 0)):
        page = at_counter(client, user, counter="DL-01", person=world.authorizer.person)
        body = page.get(reverse("staff:person")).content.decode()

        assert body.count(f'href="{reverse("staff:refund", args=[paid.pk])}"') == links
        assert f'action="{reverse("staff:refund", args=[paid.pk])}"' not in body  # no form in the rows
        assert "缴费记录" in body
        assert "缴费笔数" not in body


def test_the_bind_form_shows_the_applicant_on_screen(client, clerk, world):
    at_counter(client, clerk, counter="DL-01", person=world.authorizer.person)

    body = client.get(reverse("staff:person")).content.decode()
    applicant = body[body.index('id="bind-applicant"') :]

    assert world.authorizer.person.name in applicant[:400]
    assert world.authorizer.person.id_number in applicant[:400]
    assert 'name="beneficiary_id_number"' in body


def test_the_refund_page_shows_the_payment_and_preselects_no_reason(client, supervisor, paid):
    at_counter(client, supervisor, counter="DL-01")

    page = client.get(reverse("staff:refund", args=[paid.pk]))
    body = page.content.decode()

    assert page.status_code == 200
    for fact in (paid.reference, paid.beneficiary.person.name, paid.authorizer.person.name, str(paid.year)):
        assert fact in body
    assert "¥420.00" in body
    assert "原扣款账户" in body  # where the money goes back to
    radios = re.findall(r'<input type="radio" name="reason"[^>]*>', body)
    assert len(radios) == 3
    assert not any("checked" in radio for radio in radios)


def test_a_refund_needs_a_reason_and_then_a_confirmation_naming_payment_and_amount(client, supervisor, paid):
    at_counter(client, supervisor, counter="DL-01")
    url = reverse("staff:refund", args=[paid.pk])

    no_reason = client.post(url, {"note": ""})
    confirmation = client.post(url, {"reason": "paid_twice", "note": "twice at the bank"})
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.SETTLED  # nothing is refunded before the confirmation

    body = confirmation.content.decode()
    assert no_reason.status_code == 400
    assert "请选择退费原因。" in no_reason.content.decode()
    assert confirmation.status_code == 200
    assert f"确定退还缴费 {paid.reference} 的 ¥420.00 吗？" in body
    assert "确认退费 ¥420.00" in body
    assert 'name="confirmed" value="1"' in body

    done = client.post(url, {"reason": "paid_twice", "note": "twice at the bank", "confirmed": "1"})

    paid.refresh_from_db()
    assert done.status_code == 302
    assert (paid.status, paid.refund_reason, paid.refund_note) == (
        PaymentStatus.REFUNDED,
        "paid_twice",
        "twice at the bank",
    )
    assert AuditRecord.objects.get().counter_id == "DL-01"


def test_change_on_the_confirmation_goes_back_to_the_reason_and_refunds_nothing(client, supervisor, paid):
    at_counter(client, supervisor, counter="DL-01")

    back = client.post(
        reverse("staff:refund", args=[paid.pk]), {"reason": "deceased", "confirmed": "1", "change": "1"}
    )

    paid.refresh_from_db()
    assert back.status_code == 200
    assert 'name="confirmed" value="1"' not in back.content.decode()
    assert paid.status == PaymentStatus.SETTLED


def test_a_clerk_can_neither_open_nor_post_the_refund_page(client, clerk, paid):
    at_counter(client, clerk, counter="DL-01")
    url = reverse("staff:refund", args=[paid.pk])

    opened = client.get(url)
    posted = client.post(url, {"reason": "paid_twice", "confirmed": "1"})

    paid.refresh_from_db()
    assert (opened.status_code, posted.status_code) == (403, 403)
    assert paid.status == PaymentStatus.SETTLED
    assert not AuditRecord.objects.exists()


def test_a_refunded_payment_offers_no_refund_form(client, supervisor, paid):
    at_counter(client, supervisor, counter="DL-01")
    url = reverse("staff:refund", args=[paid.pk])
    client.post(url, {"reason": "paid_twice", "confirmed": "1"})

    body = client.get(url).content.decode()

    assert 'id="refunded-already"' in body
    assert 'name="reason"' not in body
    assert Payment.objects.get(pk=paid.pk).status == PaymentStatus.REFUNDED
