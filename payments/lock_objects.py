from django.db.models import QuerySet

from insurees.models import Enrollment


def enrollments_for_update(*, insuree_ids: list[int], year: int) -> QuerySet[Enrollment]:
    """First lock of every payment: the beneficiaries' enrollments for the year, by primary key."""
    return (
        Enrollment.objects.filter(insuree_id__in=insuree_ids, year=year)
        .order_by("pk")
        .select_for_update(of=("self",))
    )
