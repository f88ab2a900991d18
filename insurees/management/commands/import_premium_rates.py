from insurees.management.commands._roster_command import RosterCommand
from insurees.roster import PREMIUM_RATE_COLUMNS, premium_rates_file_import


class Command(RosterCommand):
    help = (
        "Upserts premium rates by (region, year, kind) from a CSV with header "
        f"{','.join(PREMIUM_RATE_COLUMNS)} and an optional kind column (resident_medical, the default, "
        "or long_term_care); amount in yuan, "
        "dates as YYYY-MM-DD. Bad rows are reported by line; exits non-zero if any."
    )

    importer = premium_rates_file_import
