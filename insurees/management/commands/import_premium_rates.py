from insurees.management.commands._roster_command import RosterCommand
from insurees.roster import PREMIUM_RATE_COLUMNS, premium_rates_file_import


class Command(RosterCommand):
    help = (
        f"Upserts premium rates by (region, year) from a CSV with header {','.join(PREMIUM_RATE_COLUMNS)}; "
        "amount in yuan, dates as YYYY-MM-DD. Bad rows are reported by line; exits non-zero if any."
    )

    importer = premium_rates_file_import
