from django.contrib import admin
from django.urls import include, path

from common.health import healthz, readyz

urlpatterns = [
    # For the load balancer and the supervisor (common/health.py): no language, no sign-in.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # The API before the rest: the resolver tries patterns in order, on every request.
    path("api/v1/", include("config.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("config.page_urls")),
]

# Error pages that render without the database (a restart, a dropped connection).
handler500 = "common.views.server_error"
# The portal's own pages in the reader's language (the API keeps its error shape).
handler400 = "common.views.bad_request"
handler403 = "common.views.permission_denied"
handler404 = "common.views.page_not_found"
