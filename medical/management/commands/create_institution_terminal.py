import os
import sys
from getpass import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from medical.services.institutions import institution_terminal_create

# Read when --password is not given: a script passes the password here, not in its command line (which
# other users of the machine can see).
PASSWORD_ENV = "GONGJI_TERMINAL_PASSWORD"  # noqa: S105 - the name of a variable, not a password


class Command(BaseCommand):
    help = (
        "Creates the terminal login (group institution) of a designated institution, or sets the "
        f"password of an existing one. The password comes from --password, else ${PASSWORD_ENV}, else a "
        "prompt (typed twice, not shown)."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="the institution's code, as imported by import_institutions")
        parser.add_argument("username")
        parser.add_argument("--password", help=f"else ${PASSWORD_ENV}, else prompted for")

    def handle(self, *args, code: str, username: str, password: str | None, **options):
        password = password or os.environ.get(PASSWORD_ENV) or self._prompted()
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        try:
            terminal = institution_terminal_create(
                institution_code=code, username=username, password=password
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{username}: terminal of {terminal.institution}"))

    def _prompted(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError(f"no password: give --password or set ${PASSWORD_ENV} (no terminal to ask)")
        password = getpass("Password: ")
        if getpass("Password (again): ") != password:
            raise CommandError("the two passwords differ")
        return password
