from django.db.models import QuerySet

from insurees.models import Insuree


def insurees_for_update(insuree_ids: list[int]) -> QuerySet[Insuree]:
    """Both sides of a binding, locked in primary-key order so opposite requests cannot deadlock."""
    return Insuree.objects.filter(pk__in=insuree_ids).order_by("pk").select_for_update(of=("self",))
