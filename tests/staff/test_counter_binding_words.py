"""The counter's binding and person page in words that fit anyone: the done message names who was
bound to whom, the relation is chosen among the near relatives only, and no text calls the applicant
or the relative "he"."""

import re

from django.urls import reverse

from mutual_aid.models import Binding, Relation
from tests.factories import EmployeeFactory, PersonFactory, ResidentFactory
from tests.staff.test_counter_pages import at_counter, bind_body
from tests.staff.test_page_wording import visible_text

GENDERED = re.compile(r"\b(he|his|him|himself|she|her|herself)\b", re.I)


def test_the_done_message_says_who_was_bound_to_whom(client, clerk, world):
    applicant = EmployeeFactory(person=PersonFactory(name="王秀梅"))
    mother = ResidentFactory(person=PersonFactory(name="刘桂芝"))
    at_counter(client, clerk, counter="DL-03", person=applicant.person)
    client.cookies["django_language"] = "en"

    response = client.post(reverse("staff:bind"), {**bind_body(mother), "relation": "parent"}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "刘桂芝 (Parent) is now bound to 王秀梅: the personal account of 王秀梅 can pay the resident "
        "premium of 刘桂芝."
    ]
    assert Binding.objects.get(beneficiary=mother).authorizer == applicant


def test_the_done_message_names_both_in_chinese_too(client, clerk, world):
    applicant = EmployeeFactory(person=PersonFactory(name="王秀梅"))
    mother = ResidentFactory(person=PersonFactory(name="刘桂芝"))
    at_counter(client, clerk, counter="DL-03", person=applicant.person)

    response = client.post(reverse("staff:bind"), {**bind_body(mother), "relation": "parent"}, follow=True)

    (message,) = [str(m) for m in response.context["messages"]]
    assert "王秀梅" in message
    assert "刘桂芝" in message
    assert message != "已绑定。"


def test_the_counter_offers_only_the_near_relatives(client, clerk, world):
    at_counter(client, clerk, counter="DL-03", person=world.authorizer.person)

    page = client.get(reverse("staff:person")).content.decode()

    select = re.search(r'<select name="relation"[^>]*>(.*?)</select>', page, re.S)
    assert select
    assert re.findall(r'<option value="([^"]*)"', select.group(1)) == ["", *Relation.values]


def test_the_person_page_calls_no_one_he(client, clerk, world):
    employee = world.authorizer.person
    resident_alone = ResidentFactory().person  # no premium to pay: the page says why
    at_counter(client, clerk, counter="DL-03", person=employee)
    client.cookies["django_language"] = "en"
    employee_page = visible_text(client.get(reverse("staff:person")).content.decode())
    at_counter(client, clerk, counter="DL-03", person=resident_alone)
    resident_english = visible_text(client.get(reverse("staff:person")).content.decode())
    client.cookies["django_language"] = "zh-hans"
    resident_chinese = visible_text(client.get(reverse("staff:person")).content.decode())

    assert "from the relative's ID card" in employee_page
    assert "being neither a resident with a bound account" in resident_english
    assert not GENDERED.search(employee_page)
    assert not GENDERED.search(resident_english)
    assert not re.search(r"(?<!其)他", resident_chinese)
