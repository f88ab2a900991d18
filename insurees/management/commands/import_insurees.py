from insurees.management.commands._roster_command import RosterCommand
from insurees.roster import INSUREE_COLUMNS, roster_file_import


class Command(RosterCommand):
    help = (
        f"Upserts insurees by (ID number, scheme) from a CSV with header {','.join(INSUREE_COLUMNS)}. "
        "balance is in yuan, for employees only (empty: a new account opens at 0, an existing one "
        "keeps its balance). Status and region changes end bindings. A balance is what the employee "
        "fund has put into the account: a change posts the difference through the ledger, and premiums "
        "paid here stay paid. Bad rows are reported by line; exits non-zero if there were any."
    )

    importer = roster_file_import

    def import_options(self) -> dict:
        return {"progress_factory": self.progress_factory()}
