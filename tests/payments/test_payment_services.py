"""The payment rules of DESIGN.md and issue 3, one by one; every refusal moves nothing."""

import datetime
import logging

import pytest
from django.core import mail
from django.utils import timezone

from common.errors import ApplicationError
from insurees.models import Enrollment, Insuree, InsureeStatus
from ledger.models import Account, Entry, Transaction
from mutual_aid.models import Binding, BindingStatus
from notices.models import Notice
from notices.services import notices_deliver_pending
from payments.models import (
    IdempotencyKey,
    OutboxMessage,
    Payment,
    PaymentChannel,
    PaymentStatus,
)
from payments.services import payment_refund, payment_sync_enrollment
from payments.tasks import enrollment_sync_task
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    PremiumRateFactory,
    RegionPolicyFactory,
    ResidentFactory,
    UserFactory,
    fund_personal_account,
)
from tests.payments.paying import payment_create_for_relative, payment_create_self, payments_create_for_family


def balance(insuree) -> int:
    return Account.objects.get(pk=insuree.account_id).balance_fen


def fund_balance(region_code="210200") -> int:
    fund = Account.objects.filter(code=f"fund:resident_premium:{region_code}").first()
    return fund.balance_fen if fund else 0


def pay(binding, year, actor):
    return payment_create_for_relative(
        authorizer=binding.authorizer, beneficiary=binding.beneficiary, year=year, actor=actor
    )


# --- paying for a relative -------------------------------------------------------------------------


