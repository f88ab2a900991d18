from getpass import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import STAFF_ROLES, staff_user_create


class Command(BaseCommand):
    help = "Creates (or updates) a staff account with a role."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=STAFF_ROLES)
        parser.add_argument("--password", help="prompted for when omitted")

    def handle(self, *args, username: str, role: str, password: str | None, **options):
        password = password or getpass("Password: ")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        staff_user_create(username=username, role=role, password=password)
        self.stdout.write(self.style.SUCCESS(f"{username}: {role}"))
