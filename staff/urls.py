from django.urls import path

from staff.views import counter, paying, review

app_name = "staff"

urlpatterns = [
    path("", counter.home_view, name="home"),
    path("person/", counter.person_view, name="person"),
    path("person/bind/", counter.bind_view, name="bind"),
    path("person/pay/", paying.pay_view, name="pay"),
    path("payments/<int:payment_id>/refund/", counter.refund_view, name="refund"),
    path("payments/<int:payment_id>/receipt.pdf", counter.receipt_view, name="receipt"),
    path("review/", review.review_view, name="review"),
]
