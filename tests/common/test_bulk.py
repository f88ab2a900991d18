"""Bulk inserts of plain values by COPY (common/bulk.py): the rows, their defaults and their keys."""

from django.utils import timezone

from common.bulk import bulk_insert, draw_keys
from insurees.models import Person
from ledger.models import Account, AccountKind, Entry, Transaction


def test_rows_go_in_with_the_models_defaults_and_their_keys_come_back_in_order(db):
    before = timezone.now()

    keys = bulk_insert(
        Account,
        ("code", "kind", "name"),
        [("personal:a", AccountKind.PERSONAL, "甲"), ("personal:b", AccountKind.PERSONAL, "乙")],
    )

    a, b = (Account.objects.get(pk=key) for key in keys)
    assert (a.code, a.name, a.balance_fen, b.code) == ("personal:a", "甲", 0, "personal:b")
    assert a.created_at >= before
    assert bulk_insert(Account, ("code",), []) == []


def test_drawn_keys_are_new_and_the_rows_take_them(db):
    Account.objects.create(code="earlier", kind=AccountKind.EXTERNAL)
    highest = Account.objects.order_by("-pk").first().pk

    keys = draw_keys(Account, 3)
    written = bulk_insert(
        Account, ("id", "code", "kind"), [(key, f"c{key}", AccountKind.EXTERNAL) for key in reversed(keys)]
    )

    assert len(set(keys)) == 3
    assert min(keys) > highest
    assert written == list(reversed(keys))
    assert sorted(Account.objects.filter(pk__in=keys).values_list("code", flat=True)) == sorted(
        f"c{key}" for key in keys
    )


def test_a_deleted_rows_key_is_never_drawn_again(db):
    [key] = bulk_insert(
        Person,
        ("id_number", "name", "birth_date", "sex"),
        [("320102199001011234", "张三", timezone.localdate().replace(year=1990), "M")],
    )
    Person.objects.filter(pk=key).delete()

    assert min(draw_keys(Person, 2)) > key


def test_rows_whose_keys_nobody_needs_take_the_tables_own(db):
    transactions = bulk_insert(Transaction, ("memo",), [("a",)])

    returned = bulk_insert(
        Entry,
        ("transaction_id", "account_id", "amount_fen"),
        [(transactions[0], _account("x"), -5), (transactions[0], _account("y"), 5)],
        keys=False,
    )

    assert returned == []
    assert sorted(Entry.objects.values_list("amount_fen", flat=True)) == [-5, 5]
    assert len(set(Entry.objects.values_list("pk", flat=True))) == 2


def _account(code: str) -> int:
    return Account.objects.create(code=code, kind=AccountKind.EXTERNAL).pk
