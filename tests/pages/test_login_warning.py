"""A failed sign-in says how many attempts are left before the lockout, counted as the lockout counts
them, and says the same whether or not the identifier exists."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import LoginFailure
from accounts.services import LOCKOUT, MAX_FAILURES
from tests.factories import EmployeeFactory, user_for

pytestmark = pytest.mark.django_db
MINUTES = int(LOCKOUT.total_seconds() // 60)


def attempt(client, identifier, password="wrong-password", language="en"):  # noqa: S107
    client.cookies["django_language"] = language
    return client.post(reverse("login"), {"identifier": identifier, "password": password})


def warning(response) -> str:
    found = re.search(
        r"(\d+) more failed attempts? will lock sign-in for (\d+) minutes", response.content.decode()
    )
    return found.group(0) if found else ""


def test_each_failure_says_how_many_attempts_are_left(client):
    person = EmployeeFactory().person
    user_for(person)

    warnings = [warning(attempt(client, person.id_number)) for _ in range(MAX_FAILURES - 1)]

    assert warnings == [
        f"{left} more failed attempt{'s' if left > 1 else ''} will lock sign-in for {MINUTES} minutes"
        for left in range(MAX_FAILURES - 1, 0, -1)
    ]
    last = attempt(client, person.id_number)
    assert f"Sign-in is now locked for {MINUTES} minutes" in last.content.decode()
    locked = attempt(client, person.id_number, password="Gongji-test-2026")
    assert locked.status_code == 400
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_unknown_identifier_gets_the_same_answer_as_a_known_one(client):
    known = EmployeeFactory().person
    user_for(known)
    unknown = "110105194912310021"

    for _ in range(2):
        known_answer, unknown_answer = attempt(client, known.id_number), attempt(client, unknown)

    assert warning(known_answer) == warning(unknown_answer) != ""
    assert known_answer.status_code == unknown_answer.status_code == 400


def test_the_count_follows_the_identifier_however_it_is_typed(client):
    person = EmployeeFactory().person
    user_for(person)
    number = person.id_number
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}".lower()

    attempt(client, number)
    second = attempt(client, spaced)

    assert warning(second).startswith(f"{MAX_FAILURES - 2} more")
    assert LoginFailure.objects.filter(identifier=number).count() == 2


def test_the_warning_is_in_chinese_by_default_and_signing_in_clears_the_count(client):
    person = EmployeeFactory().person
    user_for(person)

    answer = attempt(client, person.id_number, language="zh-hans")
    with translation.override("zh-hans"):
        expected = f"再输错 {MAX_FAILURES - 1} 次，登录将被锁定 {MINUTES} 分钟。"
    assert expected in answer.content.decode()

    signed_in = attempt(client, person.id_number, password="Gongji-test-2026")
    assert signed_in.status_code == 302
    assert not LoginFailure.objects.filter(identifier=person.id_number).exists()