def test_the_authorizer_pays_a_relatives_premium(family, year, actor_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(family, year, actor_for())

    payment.refresh_from_db()
    assert (payment.status, payment.amount_fen, payment.channel, payment.relation) == (
        PaymentStatus.SETTLED,
        42_000,
        PaymentChannel.AUTHORIZER,
        family.relation,
    )
    assert (payment.authorizer, payment.beneficiary, payment.binding) == (
        family.authorizer,
        family.beneficiary,
        family,
    )
    assert payment.reference.startswith("GJ")
    assert payment.region_code == "210200"
    assert balance(family.authorizer) == 100_000 - 42_000
    assert fund_balance() == 42_000
    # One balanced ledger transaction: personal account -> the region's fund account.
    legs = sorted(
        Entry.objects.filter(transaction=payment.ledger_transaction).values_list("amount_fen", flat=True)
    )
    assert legs == [-42_000, 42_000]
    enrollment = Enrollment.objects.get(insuree=family.beneficiary, year=year)
    assert (enrollment.paid, enrollment.payment_id) == (True, payment.pk)
    assert payment.enrollment_synced
    assert OutboxMessage.objects.get(payment=payment).dispatched_at is not None
    notice = Notice.objects.get(link_id=payment.pk, kind="debit")
    assert (notice.person, notice.facts["balance_after_fen"]) == (family.authorizer.person, 58_000)


def test_a_counter_payment_records_the_operator_and_the_counter(family, year, actor_for):
    clerk = UserFactory()

    payment = payment_create_for_relative(
        authorizer=family.authorizer,
        beneficiary=family.beneficiary,
        year=year,
        actor=actor_for(user=clerk, operator=clerk, counter_id="DL-03"),
        channel=PaymentChannel.COUNTER,
    )

    assert (payment.channel, payment.operator, payment.counter_id) == ("counter", clerk, "DL-03")


def _end(binding):
    Binding.objects.filter(pk=binding.pk).update(status=BindingStatus.ENDED, ended_at=timezone.now())


def _set_status(insuree, status):
    # The roster changed under the binding (the binding service would end it; here it was not told).
    Insuree.objects.filter(pk=insuree.pk).update(status=status)


def _bound_with(beneficiary, balance_fen):
    return BindingFactory(
        authorizer=EmployeeFactory(balance_fen=balance_fen), beneficiary=beneficiary
    ).authorizer


def _move_rate(rate, start, end):
    rate.collection_start, rate.collection_end = start, end
    rate.save()


today = timezone.localdate


@pytest.mark.parametrize(
    ("arrange", "code"),
    [
        (lambda f, y, r: {"year": y + 1}, "no_premium_rate"),
        (lambda f, y, r: {"year": 1999}, "invalid_input"),
        (
            lambda f, y, r: _move_rate(
                r, today() + datetime.timedelta(days=1), today() + datetime.timedelta(days=90)
            ),
            "outside_collection_period",
        ),
        (
            lambda f, y, r: _move_rate(
                r, today() - datetime.timedelta(days=90), today() - datetime.timedelta(days=1)
            ),
            "outside_collection_period",
        ),
        (lambda f, y, r: {"beneficiary": ResidentFactory()}, "binding_not_found"),
        (lambda f, y, r: _end(f), "binding_not_found"),
        (
            lambda f, y, r: {"beneficiary": BindingFactory(authorizer=EmployeeFactory()).beneficiary},
            "binding_not_found",
        ),
        # Relatives are named by ID number: one with no resident registration is not insured there.
        (lambda f, y, r: {"beneficiary": EmployeeFactory()}, "not_insured"),
        (lambda f, y, r: _set_status(f.beneficiary, InsureeStatus.SUSPENDED), "not_active"),
        (lambda f, y, r: _set_status(f.beneficiary, InsureeStatus.TERMINATED), "not_active"),
        (lambda f, y, r: _set_status(f.authorizer, InsureeStatus.TERMINATED), "not_active"),
        (
            lambda f, y, r: {"authorizer": _bound_with(f.beneficiary, balance_fen=41_999)},
            "insufficient_balance",
        ),
    ],
    ids=[
        "no-rate",
        "absurd-year",
        "before-collection",
        "after-collection",
        "not-bound",
        "binding-ended",
        "bound-to-someone-else",
        "beneficiary-not-resident",
        "beneficiary-suspended",
        "beneficiary-terminated",
        "authorizer-terminated",
        "balance-short",
    ],
)
def test_payment_rules_refuse_with_their_code_and_move_nothing(
    family, year, rate, actor_for, snapshot, arrange, code
):
    changes = arrange(family, year, rate) or {}
    before = snapshot()

    with pytest.raises(ApplicationError) as raised:
        payment_create_for_relative(
            authorizer=changes.get("authorizer", family.authorizer),
            beneficiary=changes.get("beneficiary", family.beneficiary),
            year=changes.get("year", year),
            actor=actor_for(),
        )

    assert raised.value.code == code
    before.assert_unchanged()


def test_a_premium_is_paid_once_per_beneficiary_and_year(family, year, actor_for, snapshot):
    pay(family, year, actor_for())
    other_son = BindingFactory(beneficiary=family.beneficiary)
    before = snapshot()

    for binding in (family, other_son):
        with pytest.raises(ApplicationError) as raised:
            pay(binding, year, actor_for())
        assert raised.value.code == "already_paid"
    with pytest.raises(ApplicationError) as raised:
        payment_create_self(beneficiary=family.beneficiary, year=year, actor=actor_for())
    assert raised.value.code == "already_paid"
    before.assert_unchanged()


def test_the_amount_is_the_beneficiarys_regions_rate(year, actor_for):
    RegionPolicyFactory(region_code="320000", scope="province", exclusive_family=False)
    PremiumRateFactory(region_code="320500", year=year, amount_fen=38_000)
    binding = BindingFactory(
        authorizer=EmployeeFactory(region_code="320100"), beneficiary=ResidentFactory(region_code="320500")
    )

    payment = pay(binding, year, actor_for())

    assert (payment.amount_fen, payment.region_code) == (38_000, "320500")
    assert fund_balance("320500") == 38_000
    assert fund_balance("320100") == 0


# --- paying one's own premium ------------------------------------------------------------------------


def _bind(parent, balance_fen, **kwargs):
    return BindingFactory(authorizer=EmployeeFactory(balance_fen=balance_fen), beneficiary=parent, **kwargs)


def test_self_payment_debits_the_richest_bound_authorizer(rate, year, actor_for):
    parent = ResidentFactory()
    poor, rich, middle = _bind(parent, 50_000), _bind(parent, 90_000), _bind(parent, 70_000)

    payment = payment_create_self(beneficiary=parent, year=year, actor=actor_for())

    assert (payment.authorizer, payment.binding, payment.channel) == (
        rich.authorizer,
        rich,
        PaymentChannel.SELF,
    )
    assert (balance(poor.authorizer), balance(rich.authorizer), balance(middle.authorizer)) == (
        50_000,
        48_000,
        70_000,
    )
    assert Notice.objects.get(link_id=payment.pk, kind="debit").person == rich.authorizer.person


def test_self_payment_ties_go_to_the_oldest_binding(rate, year, actor_for):
    parent = ResidentFactory()
    newer = _bind(parent, 60_000)
    older = _bind(parent, 60_000)  # a higher primary key, but bound a day earlier
    Binding.objects.filter(pk=older.pk).update(created_at=newer.created_at - datetime.timedelta(days=1))

    payment = payment_create_self(beneficiary=parent, year=year, actor=actor_for())

    assert payment.authorizer == older.authorizer


@pytest.mark.parametrize(
    "passed_over",
    [
        {"self_pay_paused": True},
        {"status": BindingStatus.ENDED, "ended_at": timezone.now()},
        {"authorizer": lambda: EmployeeFactory(balance_fen=900_000, status=InsureeStatus.SUSPENDED)},
    ],
    ids=["paused", "ended", "authorizer-suspended"],
)
def test_self_payment_passes_over_bindings_it_may_not_use(rate, year, actor_for, passed_over):
    parent = ResidentFactory()
    usable = _bind(parent, 50_000)
    extra = {k: v() if callable(v) else v for k, v in passed_over.items()}
    extra.setdefault("authorizer", EmployeeFactory(balance_fen=900_000))
    BindingFactory(beneficiary=parent, **extra)

    payment = payment_create_self(beneficiary=parent, year=year, actor=actor_for())

    assert payment.authorizer == usable.authorizer


def test_a_paused_binding_still_lets_the_authorizer_pay_himself(rate, year, actor_for):
    binding = _bind(ResidentFactory(), 90_000, self_pay_paused=True)

    assert pay(binding, year, actor_for()).authorizer == binding.authorizer


@pytest.mark.parametrize(
    ("balances", "paused", "code"),
    [
        ([40_000, 30_000], False, "insufficient_balance"),
        ([41_999], False, "insufficient_balance"),
        ([], False, "binding_not_found"),
        ([900_000], True, "binding_not_found"),
    ],
    ids=["richest-short", "one-fen-short", "no-binding", "only-paused"],
)
def test_self_payment_refusals_move_nothing(rate, year, actor_for, snapshot, balances, paused, code):
    parent = ResidentFactory()
    for balance_fen in balances:
        _bind(parent, balance_fen, self_pay_paused=paused)
    before = snapshot()

    with pytest.raises(ApplicationError) as raised:
        payment_create_self(beneficiary=parent, year=year, actor=actor_for())

    assert raised.value.code == code
    if code == "insufficient_balance":
        assert "420.00" in str(raised.value.message)
    before.assert_unchanged()


def test_one_account_pays_the_whole_premium_never_split(rate, year, actor_for, snapshot):
    parent = ResidentFactory()
    _bind(parent, 21_000)
    _bind(parent, 21_000)  # together they hold the premium; neither alone does
    before = snapshot()

    with pytest.raises(ApplicationError) as raised:
        payment_create_self(beneficiary=parent, year=year, actor=actor_for())

    assert raised.value.code == "insufficient_balance"
    before.assert_unchanged()


# --- the whole family at once ----------------------------------------------------------------------


def test_paying_for_the_family_pays_everyone_in_one_go(rate, year, actor_for):
    authorizer = EmployeeFactory(balance_fen=100_000)
    relatives = [BindingFactory(authorizer=authorizer).beneficiary for _ in range(2)]

    payments = payments_create_for_family(
        authorizer=authorizer, beneficiaries=relatives, year=year, actor=actor_for()
    )

    assert [p.beneficiary for p in payments] == relatives
    assert balance(authorizer) == 100_000 - 2 * 42_000
    debits = Notice.objects.filter(kind="debit").order_by("pk")
    assert [n.facts["balance_after_fen"] for n in debits] == [58_000, 16_000]
    assert OutboxMessage.objects.count() == 2


@pytest.mark.parametrize(
    ("arrange", "code"),
    [
        (lambda a, rel, pay_one: None, "insufficient_balance"),  # 800 yuan for two premiums of 420
        (lambda a, rel, pay_one: pay_one(rel[1]), "already_paid"),
        (lambda a, rel, pay_one: _end(Binding.objects.get(beneficiary=rel[1])), "binding_not_found"),
        (lambda a, rel, pay_one: _set_status(rel[0], InsureeStatus.SUSPENDED), "not_active"),
        (lambda a, rel, pay_one: [rel[0], rel[0]], "invalid_input"),
        (lambda a, rel, pay_one: [], "invalid_input"),
    ],
    ids=["total-short", "one-already-paid", "one-not-bound", "one-inactive", "twice-the-same", "nobody"],
)
def test_paying_for_the_family_is_all_or_nothing(rate, year, actor_for, snapshot, arrange, code):
    authorizer = EmployeeFactory(balance_fen=80_000 if code == "insufficient_balance" else 200_000)
    relatives = [BindingFactory(authorizer=authorizer).beneficiary for _ in range(2)]
    chosen = arrange(
        authorizer,
        relatives,
        lambda relative: (
            payment_create_for_relative(
                authorizer=authorizer, beneficiary=relative, year=year, actor=actor_for()
            )
            and None
        ),
    )
    before = snapshot()

    with pytest.raises(ApplicationError) as raised:
        payments_create_for_family(
            authorizer=authorizer,
            beneficiaries=relatives if chosen is None else chosen,
            year=year,
            actor=actor_for(),
        )

    assert raised.value.code == code
    before.assert_unchanged()


def test_a_family_across_two_cities_pays_each_citys_fund(year, actor_for):
    RegionPolicyFactory(region_code="320000", scope="province", exclusive_family=False)
    PremiumRateFactory(region_code="320100", year=year, amount_fen=40_000)
    PremiumRateFactory(region_code="320500", year=year, amount_fen=38_000)
    authorizer = EmployeeFactory(region_code="320100", balance_fen=100_000)
    relatives = [
        BindingFactory(authorizer=authorizer, beneficiary=ResidentFactory(region_code=region)).beneficiary
        for region in ("320500", "320100")
    ]

    payments_create_for_family(authorizer=authorizer, beneficiaries=relatives, year=year, actor=actor_for())

    assert (fund_balance("320500"), fund_balance("320100"), balance(authorizer)) == (38_000, 40_000, 22_000)


# --- idempotency ------------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_payment_and_moves_no_money(
    family, year, actor_for, snapshot
):
    actor = actor_for(key="same")
    first = pay(family, year, actor)
    after_first = snapshot()

    again = pay(family, year, actor)

    assert (again.pk, again.reference) == (first.pk, first.reference)
    after_first.assert_unchanged()  # no second debit, payment, outbox row, notice or key
    assert balance(family.authorizer) == 58_000


