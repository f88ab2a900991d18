"""What the three roster commands share: open the file, report bad rows, exit non-zero on any."""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from insurees.roster import ImportReport, RosterFileError


class RosterCommand(BaseCommand):
    # What each command imports: a function of the opened file (and `import_options`) to its report.
    importer: ClassVar[Callable[..., ImportReport]]

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="UTF-8 CSV file with a header row")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count every row, then roll everything back"
        )

    def import_options(self) -> dict:
        return {}

    def handle(self, *args, file: Path, dry_run: bool, **options) -> None:
        try:
            # Without --dry-run each chunk commits on its own; a re-run after a crash changes nothing twice.
            outer = transaction.atomic() if dry_run else contextlib.nullcontext()
            with file.open(encoding="utf-8-sig", newline="") as opened, outer, _cyclic_gc_paused():
                report = type(self).importer(file=opened, **self.import_options())
                if dry_run:
                    transaction.set_rollback(True)
        except FileNotFoundError as error:
            raise CommandError(f"{file}: no such file") from error
        except RosterFileError as error:
            raise CommandError(f"{file}: {error}") from error

        for bad in report.bad:
            self.stderr.write(f"{file}:{bad.line}: {bad.reason}")
        summary = (
            f"{report.rows} rows: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.bad)} refused"
            + (" (dry run: nothing saved)" if dry_run else "")
        )
        if report.bad:
            self.stdout.write(summary)
            raise CommandError(f"{len(report.bad)} bad rows in {file}; the other rows were imported")
        self.stdout.write(self.style.SUCCESS(summary))

    def progress_factory(self) -> Callable[[int], Callable[[int], None]] | None:
        """A tqdm bar on stderr when a person watches (stdout is a terminal), else nothing."""
        if not self.stdout.isatty():
            return None
        from tqdm import tqdm

        def factory(total: int) -> Callable[[int], None]:
            bar = tqdm(total=total, unit="row", file=sys.stderr, dynamic_ncols=True)

            def advance(done: int) -> None:
                bar.update(done)
                if bar.n >= total:
                    bar.close()

            return advance

        return factory


@contextlib.contextmanager
def _cyclic_gc_paused():
    """Python's cycle collector stays off while a file is imported (a command runs in a process of
    its own).

    An import holds a million rows in memory and makes millions of short-lived tuples and
    instances, none of them in a reference cycle: reference counting frees them, and each of the
    collector's passes only walked them again (a third of a roster's Python time). The few cycles
    made meanwhile wait for the collector's first pass after the import.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
