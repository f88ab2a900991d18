from django import template

from staff.models import ReconciliationRun

register = template.Library()


@register.inclusion_tag("admin/reconciliation_banner.html")
def reconciliation_banner():
    """The latest daily reconciliation, shown in the admin while it reports a mismatch."""
    return {"run": ReconciliationRun.objects.order_by("-date", "-pk").first()}
