from django.db.models import QuerySet

from insurees.models import Enrollment


def enrollments_for_update(enrollment_ids: list[int]) -> QuerySet[Enrollment]:
    """First lock of every payment: the beneficiaries' enrollments for the year, by primary key."""
    return Enrollment.objects.filter(pk__in=enrollment_ids).order_by("pk").select_for_update(of=("self",))
