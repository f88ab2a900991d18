"""A binding's page (`/bindings/<id>/`): ending it says, before anything moves, what becomes of its
allowance and how much goes back, and the message after says what came back; an ended binding says
when and why it ended and offers nothing; the form offers only the relations that can be bound."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from ledger.models import Account
from medical.models import Allowance, AllowanceStatus
from mutual_aid.models import Binding, BindingStatus, EndReason, Relation
from mutual_aid.services import binding_end
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    PledgeFactory,
    ResidentFactory,
    user_for,
)
from tests.pages.cashiers import allowance, institution, settle, signed_in, terminal_user


@pytest.fixture
def family(db):
    """张建国 set ¥300 aside for his father 张德明, who spent ¥45.50 of it at a pharmacy."""
    PledgeFactory()
    binding = BindingFactory(
        authorizer=EmployeeFactory(balance_fen=100_000, person=PersonFactory(name="张建国")),
        beneficiary=ResidentFactory(person=PersonFactory(name="张德明")),
    )
    allowance(binding, 30_000)
    settle(terminal_user(institution(), "kangmin"), binding.beneficiary, 4_550)
    return binding


def page_text(response) -> str:
    """The main part of the page as read: tags gone, whitespace folded."""
    main = response.content.decode().split('<main id="content">', 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def confirmation(response, action: str) -> str:
    """The words the browser asks before the form with this action is sent."""
    form = rf'<form[^>]*action="{re.escape(action)}"[^>]*data-confirm="([^"]*)"'
    found = re.search(form, response.content.decode())
    assert found, f"no confirmation on the form to {action}"
    return html.unescape(found.group(1))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_authorizer_is_told_before_ending_that_the_allowance_is_released_and_what_comes_back(family):
    client = signed_in(user_for(family.authorizer.person), "en")

    page = client.get(reverse("binding-manage", args=[family.pk]))

    asked = confirmation(page, reverse("binding-end", args=[family.pk]))
    assert "allowance for 张德明 is released" in asked
    assert "¥254.50 goes back to your personal account" in asked
    # On the page too, for a browser without the script.
    assert "¥254.50 goes back to your personal account" in page_text(page)
    assert Allowance.objects.get(binding=family).status == AllowanceStatus.ACTIVE  # shown, nothing moved


def test_ending_it_says_what_came_back_to_the_authorizer(family):
    client = signed_in(user_for(family.authorizer.person), "en")
    available = Account.objects.get(pk=family.authorizer.account_id).balance_fen

    response = client.post(reverse("binding-end", args=[family.pk]), follow=True)

    assert messages_of(response) == [
        "The binding with 张德明 has ended. The allowance of ¥300.00 for 张德明 is released: ¥254.50 is back "
        "in your personal account."
    ]
    assert Account.objects.get(pk=family.authorizer.account_id).balance_fen == available + 25_450


def test_the_relative_is_told_that_the_allowance_from_the_authorizer_ends_and_goes_back_to_him(family):
    client = signed_in(user_for(family.beneficiary.person), "en")

    page = client.get(reverse("binding-manage", args=[family.pk]))
    asked = confirmation(page, reverse("binding-end", args=[family.pk]))
    ended = client.post(reverse("binding-end", args=[family.pk]), follow=True)

    assert "The allowance from 张建国 ends: you can no longer use it" in asked
    assert "¥254.50 goes back to the personal account of 张建国" in asked
    assert messages_of(ended) == [
        "The binding with 张建国 has ended. The allowance of ¥300.00 from 张建国 has ended: "
        "¥254.50 went back to the personal account of 张建国."
    ]


def test_the_amount_is_said_in_chinese_too(family):
    client = signed_in(user_for(family.authorizer.person))

    page = client.get(reverse("binding-manage", args=[family.pk]))
    ended = client.post(reverse("binding-end", args=[family.pk]), follow=True)

    assert "254.50" in confirmation(page, reverse("binding-end", args=[family.pk]))
    assert "张德明" in messages_of(ended)[0]
    assert "254.50" in messages_of(ended)[0]


def test_a_binding_without_an_allowance_asks_and_says_only_that_it_ends(db):
    PledgeFactory()
    binding = BindingFactory(beneficiary=ResidentFactory(person=PersonFactory(name="李秀英")))
    client = signed_in(user_for(binding.authorizer.person))

    page = client.get(reverse("binding-manage", args=[binding.pk]))
    ended = client.post(reverse("binding-end", args=[binding.pk]), follow=True)

    asked = confirmation(page, reverse("binding-end", args=[binding.pk]))
    assert asked == "确定解除共济关系吗？已缴保费仍然有效。"
    assert 'id="end-releases-allowance"' not in page.content.decode()
    assert messages_of(ended) == ["与李秀英的共济关系已解除。"]


def test_an_ended_binding_says_so_when_and_why_and_offers_nothing(family):
    binding_end(binding=family, ended_by=family.beneficiary.person)
    family.refresh_from_db()
    client = signed_in(user_for(family.authorizer.person), "en")

    response = client.get(reverse("binding-manage", args=[family.pk]))

    text = page_text(response)
    body = response.content.decode()
    assert response.status_code == 200
    assert family.status == BindingStatus.ENDED
    assert "Ended" in text
    assert family.ended_at.astimezone().strftime("%Y-%m-%d") in text
    assert str(EndReason.BENEFICIARY_UNBOUND.label) in text
    assert "The allowance of ¥300.00 for 张德明 was released when the binding ended: ¥254.50 went" in text
    assert "Self-payment" not in text
    assert reverse("binding-end", args=[family.pk]) not in body
    assert reverse("binding-pause", args=[family.pk]) not in body
    assert "Pause self-payment" not in text
    assert "End the binding" not in text


def test_an_ended_binding_is_said_ended_to_the_relative_in_chinese(family):
    binding_end(binding=family, ended_by=family.authorizer.person)
    client = signed_in(user_for(family.beneficiary.person))

    response = client.get(reverse("binding-manage", args=[family.pk]))

    text = page_text(response)
    assert "状态 已解除" in text
    assert "授权人解除" in text  # EndReason.AUTHORIZER_UNBOUND's label
    assert "允许" not in text  # the self-payment it once allowed
    assert "暂停亲属自缴" not in text
    assert "解除共济关系" not in text
    assert 'method="post"' not in response.content.decode().split('<main id="content">', 1)[1]


def test_the_binding_form_offers_only_the_near_relatives(db):
    PledgeFactory()
    client = signed_in(user_for(EmployeeFactory().person))

    page = client.get(reverse("binding-create")).content.decode()

    select = re.search(r'<select name="relation"[^>]*>(.*?)</select>', page, re.S)
    assert select
    assert re.findall(r'<option value="([^"]*)"', select.group(1)) == ["", *Relation.values]
    assert "其他亲属" not in page


def test_a_relation_sent_that_is_not_offered_is_refused_in_the_services_words(db):
    PledgeFactory()
    authorizer = EmployeeFactory()
    cousin = ResidentFactory()
    client = signed_in(user_for(authorizer.person), "en")

    response = client.post(
        reverse("binding-create"),
        {
            "beneficiary_id_number": cousin.person.id_number,
            "beneficiary_name": cousin.person.name,
            "relation": "other",
            "pledge_version": 1,
            "pledge_accepted": "on",
        },
    )

    assert response.status_code == 400
    assert "Only near relatives can be bound" in page_text(response)
    assert not Binding.objects.filter(beneficiary=cousin).exists()


@pytest.mark.parametrize("paused", [False, True])
def test_the_self_payment_question_fits_a_relative_of_either_sex(db, paused):
    PledgeFactory()
    binding = BindingFactory(self_pay_paused=paused)
    client = signed_in(user_for(binding.authorizer.person), "en")

    page = client.get(reverse("binding-manage", args=[binding.pk]))

    asked = confirmation(page, reverse("binding-pause", args=[binding.pk]))
    assert "their own premium" in asked
    assert not re.search(r"\b(his|him|he|her|she)\b", asked, re.I)


@pytest.mark.parametrize("page", ["home", "pay-self", "binding-create"])
def test_a_resident_is_told_what_the_relative_binding_them_needs_without_he(db, page):
    PledgeFactory()
    client = signed_in(user_for(ResidentFactory().person), "en")

    text = page_text(client.get(reverse(page)))

    assert "The relative will need" in text
    assert not re.search(r"\b(he|his|him|she|her)\b", text, re.I)