def test_a_self_payment_retry_returns_the_first_payment(family, year, actor_for):
    actor = actor_for(key="self-once")
    first = payment_create_self(beneficiary=family.beneficiary, year=year, actor=actor)

    assert payment_create_self(beneficiary=family.beneficiary, year=year, actor=actor).pk == first.pk
    assert balance(family.authorizer) == 58_000


def test_a_family_retry_returns_every_payment_of_the_first(rate, year, actor_for):
    authorizer = EmployeeFactory(balance_fen=200_000)
    relatives = [BindingFactory(authorizer=authorizer).beneficiary for _ in range(2)]
    actor = actor_for(key="family-once")
    first = payments_create_for_family(authorizer=authorizer, beneficiaries=relatives, year=year, actor=actor)

    again = payments_create_for_family(
        authorizer=authorizer, beneficiaries=list(reversed(relatives)), year=year, actor=actor
    )

    assert [p.pk for p in again] == [p.pk for p in first]
    assert balance(authorizer) == 200_000 - 2 * 42_000


@pytest.mark.parametrize(
    "other_request",
    [
        lambda f, y: {"beneficiary": BindingFactory(authorizer=f.authorizer).beneficiary},
        lambda f, y: {"year": y + 1},
        lambda f, y: {"self": True},
    ],
    ids=["other-relative", "other-year", "self-payment"],
)
def test_the_same_key_for_another_request_is_a_conflict(family, year, actor_for, snapshot, other_request):
    user = UserFactory()
    pay(family, year, actor_for(user=user, key="same"))
    other = other_request(family, year)
    PremiumRateFactory(year=year + 1)
    before = snapshot()

    actor = actor_for(user=user, key="same")
    if other.get("self"):
        retry = lambda: payment_create_self(beneficiary=family.beneficiary, year=year, actor=actor)  # noqa: E731
    else:
        retry = lambda: payment_create_for_relative(  # noqa: E731
            authorizer=family.authorizer,
            beneficiary=other.get("beneficiary", family.beneficiary),
            year=other.get("year", year),
            actor=actor,
        )

    with pytest.raises(ApplicationError) as raised:
        retry()

    assert raised.value.code == "idempotency_conflict"
    before.assert_unchanged()


