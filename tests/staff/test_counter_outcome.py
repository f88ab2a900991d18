"""The counter's confirmation tells the truth when the database goes away as the payment is made: a
page saying its outcome is not known yet, whose button asks again under the same key (pays once); the
counter's audit record is written with the payment, once."""

import html
import re

from django.urls import reverse

from payments.models import Payment
from staff.models import AuditRecord
from tests.db_proxy import PAY_CALL, database_through_proxy
from tests.pages.paying import CHOICE, choose
from tests.staff.test_counter_paying import serving

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def test_the_counter_is_told_the_outcome_is_unknown_and_its_button_pays_once(
    transactional_db, client, clerk, world, year, monkeypatch
):
    monkeypatch.setattr("common.outcome.OUTCOME_RECHECK_PAUSES", (0.05, 0.05))
    authorizer = world.authorizer
    serving(client, clerk, authorizer.person)
    chosen = {"payee": f"relative-{world.beneficiary_id}", "year": year, "idempotency_key": "counter-lost"}
    check_url = choose(client, "staff:pay", chosen)
    choice = html.unescape(CHOICE.search(client.get(check_url).content.decode()).group(1))
    client.raise_request_exception = False

    with database_through_proxy() as proxy:
        proxy.stay_away = True
        proxy.drop_after_commit_of(PAY_CALL)
        answer = client.post(check_url, {"choice": choice})
        assert proxy.dropped.is_set()

    assert answer.status_code == 503
    page = answer.content.decode()
    assert "暂时无法确认这笔缴费是否已完成" in page
    assert reverse("staff:person") in page
    resend = {name: html.unescape(value) for name, value in HIDDEN.findall(page)}
    again = client.post(check_url, resend)

    assert again["Location"] == reverse("staff:pay-done", kwargs={"key": "counter-lost"})
    payment = Payment.objects.get()
    assert AuditRecord.objects.filter(action="payment_create").count() == 1
    assert payment.counter_id == "DL-05"
