"""A settlement, its replay, refund and reversal read a handful of rows, however many settlements were
made before: every probe goes through an index. A probe whose partial index a generic plan cannot use (a
key compared without the index's `<> ''`) reads every row of its table on every call instead, a cost
that grows with every settlement ever made."""

from django.db import connection
from django.utils import timezone

from tests.factories import BindingFactory, EmployeeFactory, ResidentFactory
from tests.medical.settling import allowance_for, clinic_make, code_for

EARLIER = 2_000  # settlements (and refunds) made before: enough that a whole-table probe costs more
TABLES = ("medical_settlement", "medical_settlementrefund", "medical_voucher", "medical_allowancechange")


def rows_read() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, seq_tup_read + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables "
            "WHERE relname = ANY(%s)",
            [list(TABLES)],
        )
        return dict(cursor.fetchall())


def earlier_settlements(*, clinic, binding) -> None:
    """EARLIER settlements of a fen and a refund of each, by the functions themselves (in one statement:
    a fraction of the time through the services), then the planner told how big the tables are."""
    settings = {
        "gj.count": EARLIER,
        "gj.person": binding.beneficiary.person_id,
        "gj.user": clinic.user.pk,
        "gj.institution": clinic.institution.pk,
        "gj.today": timezone.localdate().isoformat(),
        "gj.now": timezone.now().isoformat(),
    }
    with connection.cursor() as cursor:
        for name, value in settings.items():  # a DO block takes no parameters: it reads these
            cursor.execute("SELECT set_config(%s, %s, true)", [name, str(value)])
        cursor.execute(
            """
            DO $$
            DECLARE
                v_code text;
                v_user integer := current_setting('gj.user')::integer;
                v_institution bigint := current_setting('gj.institution')::bigint;
                v_today date := current_setting('gj.today')::date;
                v_now timestamptz := current_setting('gj.now')::timestamptz;
            BEGIN
                FOR i IN 1..current_setting('gj.count')::integer LOOP
                    v_code := encode(sha256(('earlier-' || i)::bytea), 'hex');
                    PERFORM medical_voucher_issue(current_setting('gj.person')::bigint, v_code, v_now, 60);
                    PERFORM medical_settle(
                        v_user, 'earlier-s-' || i, '5s', v_institution, v_code, 'E' || i, 2, 'drugs', false,
                        v_today, v_now
                    );
                    PERFORM medical_settlement_refund(
                        v_user, 'earlier-r-' || i, '5s', v_institution, 'E' || i, 'ER' || i, 1, v_today, v_now
                    );
                END LOOP;
            END $$
            """
        )
        cursor.execute(f"ANALYZE {', '.join(TABLES)}")


def test_the_money_path_reads_a_few_rows_however_many_came_before(db):
    binding = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000), beneficiary=ResidentFactory())
    allowance_for(binding, 50_000)
    clinic = clinic_make("PLAN1", binding.beneficiary.region_code)
    earlier_settlements(clinic=clinic, binding=binding)
    with connection.cursor() as cursor:
        cursor.execute("DISCARD PLANS")  # the functions plan again, on the tables as they are now
    before = rows_read()

    first = clinic.settle(code_for(binding.beneficiary), 10_000, settlement_id="PLAN-1")
    code = code_for(binding.beneficiary)
    clinic.settle(code, 5_000, settlement_id="PLAN-2", key="plan-2")
    clinic.settle(code, 5_000, settlement_id="PLAN-2", key="plan-2")  # a replay
    clinic.refund(first.settlement_id, 1_000)
    clinic.reverse("PLAN-2")

    after = rows_read()
    read = {table: after.get(table, 0) - before.get(table, 0) for table in TABLES}
    assert all(count < 50 for count in read.values()), read
