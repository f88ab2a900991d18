"""The REST API v1 (API.md)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.apis import TokenCreateApi, UserRegisterApi
from common.api import api_not_found
from medical.apis import (
    AllowanceApi,
    AllowanceListApi,
    MeWithAllowancesApi,
    SettlementListApi,
    VoucherCreateApi,
)
from medical.institution_apis import (
    InstitutionStatementListApi,
    SettlementCreateApi,
    SettlementRefundApi,
    SettlementReverseApi,
    StatementApi,
    StatementConfirmApi,
)
from mutual_aid.apis import BindingDetailApi, BindingListCreateApi, PledgeApi
from notices.apis import NoticeListApi, NoticeReadApi
from payments.apis import (
    PaymentDetailApi,
    PaymentFamilyApi,
    PaymentListCreateApi,
    PaymentReceiptApi,
    PaymentSelfApi,
    PremiumApi,
)
from portal.apis import ExpenditureListApi

urlpatterns = [
    # The calls made about a million times a day first: patterns are tried in order on every request.
    path("vouchers/", VoucherCreateApi.as_view(), name="api-vouchers"),
    path("institution/settlements/", SettlementCreateApi.as_view(), name="api-institution-settlements"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("auth/register/", UserRegisterApi.as_view(), name="api-register"),
    path("auth/token/", TokenCreateApi.as_view(), name="api-token"),
    path("me/", MeWithAllowancesApi.as_view(), name="api-me"),
    path("pledge/", PledgeApi.as_view(), name="api-pledge"),
    path("bindings/", BindingListCreateApi.as_view(), name="api-bindings"),
    path("bindings/<int:binding_id>/", BindingDetailApi.as_view(), name="api-binding"),
    path("bindings/<int:binding_id>/allowance/", AllowanceApi.as_view(), name="api-binding-allowance"),
    path("allowances/", AllowanceListApi.as_view(), name="api-allowances"),
    path("settlements/", SettlementListApi.as_view(), name="api-settlements"),
    path(
        "institution/settlements/<str:settlement_id>/reverse/",
        SettlementReverseApi.as_view(),
        name="api-institution-settlement-reverse",
    ),
    path(
        "institution/settlements/<str:settlement_id>/refunds/",
        SettlementRefundApi.as_view(),
        name="api-institution-settlement-refunds",
    ),
    path("institution/statements/<str:date>/", StatementApi.as_view(), name="api-institution-statement"),
    path(
        "institution/statements/<str:date>/confirm/",
        StatementConfirmApi.as_view(),
        name="api-institution-statement-confirm",
    ),
    path(
        "admin-api/institution-statements/",
        InstitutionStatementListApi.as_view(),
        name="api-institution-statements",
    ),
    path("premiums/<int:year>/", PremiumApi.as_view(), name="api-premium"),
    path("payments/", PaymentListCreateApi.as_view(), name="api-payments"),
    path("payments/self/", PaymentSelfApi.as_view(), name="api-payments-self"),
    path("payments/family/", PaymentFamilyApi.as_view(), name="api-payments-family"),
    path("payments/<int:payment_id>/", PaymentDetailApi.as_view(), name="api-payment"),
    path("payments/<int:payment_id>/receipt.pdf", PaymentReceiptApi.as_view(), name="api-payment-receipt"),
    path("expenditures/", ExpenditureListApi.as_view(), name="api-expenditures"),
    path("notifications/", NoticeListApi.as_view(), name="api-notifications"),
    path("notifications/read/", NoticeReadApi.as_view(), name="api-notifications-read"),
    path("", include("staff.api_urls")),
    re_path(r"^[\s\S]*$", api_not_found),  # any path, a newline in it too
]
