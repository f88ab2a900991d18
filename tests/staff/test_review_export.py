"""The review's CSV streams from one snapshot, in a transaction of its own, which ends with the
download, finished or broken off."""

import pytest
from django.db import connection

from payments.services import Actor, payment_create_for_relative
from tests.factories import BindingFactory, EmployeeFactory, PremiumRateFactory, UserFactory
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


@pytest.mark.postgres
def test_the_rows_come_from_a_cursor_planned_for_every_row_in_one_transaction(paid):
    client, seen = api_as(staff_user("auditor", "auditor")), []

    def watch(execute, sql, params, many, context):
        seen.append((sql.split(" ")[0:2], context["connection"].in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        response = client.get(CSV)
        lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()

    assert len(lines) == 4
    streamed = seen[seen.index((["SET", "LOCAL"], True)) + 1 :]
    assert streamed
    assert all(inside for _statement, inside in streamed)  # the cursor's statements, in the same one
    assert not connection.in_atomic_block


def test_a_download_broken_off_ends_its_transaction(paid, monkeypatch):
    monkeypatch.setattr("staff.apis.CSV_CHUNK_ROWS", 1)  # a block per row: the stream stops mid-way
    response = api_as(staff_user("auditor", "auditor")).get(CSV)
    blocks = iter(response.streaming_content)

    next(blocks)  # the header
    next(blocks)  # the first payment, read inside the stream's transaction
    assert connection.in_atomic_block
    response.close()

    assert not connection.in_atomic_block
