"""The notices page and the API read the caller's own notices, in his language, each linking to what it
is about; nobody reads or marks another person's notices."""

import pytest
from django.test import Client
from django.urls import reverse

from notices.models import Notice, NoticeKind
from notices.services import notice_send, notices_mark_read
from tests.api.conftest import client_for
from tests.factories import EmployeeFactory, user_for
from tests.payments.paying import payment_create_for_relative


@pytest.fixture
def paid(family, year, actor_for):
    return payment_create_for_relative(
        authorizer=family.authorizer, beneficiary=family.beneficiary, year=year, actor=actor_for()
    )


def page_client(person) -> Client:
    client = Client()
    client.force_login(user_for(person))
    return client


def test_the_relatives_page_tells_him_who_paid_and_links_to_the_payment(family, paid, year):
    client = page_client(family.beneficiary.person)

    chinese = client.get(reverse("notifications")).content.decode()
    english = client.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f"您{year}年度的城乡居民医保个人缴费420.00元已由您的子女张伟的个人账户支付。" in chinese
    assert f'href="/payments/{paid.pk}/"' in chinese
    assert "查看缴费记录" in chinese
    assert "paid from the personal account of your child 张伟." in english
    assert "580.00" not in chinese  # the payer's balance is his, not his father's


def test_the_home_page_says_how_many_notices_are_unread_until_they_are_read(family, paid):
    client = page_client(family.beneficiary.person)

    home = client.get(reverse("home")).content.decode()
    assert "您有 1 条未读消息" in home
    assert 'id="unread-callout"><a href="/notifications/"' in home

    client.post(reverse("notifications-read"))
    assert 'id="unread-callout"' not in client.get(reverse("home")).content.decode()


def test_marking_read_on_the_page_marks_only_ones_own(family, paid):
    son, father = family.authorizer.person, family.beneficiary.person

    response = page_client(father).post(reverse("notifications-read"))

    assert response.status_code == 302
    assert Notice.objects.get(person=father).read_at is not None
    assert Notice.objects.get(person=son).read_at is None


def test_the_api_lists_the_callers_notices_with_the_payment(family, paid, year):
    body = (
        client_for(family.beneficiary.person).get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()
    )

    assert body["count"] == 1
    assert body["unread"] == 1
    [row] = body["results"]
    assert (row["kind"], row["payment_id"], row["read"]) == ("premium_paid", paid.pk, False)
    assert row["message"] == (
        f"Your {year} resident premium of 420.00 yuan was paid from the personal account of your child 张伟."
    )


def test_a_stranger_neither_reads_nor_marks_another_persons_notices(family, paid):
    stranger = EmployeeFactory().person
    theirs = list(Notice.objects.values_list("pk", flat=True))
    api = client_for(stranger)

    listed = api.get("/api/v1/notifications/").json()
    marked = api.post("/api/v1/notifications/read/", {"ids": theirs}, format="json").json()
    page = page_client(stranger).get(reverse("notifications")).content.decode()

    assert (listed["count"], listed["unread"]) == (0, 0)
    assert marked == {"marked": 0}
    assert "张国强" not in page
    assert "张伟" not in page
    assert notices_mark_read(person_id=stranger.pk, notice_ids=theirs) == 0
    assert not Notice.objects.filter(read_at__isnull=False).exists()


def test_the_api_marks_the_given_notices_of_the_caller_read(family, paid):
    son = family.authorizer.person
    [own] = Notice.objects.filter(person=son).values_list("pk", flat=True)
    api = client_for(son)

    assert api.post("/api/v1/notifications/read/", {"ids": [own]}, format="json").json() == {"marked": 1}
    assert api.get("/api/v1/notifications/").json()["unread"] == 0
    assert Notice.objects.get(person=family.beneficiary.person).read_at is None


def test_a_notice_whose_facts_do_not_render_still_leaves_the_page_readable(family, caplog):
    notice_send(person_id=family.authorizer.person_id, kind=NoticeKind.DEBIT, facts={"year": 2027})

    response = page_client(family.authorizer.person).get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "You have a notice from the mutual-aid service." in response.content.decode()
    assert any("do not render" in record.getMessage() for record in caplog.records)
