from typing import TextIO

from insurees.management.commands._roster_command import RosterCommand
from insurees.roster import INSUREE_COLUMNS, ImportReport, roster_file_import


class Command(RosterCommand):
    help = (
        f"Upserts insurees by (ID number, scheme) from a CSV with header {','.join(INSUREE_COLUMNS)}. "
        "balance is in yuan, for employees only (empty: a new account opens at 0, an existing one "
        "keeps its balance). Status and region changes end bindings; balance changes are posted "
        "through the ledger. Bad rows are reported by line; exits non-zero if there were any."
    )

    def run_import(self, file: TextIO, options: dict) -> ImportReport:
        return roster_file_import(file=file, progress_factory=self.progress_factory())
