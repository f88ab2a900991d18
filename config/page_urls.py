"""The pages for account holders, relatives, counter staff, auditors and institutions' cashiers."""

from django.urls import include, path

from accounts.views import elderly_mode_view, login_view, logout_view, register_view
from medical.views import (
    allowance_check_view,
    allowance_done_view,
    allowance_notify_view,
    allowance_release_view,
    allowance_view,
)
from medical.views_cashier import cashier_reverse_view, cashier_slip_view, cashier_view
from medical.views_statements import allowance_spending_view, my_allowances_view
from medical.views_voucher import voucher_refresh_view, voucher_view
from mutual_aid.views import binding_create_view, binding_end_view, binding_manage_view, binding_pause_view
from notices.views import notifications_read_view, notifications_view
from payments.views import (
    pay_check_view,
    pay_done_view,
    pay_self_check_view,
    pay_self_view,
    pay_view,
    payment_detail_view,
    receipt_verify_view,
    receipt_view,
)
from portal.views import home_view, records_view

urlpatterns = [
    path("", home_view, name="home"),
    path("login/", login_view, name="login"),
    path("logout/", logout_view, name="logout"),
    path("register/", register_view, name="register"),
    path("preferences/large-type/", elderly_mode_view, name="elderly-mode"),
    path("bindings/new/", binding_create_view, name="binding-create"),
    path("bindings/<int:binding_id>/", binding_manage_view, name="binding-manage"),
    path("bindings/<int:binding_id>/end/", binding_end_view, name="binding-end"),
    path("bindings/<int:binding_id>/self-pay/", binding_pause_view, name="binding-pause"),
    path("bindings/<int:binding_id>/allowance/", allowance_view, name="allowance"),
    path(
        "bindings/<int:binding_id>/allowance/check/<slug:key>/", allowance_check_view, name="allowance-check"
    ),
    path("bindings/<int:binding_id>/allowance/done/<slug:key>/", allowance_done_view, name="allowance-done"),
    path("bindings/<int:binding_id>/allowance/release/", allowance_release_view, name="allowance-release"),
    path("bindings/<int:binding_id>/allowance/notify/", allowance_notify_view, name="allowance-notify"),
    path("bindings/<int:binding_id>/allowance/spending/", allowance_spending_view, name="allowance-spending"),
    path("allowances/", my_allowances_view, name="my-allowances"),
    path("voucher/", voucher_view, name="voucher"),
    path("voucher/refresh/", voucher_refresh_view, name="voucher-refresh"),
    path("cashier/", cashier_view, name="cashier"),
    path("cashier/settlements/<slug:settlement_id>/", cashier_slip_view, name="cashier-slip"),
    path("cashier/settlements/<slug:settlement_id>/reverse/", cashier_reverse_view, name="cashier-reverse"),
    path("pay/", pay_view, name="pay"),
    path("pay/check/<slug:key>/", pay_check_view, name="pay-check"),
    path("pay/mine/", pay_self_view, name="pay-self"),
    path("pay/mine/check/<slug:key>/", pay_self_check_view, name="pay-self-check"),
    path("pay/done/<slug:key>/", pay_done_view, name="pay-done"),
    path("payments/<int:payment_id>/", payment_detail_view, name="payment-detail"),
    path("payments/<int:payment_id>/receipt.pdf", receipt_view, name="receipt"),
    path("records/", records_view, name="records"),
    path("notifications/", notifications_view, name="notifications"),
    path("notifications/read/", notifications_read_view, name="notifications-read"),
    path("receipts/verify/", receipt_verify_view, name="receipt-verify"),
    path("staff/", include("staff.urls")),
]