def test_keys_are_scoped_to_the_caller(family, year, actor_for):
    pay(family, year, actor_for(key="k"))
    other = BindingFactory()

    payment = pay(other, year, actor_for(key="k"))

    assert Payment.objects.count() == 2
    assert payment.beneficiary == other.beneficiary


def test_a_refused_request_leaves_its_key_free_for_the_retry(rate, year, actor_for):
    binding = BindingFactory(authorizer=EmployeeFactory(balance_fen=40_000))
    actor = actor_for(key="after-top-up")
    with pytest.raises(ApplicationError):
        pay(binding, year, actor)
    assert not IdempotencyKey.objects.exists()

    fund_personal_account(binding.authorizer.account, 2_000)
    payment = pay(binding, year, actor)

    assert payment.status == PaymentStatus.SETTLED
    assert balance(binding.authorizer) == 0


# --- the debit notice --------------------------------------------------------------------------------


def _with_email(binding, email="zhang@example.cn"):
    person = binding.authorizer.person
    person.email = email
    person.save()
    return binding


def test_a_debit_notice_is_emailed_by_the_relay_after_the_commit(
    rate, year, actor_for, django_capture_on_commit_callbacks
):
    binding = _with_email(
        BindingFactory(
            beneficiary=ResidentFactory(person=PersonFactory(name="王秀英")), authorizer=EmployeeFactory()
        )
    )

    with django_capture_on_commit_callbacks(execute=True):
        pay(binding, year, actor_for())
    assert mail.outbox == []  # the commit sends nothing itself

    notices_deliver_pending()
    [message] = mail.outbox
    assert message.to == ["zhang@example.cn"]
    assert "王秀英" in message.body  # his own relative, named in full
    assert "420.00" in message.body  # the amount
    assert "580.00" in message.body  # the balance left
    assert Notice.objects.get(person=binding.authorizer.person).kind == "debit"


