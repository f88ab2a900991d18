"""The insurees' reads that the counter and the daily reconciliation compose."""

from django.utils import timezone

from insurees.models import Enrollment
from insurees.selectors import enrollment_list_for_payments, enrollment_list_for_person, person_get
from tests.factories import ResidentFactory


def test_a_person_by_id(db):
    person = ResidentFactory().person

    assert person_get(person_id=person.pk) == person
    assert person_get(person_id=person.pk + 1_000) is None


def test_a_persons_enrollments_come_the_latest_year_first(db):
    resident, neighbour = ResidentFactory(), ResidentFactory()
    for insuree, year in ((resident, 2026), (resident, 2028), (neighbour, 2029), (resident, 2027)):
        Enrollment.objects.create(insuree=insuree, year=year)

    assert [e.year for e in enrollment_list_for_person(person=resident.person)] == [2028, 2027, 2026]


def test_the_enrollments_paid_by_given_payments(db):
    resident = ResidentFactory()
    paid = Enrollment.objects.create(
        insuree=resident, year=2027, paid=True, payment_id=41, paid_at=timezone.now()
    )
    Enrollment.objects.create(insuree=resident, year=2028)

    assert list(enrollment_list_for_payments(payment_ids=[41, 42])) == [paid]
    assert not enrollment_list_for_payments(payment_ids=[])
