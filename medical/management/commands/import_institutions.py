from insurees.management.commands._roster_command import RosterCommand
from medical.services.institutions import INSTITUTION_COLUMNS, institutions_file_import


class Command(RosterCommand):
    help = (
        f"Upserts designated institutions by code from a CSV with header {','.join(INSTITUTION_COLUMNS)}: "
        "kind is hospital or pharmacy, status active or inactive; a new institution gets its payable "
        "account. Bad rows are reported by line; exits non-zero if any."
    )

    importer = institutions_file_import