def test_no_email_without_an_address_but_the_notice_is_in_the_app(
    family, year, actor_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pay(family, year, actor_for())
    notices_deliver_pending()

    assert mail.outbox == []
    assert Notice.objects.filter(person=family.authorizer.person, kind="debit").count() == 1


def test_a_payment_rolled_back_late_sends_no_email(
    family, year, actor_for, snapshot, django_capture_on_commit_callbacks
):
    _with_email(family)

    def audit_fails(payments):
        raise ApplicationError("invalid_input", "the audit trail could not be written")

    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError):
        pay(family, year, actor_for(record=audit_fails))
    notices_deliver_pending()

    assert mail.outbox == []
    before.assert_unchanged()


def test_a_failing_mail_server_is_logged_and_the_payment_stands(
    family, year, actor_for, settings, caplog, django_capture_on_commit_callbacks
):
    _with_email(family)
    # A real SMTP client against a port where nothing listens.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2

    with caplog.at_level(logging.ERROR, logger="notices.services"):
        with django_capture_on_commit_callbacks(execute=True):
            payment = pay(family, year, actor_for())
        notices_deliver_pending()

    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SETTLED
    assert balance(family.authorizer) == 58_000
    assert any("EmailSender failed" in record.getMessage() for record in caplog.records)


