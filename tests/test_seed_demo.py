"""The demo world is made through the rooms' own services, on the pledge a fresh install serves, and
running the command again changes nothing."""

from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command

from accounts.services import login_attempt
from insurees.models import Person
from mutual_aid.models import Binding, Pledge
from portal.management.commands.seed_demo import BINDINGS, DEMO_PASSWORD, PEOPLE

# Every person has his login; the staff are a counter clerk, a supervisor, an auditor and an admin.
SEEDED = {"pledges": 1, "persons": len(PEOPLE), "users": len(PEOPLE) + 4, "bindings": len(BINDINGS)}


def seed() -> None:
    call_command("seed_demo", stdout=StringIO())


def counts() -> dict[str, int]:
    return {
        "pledges": Pledge.objects.count(),
        "persons": Person.objects.count(),
        "users": User.objects.count(),
        "bindings": Binding.objects.count(),
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
