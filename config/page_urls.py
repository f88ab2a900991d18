"""The pages for account holders, relatives, counter staff and auditors."""

urlpatterns: list = []
