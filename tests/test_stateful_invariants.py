"""Random work against the money rules: after every step, every invariant of DESIGN.md still holds."""

import csv
import datetime
import io

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from common.errors import ApplicationError
from insurees.models import Enrollment, Insuree, InsureeStatus, PremiumKind
from insurees.roster import INSUREE_COLUMNS, roster_file_import
from insurees.services import insuree_change
from medical.models import COVERED_CATEGORIES, Allowance, AllowanceStatus, Settlement, SettlementStatus
from medical.services import Actor as AllowanceActor
from medical.services import (
    Terminal,
    allowance_release,
    allowance_set,
    institution_terminal_create,
    institutions_file_import,
    settlement_create,
    settlement_refund,
    settlement_reverse,
    voucher_issue,
)
from mutual_aid.models import Binding, BindingStatus, Channel, Relation
from mutual_aid.services import binding_create, binding_end
from payments.models import Payment, PaymentStatus
from payments.services import Actor, payment_refund, payment_sync_enrollment
from tests.factories import (
    EmployeeFactory,
    LongTermCareRateFactory,
    PersonFactory,
    PledgeFactory,
    PremiumRateFactory,
    ResidentFactory,
    UserFactory,
)
from tests.payments.invariants import assert_money_invariants
from tests.payments.paying import payment_create_for_relative, payment_create_self

REGIONS = ["210200", "210300"]


class MoneyMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example runs in its own transaction, rolled back at teardown, as TestCase does per test
        # (marked like TestCase's so the durable payment services may run inside it).
        self._example = transaction.atomic()
        self._example._from_testcase = True
        self._example.__enter__()
        year = timezone.localdate().year + 1
        self.year = year
        for region in REGIONS:
            PremiumRateFactory(region_code=region, year=year, amount_fen=42_000)
        # The long-term-care premium in the first region only: a move out of it leaves none to pay.
        LongTermCareRateFactory(region_code=REGIONS[0], year=year, amount_fen=12_000)
        self.pledge = PledgeFactory()
        self.user = UserFactory()
        # Births and sexes fixed, not drawn from the factories' sequences (which run on across
        # examples): whether a relation may bind depends on them, and a replayed example must meet
        # the same people.
        self.employees = [
            EmployeeFactory(balance_fen=b, region_code="210200", person=PersonFactory(birth=born, sex=sex))
            for b, born, sex in [
                (30_000, datetime.date(1978, 3, 1), "M"),
                (50_000, datetime.date(1982, 7, 9), "F"),
                (90_000, datetime.date(1975, 11, 20), "M"),
            ]
        ]
        self.residents = [
            ResidentFactory(region_code="210200", person=PersonFactory(birth=born, sex=sex))
            for born, sex in [
                (datetime.date(1950, 5, 2), "F"),
                (datetime.date(1948, 1, 15), "M"),
                (datetime.date(1953, 9, 30), "F"),
                (datetime.date(2008, 4, 12), "M"),
            ]
        ]
        self.keys = 0
        # A family to start from, so that payments happen from the first steps.
        for e, r in [(1, 0), (2, 0), (2, 1), (0, 2)]:
            self.bind(e, r, Relation.PARENT)
        # Designated institutions: a hospital in each region and a pharmacy off the register, each with
        # one terminal (fixed codes and names, as the people are).
        institutions_file_import(
            file=io.StringIO(
                "code,name,kind,region_code,status\n"
                f"H1,一院,hospital,{REGIONS[0]},active\n"
                f"H2,二院,hospital,{REGIONS[1]},active\n"
                f"P1,药房,pharmacy,{REGIONS[0]},inactive\n"
            )
        )
        self.terminals = [
            institution_terminal_create(
                institution_code=code, username=f"till-{code}", password="till-pass-2026"
            )
            for code in ("H1", "H2", "P1")
        ]
        # Allowances to start from (two for the first relative: the larger pays), so that settlements
        # happen from the first steps too.
        starting = zip(
            Binding.objects.filter(status=BindingStatus.ACTIVE).order_by("pk"),
            [20_000, 40_000, 0, 15_000],
            strict=True,
        )
        for binding, amount_fen in starting:
            if amount_fen:
                allowance_set(
                    authorizer=binding.authorizer.person,
                    binding_id=binding.pk,
                    amount_fen=amount_fen,
                    actor=AllowanceActor(user=self.user, idempotency_key=f"start-{binding.pk}"),
                )

    def _actor(self, key=None):
        self.keys += 1
        return Actor(user=self.user, idempotency_key=key or f"k{self.keys}")

    @rule(e=st.integers(0, 2), r=st.integers(0, 3), relation=st.sampled_from(Relation.values + ["cousin"]))
    def bind(self, e, r, relation):
        try:
            binding_create(
                authorizer=Insuree.objects.get(pk=self.employees[e].pk),
                beneficiary=Insuree.objects.get(pk=self.residents[r].pk),
                relation=relation,
                pledge=self.pledge,
                channel=Channel.ONLINE,
                signer=self.employees[e].person,
            )
        except ApplicationError:
            pass

    @precondition(lambda self: Binding.objects.filter(status=BindingStatus.ACTIVE).exists())
    @rule(data=st.data(), by_beneficiary=st.booleans())
    def unbind(self, data, by_beneficiary):
        binding = data.draw(
            st.sampled_from(list(Binding.objects.filter(status=BindingStatus.ACTIVE).order_by("pk")))
        )
        side = binding.beneficiary if by_beneficiary else binding.authorizer
        binding_end(binding=binding, ended_by=side.person)

    @precondition(lambda self: Binding.objects.filter(status=BindingStatus.ACTIVE).exists())
    @rule(data=st.data(), amount_fen=st.integers(-100, 120_000), retry=st.booleans())
    def set_allowance(self, data, amount_fen, retry):
        """Set, raise or lower an allowance (sometimes past the available balance), maybe retried."""
        binding = data.draw(
            st.sampled_from(list(Binding.objects.filter(status=BindingStatus.ACTIVE).order_by("pk")))
        )
        self.keys += 1
        actor = AllowanceActor(user=self.user, idempotency_key=f"a{self.keys}")
        for _ in range(2 if retry else 1):
            try:
                allowance_set(
                    authorizer=binding.authorizer.person,
                    binding_id=binding.pk,
                    amount_fen=amount_fen,
                    actor=actor,
                )
            except ApplicationError:
                pass

    @precondition(lambda self: Allowance.objects.filter(status=AllowanceStatus.ACTIVE).exists())
    @rule(data=st.data())
    def release_allowance(self, data):
        allowance = data.draw(
            st.sampled_from(list(Allowance.objects.filter(status=AllowanceStatus.ACTIVE).order_by("pk")))
        )
        allowance_release(
            authorizer=allowance.authorizer.person,
            binding_id=allowance.binding_id,
            actor=AllowanceActor(user=self.user),
        )

    @rule(
        e=st.integers(0, 2),
        r=st.integers(0, 3),
        retry=st.booleans(),
        kind=st.sampled_from(PremiumKind.values),
    )
    def pay_for_relative(self, e, r, retry, kind):
        actor = self._actor()
        for _ in range(2 if retry else 1):
            try:
                payment_create_for_relative(
                    authorizer=Insuree.objects.get(pk=self.employees[e].pk),
                    beneficiary=Insuree.objects.get(pk=self.residents[r].pk),
                    year=self.year,
                    actor=actor,
                    kind=kind,
                )
            except ApplicationError:
                pass

    @rule(r=st.integers(0, 3), kind=st.sampled_from(PremiumKind.values))
    def self_pay(self, r, kind):
        try:
            payment_create_self(
                beneficiary=Insuree.objects.get(pk=self.residents[r].pk),
                year=self.year,
                actor=self._actor(),
                kind=kind,
            )
        except ApplicationError:
            pass

    @precondition(lambda self: Payment.objects.filter(status=PaymentStatus.SETTLED).exists())
    @rule(data=st.data(), reason=st.sampled_from(["paid_twice", "deceased", "joined_employee"]))
    def refund(self, data, reason):
        payment = data.draw(
            st.sampled_from(list(Payment.objects.filter(status=PaymentStatus.SETTLED).order_by("pk")))
        )
        payment_refund(payment=payment, reason=reason, note="", operator=self.user)

    @precondition(lambda self: Payment.objects.exists())
    @rule(data=st.data())
    def sync(self, data):
        payment = data.draw(st.sampled_from(list(Payment.objects.order_by("pk"))))
        payment_sync_enrollment(payment_id=payment.pk)

    @rule(
        who=st.sampled_from(["employee", "resident"]),
        i=st.integers(0, 2),
        status=st.sampled_from(InsureeStatus.values),
        region=st.sampled_from(REGIONS),
    )
    def change_status_or_region(self, who, i, status, region):
        insuree = self.employees[i] if who == "employee" else self.residents[i]
        insuree_change(insuree=insuree, status=status, region_code=region)

    @rule(
        who=st.sampled_from(["employee", "resident"]),
        i=st.integers(0, 2),
        status=st.sampled_from(InsureeStatus.values),
        region=st.sampled_from(REGIONS),
        balance_fen=st.one_of(st.none(), st.integers(0, 200_000)),
    )
    def import_roster_row(self, who, i, status, region, balance_fen):
        """The roster says what an insuree is now: status, region and (employees) balance."""
        insuree = self.employees[i] if who == "employee" else self.residents[i]
        person = insuree.person
        balance = (
            ""
            if balance_fen is None or who == "resident"
            else f"{balance_fen // 100}.{balance_fen % 100:02d}"
        )
        file = io.StringIO()
        writer = csv.writer(file)
        writer.writerow(INSUREE_COLUMNS)
        writer.writerow(
            [person.id_number, person.name, insuree.scheme, region, status, balance, person.phone]
        )
        file.seek(0)
        report = roster_file_import(file=file)
        assert report.rows == 1
        # The one refusal a valid row may meet: taking back more than the account still holds.
        assert all(bad.reason.startswith("balance:") for bad in report.bad)

    def _terminal(self, i, key=None):
        terminal = self.terminals[i]
        self.keys += 1
        return Terminal(
            user=terminal.user, institution=terminal.institution, idempotency_key=key or f"t{self.keys}"
        )

    @precondition(lambda self: Allowance.objects.filter(status=AllowanceStatus.ACTIVE).exists())
    @rule(
        data=st.data(),
        t=st.sampled_from([0, 0, 0, 1, 2]),  # mostly the hospital of the relatives' own city
        # Mostly bills an allowance may pay, some larger than any, some not above zero.
        amount_fen=st.one_of(
            st.integers(1, 20_000), st.integers(1, 20_000), st.integers(20_001, 60_000), st.integers(-100, 0)
        ),
        category=st.sampled_from([*COVERED_CATEGORIES, "wellness"]),
        allow_partial=st.booleans(),
        retry=st.booleans(),
    )
    def settle_bill(self, data, t, amount_fen, category, allow_partial, retry):
        """A code of a relative with an allowance and a bill at an institution (maybe out of scope, off
        the register, too big, not covered), maybe asked again under the same settlement id and key."""
        allowance = data.draw(
            st.sampled_from(list(Allowance.objects.filter(status=AllowanceStatus.ACTIVE).order_by("pk")))
        )
        try:
            code = voucher_issue(person=allowance.beneficiary.person).code
        except ApplicationError:
            return  # nothing left of any of his allowances
        terminal = self._terminal(t)
        settlement_id = f"S{self.keys}"
        answers = set()
        for _ in range(2 if retry else 1):
            try:
                answers.add(
                    settlement_create(
                        terminal=terminal,
                        voucher_code=code,
                        settlement_id=settlement_id,
                        amount_fen=amount_fen,
                        category=category,
                        allow_partial=allow_partial,
                    ).pk
                )
            except ApplicationError as refused:
                answers.add(refused.code)
        assert len(answers) == 1, answers  # a retry answers as the first did

    @precondition(lambda self: Settlement.objects.filter(status=SettlementStatus.SETTLED).exists())
    @rule(data=st.data(), retry=st.booleans())
    def reverse_settlement(self, data, retry):
        settlement = data.draw(
            st.sampled_from(list(Settlement.objects.filter(status=SettlementStatus.SETTLED).order_by("pk")))
        )
        terminal = self._terminal([t.institution_id for t in self.terminals].index(settlement.institution_id))
        refusals = set()
        for _ in range(2 if retry else 1):
            try:
                settlement_reverse(terminal=terminal, settlement_id=settlement.settlement_id)
            except ApplicationError as refused:
                refusals.add(refused.code)
        assert refusals <= {"reversal_not_allowed"}  # refunded already; a retry under its key replays

    @precondition(lambda self: Settlement.objects.exists())
    @rule(data=st.data(), amount_fen=st.integers(1, 30_000), retry=st.booleans())
    def refund_settlement(self, data, amount_fen, retry):
        """Part of a settlement given back (maybe more than is left, maybe of a reversed one)."""
        settlement = data.draw(st.sampled_from(list(Settlement.objects.order_by("pk"))))
        terminal = self._terminal([t.institution_id for t in self.terminals].index(settlement.institution_id))
        refund_id = f"R{self.keys}"
        answers = set()
        for _ in range(2 if retry else 1):
            try:
                answers.add(
                    settlement_refund(
                        terminal=terminal,
                        settlement_id=settlement.settlement_id,
                        refund_id=refund_id,
                        amount_fen=amount_fen,
                    ).pk
                )
            except ApplicationError as refused:
                answers.add(refused.code)
        assert len(answers) == 1, answers  # a retry answers as the first did
        assert answers <= {"refund_exceeds_settlement"} or all(isinstance(a, int) for a in answers)

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    @invariant()
    def money_is_never_lost_doubled_or_negative(self):
        assert_money_invariants()

    @invariant()
    def each_settled_payment_has_one_ledger_transaction_and_at_most_one_paid_enrollment(self):
        for payment in Payment.objects.all():
            assert payment.ledger_transaction_id is not None
            paid = Enrollment.objects.filter(payment_id=payment.pk, paid=True).count()
            synced_and_settled = payment.enrollment_synced and payment.status == PaymentStatus.SETTLED
            assert paid == (1 if synced_and_settled else 0)

    @invariant()
    def each_active_allowance_is_on_an_active_binding_and_its_changes_add_up(self):
        for allowance in Allowance.objects.prefetch_related("changes"):
            changes = sorted(allowance.changes.all(), key=lambda change: change.pk)
            assert changes[0].amount_before_fen == 0
            pairs = zip(changes, changes[1:], strict=False)
            assert all(a.amount_after_fen == b.amount_before_fen for a, b in pairs)
            if allowance.status == AllowanceStatus.ACTIVE:
                assert allowance.binding.status == BindingStatus.ACTIVE
                assert changes[-1].amount_after_fen == allowance.amount_fen

    @invariant()
    def no_binding_of_an_inactive_or_moved_insuree_is_active(self):
        for binding in Binding.objects.filter(status=BindingStatus.ACTIVE).select_related(
            "authorizer", "beneficiary"
        ):
            assert binding.authorizer.status == InsureeStatus.ACTIVE
            assert binding.beneficiary.status == InsureeStatus.ACTIVE
            assert binding.authorizer.region_code == binding.beneficiary.region_code


def test_random_work_keeps_every_invariant(db):
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            max_examples=40, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
