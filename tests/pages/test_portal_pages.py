import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from mutual_aid.models import Binding
from payments.models import Payment
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PledgeFactory,
    PremiumRateFactory,
    ResidentFactory,
    UserFactory,
    user_for,
)
from tests.pages.paying import choose, pay


@pytest.fixture
def year():
    from django.utils import timezone

    return timezone.localdate().year + 1


@pytest.fixture
def world(db, year):
    PledgeFactory()
    PremiumRateFactory(year=year)
    authorizer = EmployeeFactory(balance_fen=100_000)
    binding = BindingFactory(authorizer=authorizer)
    return binding


def signed_in(client, person):
    client.force_login(user_for(person))
    return client


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_sign_in_with_the_id_number_and_register_with_the_real_name(client, db):
    person = ResidentFactory().person

    bad = client.post(
        reverse("register"),
        {
            "id_number": person.id_number,
            "name": "别人",
            "phone": "13900000000",
            "password": "Gongji-test-2026",
            "password_again": "Gongji-test-2026",
        },
    )
    assert bad.status_code == 400  # shown again with the reason
    assert "error" in bad.content.decode()

    good = client.post(
        reverse("register"),
        {
            "id_number": person.id_number,
            "name": person.name,
            "phone": "13900000000",
            "password": "Gongji-test-2026",
            "password_again": "Gongji-test-2026",
        },
    )
    assert good.status_code == 302
    client.post(reverse("logout"))
    signed = client.post(reverse("login"), {"identifier": person.id_number, "password": "Gongji-test-2026"})
    assert signed.status_code == 302


def test_home_shows_balance_relatives_and_premiums_with_masked_numbers(client, world, year):
    page = signed_in(client, world.authorizer.person).get(reverse("home")).content.decode()

    assert "1,000.00" in page
    assert world.beneficiary.person.name in page
    assert world.beneficiary.person.id_number not in page
    assert world.beneficiary.person.id_number[:4] + "*" * 10 in page
    assert "420.00" in page


def test_home_takes_a_fixed_number_of_queries_whatever_the_family_size(
    client, world, year, django_assert_max_num_queries
):
    signed_in(client, world.authorizer.person)
    for _ in range(6):
        BindingFactory(authorizer=world.authorizer)

    # The navigation's pay offers read his active bindings and what their relatives still owe: three.
    with django_assert_max_num_queries(15):
        client.get(reverse("home"))


def test_binding_a_relative_shows_each_refusal_next_to_its_field(client, world):
    signed_in(client, world.authorizer.person)
    parent = ResidentFactory()
    body = {
        "beneficiary_id_number": parent.person.id_number,
        "beneficiary_name": parent.person.name,
        "relation": "parent",
        "pledge_version": 1,
        "pledge_accepted": "on",
    }

    invalid = client.post(reverse("binding-create"), {**body, "beneficiary_id_number": "210202197805120233"})
    cousin = client.post(reverse("binding-create"), {**body, "relation": "other"})
    unsigned = client.post(reverse("binding-create"), {**body, "pledge_accepted": ""})

    assert 'id="id_beneficiary_id_number-error"' in invalid.content.decode()
    assert 'id="id_relation-error"' in cousin.content.decode()
    assert 'id="id_pledge_accepted-error"' in unsigned.content.decode()
    assert Binding.objects.count() == 1

    done = client.post(reverse("binding-create"), body)
    assert done.status_code == 302
    assert Binding.objects.count() == 2


def test_paying_twice_with_the_same_form_pays_once(client, world, year):
    signed_in(client, world.authorizer.person)
    body = {"year": year, "beneficiaries": [world.beneficiary_id], "idempotency_key": "form-key-1"}
    check_url = choose(client, "pay", body)
    choice = {"choice": client.get(check_url).context["confirm"].initial["choice"]}

    first = client.post(check_url, choice)
    second = client.post(check_url, choice)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Payment.objects.count() == 1


def test_a_relative_self_pays_and_sees_whose_account_paid(client, world, year):
    signed_in(client, world.beneficiary.person)

    response = pay(client, "pay-self", {"year": year, "idempotency_key": "self-form"}, follow=True)

    page = response.content.decode()
    assert world.authorizer.person.name in page
    assert Payment.objects.get().channel == "self"


def test_receipt_download_and_verification(client, world, year):
    signed_in(client, world.authorizer.person)
    pay(client, "pay", {"year": year, "beneficiaries": [world.beneficiary_id], "idempotency_key": "r"})
    payment = Payment.objects.get()

    pdf = client.get(reverse("receipt", args=[payment.pk]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert payment.reference in text
    assert "肆佰贰拾元整" in text

    client.logout()
    genuine = client.get(
        reverse("receipt-verify"), {"reference": payment.reference, "code": payment.verification_code}
    )
    forged = client.get(reverse("receipt-verify"), {"reference": payment.reference, "code": "00000000"})
    assert 'class="status ok"' in genuine.content.decode()
    assert 'role="alert"' in forged.content.decode()


def test_no_one_opens_another_persons_binding_payment_or_receipt(client, world, year):
    signed_in(client, world.authorizer.person)
    pay(client, "pay", {"year": year, "beneficiaries": [world.beneficiary_id], "idempotency_key": "x"})
    payment = Payment.objects.get()
    client.logout()
    signed_in(client, EmployeeFactory().person)

    for name, args in [
        ("binding-manage", [world.pk]),
        ("payment-detail", [payment.pk]),
        ("receipt", [payment.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404
    for name in ("binding-end", "binding-pause"):
        assert client.post(reverse(name, args=[world.pk])).status_code == 404
    world.refresh_from_db()
    assert world.status == "active"


def test_elderly_mode_is_remembered(client, world):
    signed_in(client, world.authorizer.person)

    client.post(reverse("elderly-mode"), {"on": "1", "next": "/"})

    assert 'class="elderly"' in client.get(reverse("home")).content.decode()


def test_english_is_switchable(client, world):
    signed_in(client, world.authorizer.person)

    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert "Relatives my account pays for" in client.get(reverse("home")).content.decode()


def test_staff_without_a_person_do_not_reach_insuree_pages(client, db):
    client.force_login(UserFactory(username="clerk"))

    assert client.get(reverse("pay")).status_code == 404
    assert client.get(reverse("records")).status_code == 404
