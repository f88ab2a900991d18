from django.urls import path

from staff import views

app_name = "staff"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("person/", views.person_view, name="person"),
    path("person/bind/", views.bind_view, name="bind"),
    path("person/pay/", views.pay_view, name="pay"),
    path("payments/<int:payment_id>/refund/", views.refund_view, name="refund"),
    path("payments/<int:payment_id>/receipt.pdf", views.receipt_view, name="receipt"),
    path("review/", views.review_view, name="review"),
]
