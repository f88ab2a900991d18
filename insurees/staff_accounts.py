"""Staff accounts and their roles (Django groups)."""

from django.contrib.auth.models import Group, User
from django.db import transaction

STAFF_ROLES = ("counter_staff", "counter_supervisor", "auditor")


@transaction.atomic
def staff_user_create(*, username: str, role: str, password: str) -> User:
    if role not in STAFF_ROLES:
        raise ValueError(f"unknown role {role!r}")
    user, _created = User.objects.get_or_create(username=username)
    user.set_password(password)
    # Auditors work in the Django admin too; counter staff only in the portal.
    user.is_staff = role == "auditor"
    user.save()
    group, _created = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    if role == "counter_supervisor":
        user.groups.add(Group.objects.get_or_create(name="counter_staff")[0])
    return user
