"""Allowances racing each other, premium payments and a binding's end, on the real PostgreSQL: each
thread has its own connection; the database's locks and checks decide."""

import threading
from collections import Counter

from django.db import connection
from django.utils import timezone

from common.errors import ApplicationError
from ledger.models import Account
from medical.models import Allowance, AllowanceStatus
from medical.services import Actor, allowance_release, allowance_set
from mutual_aid.models import Binding, BindingStatus
from mutual_aid.services import binding_end
from payments.services import Actor as PaymentActor
from tests.db_proxy import database_through_proxy
from tests.factories import BindingFactory, EmployeeFactory, PremiumRateFactory, UserFactory, user_for
from tests.medical.settling import allowance_for
from tests.payments.invariants import assert_money_invariants
from tests.payments.paying import fund_account_ensure, payment_create_for_relative
from tests.payments.test_concurrency import run_concurrently


def test_twenty_raises_on_one_account_never_hold_more_than_its_balance(transactional_db):
    authorizer = EmployeeFactory(balance_fen=100_000)
    bindings = [BindingFactory(authorizer=authorizer) for _ in range(20)]
    user = user_for(authorizer.person)
    calls = [
        (
            lambda binding=binding, i=i: allowance_set(
                authorizer=authorizer.person, binding_id=binding.pk, amount_fen=15_000,
                actor=Actor(user=user, idempotency_key=f"raise-{i}"),
            )
        )
        for i, binding in enumerate(bindings)
    ]  # fmt: skip

    outcomes = run_concurrently(calls)

    set_ids = [o for o in outcomes if isinstance(o, int)]
    assert len(set_ids) == 6, outcomes  # 6 × 150.00 fit in 1,000.00; a seventh would not
    assert Counter(o for o in outcomes if not isinstance(o, int)) == {"insufficient_balance": 14}
    assert Account.objects.get(pk=authorizer.account_id).balance_fen == 100_000 - 6 * 15_000
    assert Allowance.objects.count() == 6  # a refused one wrote nothing
    assert_money_invariants()


def _premium_and_raise(year: int, amount_fen: int) -> tuple[list, int]:
    """A premium of 420.00 and a raise to amount_fen at once, on one account of 1,000.00."""
    authorizer = EmployeeFactory(balance_fen=100_000)
    paid_for, allowed = BindingFactory(authorizer=authorizer), BindingFactory(authorizer=authorizer)
    fund_account_ensure(region_code=paid_for.beneficiary.region_code)
    calls = [
        lambda: payment_create_for_relative(
            authorizer=authorizer, beneficiary=paid_for.beneficiary, year=year,
            actor=PaymentActor(user=UserFactory(), idempotency_key="premium"),
        ),
        lambda: allowance_set(
            authorizer=authorizer.person, binding_id=allowed.pk, amount_fen=amount_fen,
            actor=Actor(user=UserFactory(), idempotency_key="raise"),
        ),
    ]  # fmt: skip
    outcomes = run_concurrently(calls)
    return [o for o in outcomes if not isinstance(o, int)], authorizer.account_id


def test_a_premium_racing_a_raise_on_the_same_account_never_overdraws_it(transactional_db):
    year = timezone.localdate().year + 1
    PremiumRateFactory(year=year, amount_fen=42_000)
    for round_ in range(6):
        amount_fen = 50_000 if round_ % 2 else 60_000  # both fit, or only one

        refused, account_id = _premium_and_raise(year, amount_fen)

        assert refused == ([] if amount_fen == 50_000 else ["insufficient_balance"])
        assert Account.objects.get(pk=account_id).balance_fen >= 0
        assert_money_invariants()


def _raise_while_the_beneficiary_ends(round_: int) -> dict:
    binding = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000))
    person = binding.authorizer.person
    allowance_set(
        authorizer=person, binding_id=binding.pk, amount_fen=10_000,
        actor=Actor(user=user_for(person), idempotency_key=f"first-{round_}"),
    )  # fmt: skip
    start = threading.Barrier(2)
    outcomes: dict = {"binding": binding}

    def raise_it():
        start.wait()
        return allowance_set(
            authorizer=person, binding_id=binding.pk, amount_fen=40_000,
            actor=Actor(user=user_for(person), idempotency_key=f"raise-{round_}"),
        )  # fmt: skip

    def end_it():
        start.wait()
        return binding_end(binding=binding, ended_by=binding.beneficiary.person)

    def run(name, work):
        try:
            outcomes[name] = work()
        except ApplicationError as refused:
            outcomes[name] = refused.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in (("raise", raise_it), ("end", end_it))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_a_binding_ended_while_its_allowance_is_raised_keeps_no_allowance(transactional_db):
    for round_ in range(6):
        outcomes = _raise_while_the_beneficiary_ends(round_)

        binding = outcomes["binding"]
        assert isinstance(outcomes["end"], Binding), outcomes
        assert outcomes["raise"] == "binding_not_found" or outcomes["raise"].amount_fen == 40_000, outcomes
        assert Binding.objects.get(pk=binding.pk).status == BindingStatus.ENDED
        assert not Allowance.objects.filter(binding=binding, status=AllowanceStatus.ACTIVE).exists()
        assert Account.objects.get(pk=binding.authorizer.account_id).balance_fen == 100_000
        assert_money_invariants()


# --- a lost connection ----------------------------------------------------------------------------------

RELEASE_CALL = b"FROM medical_allowance_release("


def test_a_release_without_a_key_whose_answer_is_lost_is_answered_released(transactional_db):
    """The release page and a DELETE without Idempotency-Key send no key: the release is asked again
    after a lost answer under a key of the server's own, and finds what the first ask did."""
    family = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000))
    allowance_for(family, 30_000)
    person = family.authorizer.person

    with database_through_proxy() as proxy:
        proxy.drop_after_commit_of(RELEASE_CALL)
        released = allowance_release(
            authorizer=person, binding_id=family.pk, actor=Actor(user=user_for(person))
        )
        assert proxy.dropped.is_set()  # the server committed, and its answer never arrived

    assert released.status == AllowanceStatus.RELEASED
    assert Allowance.objects.get().status == AllowanceStatus.RELEASED
    assert Account.objects.get(pk=family.authorizer.account_id).balance_fen == 100_000
    assert_money_invariants()
