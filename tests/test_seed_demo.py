"""The demo world is made through the rooms' own services, on the pledge a fresh install serves, and
running the command again changes nothing."""

from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command

from accounts.services import login_attempt
from insurees.models import Person, PremiumKind, PremiumRate
from medical.models import Allowance, Institution, InstitutionTerminal
from mutual_aid.models import Binding, Pledge
from portal.management.commands.seed_demo import ALLOWANCES, BINDINGS, DEMO_PASSWORD, PEOPLE

# Every person has his login; the staff are a counter clerk, a supervisor, an auditor and an admin, and
# the pharmacy has its cashier.
SEEDED = {
    "pledges": 1,
    "persons": len(PEOPLE),
    "users": len(PEOPLE) + 5,
    "bindings": len(BINDINGS),
    "institutions": 2,
    "terminals": 1,
    "allowances": len(ALLOWANCES),
}


def seed() -> None:
    call_command("seed_demo", stdout=StringIO())


def counts() -> dict[str, int]:
    return {
        "pledges": Pledge.objects.count(),
        "persons": Person.objects.count(),
        "users": User.objects.count(),
        "bindings": Binding.objects.count(),
        "institutions": Institution.objects.count(),
        "terminals": InstitutionTerminal.objects.count(),
        "allowances": Allowance.objects.count(),
    }


def test_the_demo_signs_its_bindings_on_the_pledge_in_force_and_seeds_once(db):
    seed()

    assert counts() == SEEDED
    assert set(Binding.objects.values_list("pledge_version", flat=True)) == {1}
    person = Person.objects.select_related("user").first()
    assert login_attempt(identifier=person.id_number, password=DEMO_PASSWORD, ip=None) == person.user
    assert set(User.objects.get(username="supervisor").groups.values_list("name", flat=True)) == {
        "counter_staff",
        "counter_supervisor",
    }
    assert User.objects.get(username="admin").is_superuser

    seed()

    assert counts() == SEEDED


def test_the_demo_gives_suzhou_a_long_term_care_premium_beside_its_resident_one(db):
    seed()
    seed()

    suzhou = PremiumRate.objects.filter(region_code="320500")
    assert sorted(suzhou.values_list("kind", flat=True)) == sorted(
        [
            PremiumKind.RESIDENT_MEDICAL,
            PremiumKind.RESIDENT_MEDICAL,
            PremiumKind.LONG_TERM_CARE,
            PremiumKind.LONG_TERM_CARE,
        ]
    )
    assert (
        not PremiumRate.objects.filter(kind=PremiumKind.LONG_TERM_CARE).exclude(region_code="320500").exists()
    )


def test_the_demo_has_a_pharmacy_with_its_cashier_and_an_allowance_to_spend_there(db):
    seed()
    seed()

    assert sorted(Institution.objects.values_list("kind", "region_code")) == [
        ("hospital", "210200"),
        ("pharmacy", "210200"),
    ]
    cashier = login_attempt(identifier="pharmacy", password=DEMO_PASSWORD, ip=None)
    assert cashier.terminal.institution.kind == "pharmacy"
    assert set(cashier.groups.values_list("name", flat=True)) == {"institution"}
    allowance = Allowance.objects.select_related("authorizer__person", "beneficiary__person").get()
    assert (allowance.authorizer.person.name, allowance.beneficiary.person.name) == ("张伟", "张建国")
    assert (allowance.amount_fen, allowance.status) == (50_000, "active")
    assert allowance.beneficiary.region_code == cashier.terminal.institution.region_code
