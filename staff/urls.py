from django.urls import path

from staff.views import access, allowances, counter, paying, review

app_name = "staff"

urlpatterns = [
    path("", counter.home_view, name="home"),
    path("person/", counter.person_view, name="person"),
    path("person/bind/", counter.bind_view, name="bind"),
    path("person/pay/", paying.pay_view, name="pay"),
    path("person/pay/check/<slug:key>/", paying.pay_check_view, name="pay-check"),
    path("person/pay/done/<slug:key>/", paying.pay_done_view, name="pay-done"),
    path("person/bindings/<int:binding_id>/allowance/", allowances.allowance_view, name="allowance"),
    path(
        "person/bindings/<int:binding_id>/allowance/check/<slug:key>/",
        allowances.allowance_check_view,
        name="allowance-check",
    ),
    path(
        "person/bindings/<int:binding_id>/allowance/done/<slug:key>/",
        allowances.allowance_done_view,
        name="allowance-done",
    ),
    path(
        "person/bindings/<int:binding_id>/allowance/release/",
        allowances.allowance_release_view,
        name="allowance-release",
    ),
    path("payments/<int:payment_id>/refund/", counter.refund_view, name="refund"),
    path("payments/<int:payment_id>/receipt.pdf", counter.receipt_view, name="receipt"),
    path("review/", review.review_view, name="review"),
    path("reconciliation/", review.reconciliation_view, name="reconciliation"),
    path("no-role/", access.no_role_view, name="no-role"),
]