# --- refunds ----------------------------------------------------------------------------------------


def test_a_refund_before_the_coverage_year_reverses_everything_and_keeps_both_records(
    family, year, actor_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(family, year, actor_for())
    assert Enrollment.objects.get(insuree=family.beneficiary, year=year).paid
    supervisor = UserFactory()

    refunded = payment_refund(
        payment=payment, reason="paid_twice", note="paid at the bank", operator=supervisor
    )

    assert (refunded.status, refunded.refund_reason, refunded.refund_note, refunded.refunded_by) == (
        PaymentStatus.REFUNDED,
        "paid_twice",
        "paid at the bank",
        supervisor,
    )
    assert refunded.refunded_at is not None
    assert (balance(family.authorizer), fund_balance()) == (100_000, 0)
    # The original transaction stays; its mirror image undoes it.
    original = Transaction.objects.get(pk=payment.ledger_transaction_id)
    reversal = Transaction.objects.get(pk=refunded.refund_transaction_id)
    assert reversal.reverses == original
    mirrored = {(e.account_id, -e.amount_fen) for e in original.entries.all()}
    assert {(e.account_id, e.amount_fen) for e in reversal.entries.all()} == mirrored
    enrollment = Enrollment.objects.get(insuree=family.beneficiary, year=year)
    assert (enrollment.paid, enrollment.payment_id) == (False, None)
    assert Payment.objects.filter(pk=payment.pk).exists()
    notice = Notice.objects.get(link_id=payment.pk, kind="refund")
    assert notice.facts["balance_after_fen"] == 100_000


def test_a_refund_after_the_coverage_year_started_is_refused(db, actor_for, snapshot):
    this_year = timezone.localdate().year  # its 1 January has passed
    PremiumRateFactory(year=this_year)
    binding = BindingFactory()
    payment = pay(binding, this_year, actor_for())
    before = snapshot()

    with pytest.raises(ApplicationError) as raised:
        payment_refund(payment=payment, reason="deceased", note="", operator=UserFactory())

    assert raised.value.code == "refund_not_allowed"
    before.assert_unchanged()


@pytest.mark.parametrize(("day", "allowed"), [((12, 31), True), ((1, 1), False)])
def test_the_refund_window_closes_as_the_coverage_year_starts(
    family, year, actor_for, monkeypatch, day, allowed
):
    payment = pay(family, year, actor_for())
    month, day_of_month = day
    today = datetime.date(year - 1 if month == 12 else year, month, day_of_month)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)

    if allowed:
        assert payment_refund(payment=payment, reason="deceased", note="", operator=UserFactory()).status == (
            "refunded"
        )
    else:
        with pytest.raises(ApplicationError) as raised:
            payment_refund(payment=payment, reason="deceased", note="", operator=UserFactory())
        assert raised.value.code == "refund_not_allowed"


