from django.urls import path

from staff.apis import (
    ExpenditureReviewApi,
    ExpenditureReviewCsvApi,
    ReconciliationApi,
    StaffAllowanceApi,
    StaffBindingCreateApi,
    StaffPaymentCreateApi,
    StaffPaymentRefundApi,
    StaffPersonApi,
    StatsApi,
)

urlpatterns = [
    path("staff/persons/", StaffPersonApi.as_view(), name="api-staff-persons"),
    path("staff/bindings/", StaffBindingCreateApi.as_view(), name="api-staff-bindings"),
    path(
        "staff/bindings/<int:binding_id>/allowance/", StaffAllowanceApi.as_view(), name="api-staff-allowance"
    ),
    path("staff/payments/", StaffPaymentCreateApi.as_view(), name="api-staff-payments"),
    path("staff/payments/<int:payment_id>/refund/", StaffPaymentRefundApi.as_view(), name="api-staff-refund"),
    path("admin-api/expenditures/", ExpenditureReviewApi.as_view(), name="api-review"),
    path("admin-api/expenditures.csv", ExpenditureReviewCsvApi.as_view(), name="api-review-csv"),
    path("admin-api/stats/", StatsApi.as_view(), name="api-stats"),
    path("admin-api/reconciliation/", ReconciliationApi.as_view(), name="api-reconciliation"),
]
