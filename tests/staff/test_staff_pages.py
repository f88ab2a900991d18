from django.urls import reverse

from mutual_aid.models import Binding
from payments.models import Payment
from staff.models import AuditRecord
from tests.factories import ResidentFactory, user_for
from tests.pages.paying import pay


def test_insurees_and_anonymous_users_cannot_open_the_counter(client, world):
    assert client.get(reverse("staff:home")).status_code == 302
    client.force_login(user_for(world.authorizer.person))
    assert client.get(reverse("staff:home")).status_code == 403
    assert client.get(reverse("staff:review")).status_code == 403


def test_a_clerk_serves_a_walk_in_and_never_puts_the_id_number_in_a_url(client, clerk, world, year):
    client.force_login(clerk)
    client.post(reverse("staff:home"), {"counter_id": "DL-01"})
    looked_up = client.post(reverse("staff:home"), {"id_number": world.authorizer.person.id_number})
    assert looked_up["Location"] == reverse("staff:person")
    assert world.authorizer.person.id_number in client.get(reverse("staff:person")).content.decode()

    parent = ResidentFactory()
    bind = {
        "beneficiary_id_number": parent.person.id_number,
        "beneficiary_name": parent.person.name,
        "relation": "parent",
        "paper_pledge_ref": "PL-9",
    }
    unconfirmed = client.post(reverse("staff:bind"), bind)
    assert unconfirmed.status_code == 400
    assert not Binding.objects.filter(beneficiary=parent).exists()
    client.post(reverse("staff:bind"), {**bind, "identity_confirmed": "on"})
    assert Binding.objects.get(beneficiary=parent).counter_id == "DL-01"

    pay(
        client,
        "staff:pay",
        {"payee": f"relative-{parent.pk}", "year": year, "idempotency_key": "walk-in-1"},
    )
    payment = Payment.objects.get(beneficiary=parent)
    assert client.get(reverse("staff:receipt", args=[payment.pk]))["Content-Type"] == "application/pdf"
    assert set(AuditRecord.objects.values_list("action", flat=True)) == {
        "person_lookup",
        "binding_create",
        "payment_create",
    }


def test_the_review_page_filters_and_exports_what_is_filtered(client, auditor, clerk, world, year):
    client.force_login(clerk)
    client.post(reverse("staff:home"), {"counter_id": "DL-02"})
    client.post(reverse("staff:home"), {"id_number": world.authorizer.person.id_number})
    pay(
        client,
        "staff:pay",
        {"payee": f"relative-{world.beneficiary_id}", "year": year, "idempotency_key": "k"},
    )
    client.force_login(auditor)

    page = client.get(reverse("staff:review"), {"channel": "counter"}).content.decode()
    csv = client.get(reverse("staff:review"), {"channel": "self", "format": "csv"})

    assert 'id="total-payments">1<' in page
    assert world.beneficiary.person.id_number not in page
    assert len(b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()) == 1
