"""The review's CSV: its rows come from a cursor planned for reading them all, and the download holds
no transaction, lock or snapshot open however slowly it is read, nor leaves the setting behind."""

import pytest
from django.db import connection

from payments.services import Actor
from tests.factories import BindingFactory, EmployeeFactory, PremiumRateFactory, UserFactory
from tests.payments.paying import payment_create_for_relative
from tests.staff.conftest import api_as, staff_user

CSV = "/api/v1/admin-api/expenditures.csv"


@pytest.fixture
def paid(transactional_db, year):
    PremiumRateFactory(year=year)
    authorizer = EmployeeFactory(balance_fen=1_000_000)
    for key in ("a", "b", "c"):
        binding = BindingFactory(authorizer=authorizer)
        payment_create_for_relative(
            authorizer=authorizer,
            beneficiary=binding.beneficiary,
            year=year,
            actor=Actor(user=UserFactory(), idempotency_key=key),
        )


def tuple_fraction() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW cursor_tuple_fraction")
        return cursor.fetchone()[0]


def test_the_rows_come_from_a_cursor_planned_for_all_of_them(paid):
    client, seen = api_as(staff_user("auditor", "auditor")), []

    def watch(execute, sql, params, many, context):
        seen.append(sql.split(" (")[0][:40])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        response = client.get(CSV)
        lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()

    assert len(lines) == 4
    read = seen.index("SET cursor_tuple_fraction = 1")
    assert seen[read + 1].startswith("SELECT")  # the review's rows, through the cursor
    assert seen[read + 2] == "RESET cursor_tuple_fraction"
    assert tuple_fraction() == "0.1"


def test_a_download_read_slowly_holds_no_transaction_and_one_broken_off_leaves_nothing_behind(
    paid, monkeypatch
):
    monkeypatch.setattr("staff.apis.CSV_CHUNK_ROWS", 1)  # a block per row: the stream stops mid-way
    response = api_as(staff_user("auditor", "auditor")).get(CSV)
    blocks = iter(response.streaming_content)

    next(blocks)  # the header
    next(blocks)  # the first payment
    assert connection.connection.info.transaction_status.name == "IDLE"  # not in a transaction
    assert tuple_fraction() == "1"
    response.close()

    assert tuple_fraction() == "0.1"
    assert connection.connection.info.transaction_status.name == "IDLE"