def test_a_refund_twice_is_refused(family, year, actor_for, snapshot):
    payment = pay(family, year, actor_for())
    payment_refund(payment=payment, reason="paid_twice", note="", operator=UserFactory())
    before = snapshot()

    with pytest.raises(ApplicationError) as raised:
        payment_refund(payment=payment, reason="paid_twice", note="", operator=UserFactory())

    assert raised.value.code == "refund_not_allowed"
    before.assert_unchanged()


def test_a_refund_needs_a_recorded_reason(family, year, actor_for, snapshot):
    payment = pay(family, year, actor_for())
    before = snapshot()

    with pytest.raises(ApplicationError) as raised:
        payment_refund(payment=payment, reason="changed_mind", note="", operator=UserFactory())

    assert raised.value.code == "invalid_input"
    before.assert_unchanged()


def test_a_refunded_premium_can_be_paid_again(family, year, actor_for):
    payment = pay(family, year, actor_for())
    payment_refund(payment=payment, reason="joined_employee", note="", operator=UserFactory())

    again = pay(family, year, actor_for())

    assert again.status == PaymentStatus.SETTLED
    assert Payment.objects.filter(beneficiary=family.beneficiary, year=year).count() == 2
    assert balance(family.authorizer) == 58_000


# --- the sync to the enrollment ------------------------------------------------------------------------


def test_each_payment_writes_one_outbox_row_in_its_own_transaction(family, year, actor_for):
    payment = pay(family, year, actor_for())  # on-commit hooks do not run: the relay has not published

    row = OutboxMessage.objects.get()
    assert (row.payment, row.topic, row.dispatched_at) == (payment, "enrollment_sync", None)
    assert not Enrollment.objects.filter(paid=True).exists()


def test_the_sync_task_is_idempotent(family, year, actor_for):
    payment = pay(family, year, actor_for())

    results = [enrollment_sync_task.apply(args=[payment.pk]).get() for _ in range(3)]

    assert results == [True, False, False]
    enrollment = Enrollment.objects.get(insuree=family.beneficiary, year=year)
    assert (enrollment.paid, enrollment.payment_id) == (True, payment.pk)
    first_sync = Payment.objects.get(pk=payment.pk).enrollment_synced_at
    payment_sync_enrollment(payment_id=payment.pk)
    assert Payment.objects.get(pk=payment.pk).enrollment_synced_at == first_sync


def test_a_sync_delivered_after_the_refund_never_marks_the_enrollment_paid(family, year, actor_for):
    payment = pay(family, year, actor_for())
    payment_refund(payment=payment, reason="deceased", note="", operator=UserFactory())

    assert enrollment_sync_task.apply(args=[payment.pk]).get() is False

    assert not Enrollment.objects.get(insuree=family.beneficiary, year=year).paid
    assert Payment.objects.get(pk=payment.pk).enrollment_synced


def test_a_late_sync_of_a_refunded_payment_leaves_the_new_payment_in_place(family, year, actor_for):
    refunded = pay(family, year, actor_for())
    payment_sync_enrollment(payment_id=refunded.pk)
    payment_refund(payment=refunded, reason="paid_twice", note="", operator=UserFactory())
    current = pay(family, year, actor_for())
    payment_sync_enrollment(payment_id=current.pk)

    payment_sync_enrollment(payment_id=refunded.pk)  # redelivered

    enrollment = Enrollment.objects.get(insuree=family.beneficiary, year=year)
    assert (enrollment.paid, enrollment.payment_id) == (True, current.pk)


def test_a_sync_for_an_unknown_payment_does_nothing(db):
    assert payment_sync_enrollment(payment_id=987_654) is False
    assert not Enrollment.objects.exists()
