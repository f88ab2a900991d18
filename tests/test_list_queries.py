"""No list makes a query per row: each list page and list endpoint costs the same number of queries
for one row as for several."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from payments.services import Actor
from tests.api.conftest import client_for
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PledgeFactory,
    PremiumRateFactory,
    UserFactory,
    user_for,
)
from tests.payments.paying import payment_create_for_relative
from tests.staff.conftest import staff_user

# (who asks, how, path)
LISTS = [
    ("authorizer", "api", "/api/v1/bindings/"),
    ("authorizer", "api", "/api/v1/payments/"),
    ("authorizer", "api", "/api/v1/expenditures/"),
    ("authorizer", "api", "/api/v1/notifications/"),
    ("authorizer", "page", "/"),
    ("authorizer", "page", "/records/"),
    ("authorizer", "page", "/notifications/"),
    ("auditor", "api", "/api/v1/admin-api/expenditures/"),
    ("auditor", "api", "/api/v1/admin-api/expenditures.csv"),
    ("auditor", "page", "/staff/review/"),
    ("auditor", "page", "/staff/review/?format=csv"),
]


@pytest.fixture
def year(db):
    year = timezone.localdate().year + 1
    PremiumRateFactory(year=year, amount_fen=42_000)
    return year


def authorizer_who_paid_for(relatives: int, year: int):
    """An authorizer who has bound and paid for `relatives` relatives."""
    pledge = PledgeFactory()
    authorizer = EmployeeFactory(balance_fen=10_000_000)
    user = UserFactory()
    for _ in range(relatives):
        binding = BindingFactory(authorizer=authorizer, pledge=pledge)
        payment_create_for_relative(
            authorizer=authorizer,
            beneficiary=binding.beneficiary,
            year=year,
            actor=Actor(user=user, idempotency_key=f"family-{binding.pk}"),
        )
    return authorizer


def client_as(who: str, how: str, authorizer):
    if who == "authorizer":
        if how == "api":
            return client_for(authorizer.person)
        client = Client()
        client.force_login(user_for(authorizer.person))
        return client
    client = APIClient() if how == "api" else Client()
    client.force_login(staff_user("auditor", f"auditor-{authorizer.pk}"))
    return client


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries)


@pytest.mark.parametrize(("who", "how", "path"), LISTS, ids=[path for _who, _how, path in LISTS])
def test_a_list_costs_as_many_queries_for_many_rows_as_for_one(year, who, how, path):
    one = queries_for(client_as(who, how, authorizer_who_paid_for(1, year)), path)
    # For the auditor's review the second family adds to the first: seven rows against one.
    many = queries_for(client_as(who, how, authorizer_who_paid_for(6, year)), path)

    assert many == one, f"{path}: {one} queries for one row, {many} for more"


def test_a_ledger_transactions_admin_page_reads_its_entries_accounts_at_once(admin_client):
    """A roster's opening transaction holds a hundred entries (ledger.services.OPENINGS_PER_TRANSACTION)."""
    from insurees.services import employee_contributions_account
    from ledger.models import Account, AccountKind, Transaction
    from ledger.services import transactions_post_opening_balances

    def queries_for(accounts: int, name: str) -> int:
        credits = [
            (Account(code=f"personal:{name}{n}", kind=AccountKind.PERSONAL), 100) for n in range(accounts)
        ]
        transactions_post_opening_balances(
            source=employee_contributions_account(), credits=credits, memo="opening balance"
        )
        page = f"/admin/ledger/transaction/{Transaction.objects.latest('pk').pk}/change/"
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(page).status_code == 200
        return len(queries)

    queries_for(1, "warm")  # the admin's first page reads what it then keeps (content types)
    assert queries_for(1, "one") == queries_for(7, "seven")
