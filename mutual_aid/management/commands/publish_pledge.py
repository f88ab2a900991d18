"""Publishes the personal pledge (个人承诺书) as its next version.

    manage.py publish_pledge                          # the standard text (mutual_aid/pledges.py)
    manage.py publish_pledge --zh zh.txt --en en.txt  # a text of your own, UTF-8 files

New bindings sign the new version from then on; bindings signed before keep theirs. Publishing the
text already in force publishes nothing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common.errors import ApplicationError
from mutual_aid.pledges import STANDARD_PLEDGE_EN, STANDARD_PLEDGE_ZH
from mutual_aid.selectors import pledge_current
from mutual_aid.services import pledge_publish


class Command(BaseCommand):
    help = "Publishes the personal pledge as its next version: the standard text, or --zh and --en files."

    def add_arguments(self, parser):
        parser.add_argument("--zh", type=Path, metavar="FILE", help="the Chinese text, a UTF-8 file")
        parser.add_argument("--en", type=Path, metavar="FILE", help="the English text, a UTF-8 file")

    def handle(self, *args, zh: Path | None, en: Path | None, **options):
        if (zh is None) != (en is None):
            raise CommandError("Give both --zh and --en, or neither for the standard text.")
        text_zh = _read(zh) if zh else STANDARD_PLEDGE_ZH
        text_en = _read(en) if en else STANDARD_PLEDGE_EN
        before = pledge_current()
        try:
            pledge = pledge_publish(text_zh=text_zh, text_en=text_en)
        except ApplicationError as error:
            raise CommandError(str(error.message)) from error
        if before is not None and pledge.pk == before.pk:
            self.stdout.write(f"Pledge v{pledge.version} has this text already: nothing published.")
            return
        self.stdout.write(self.style.SUCCESS(f"Published pledge v{pledge.version}, sha256 {pledge.sha256}."))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"{path}: {error}") from error
