from insurees.management.commands._roster_command import RosterCommand
from insurees.roster import REGION_POLICY_COLUMNS, region_policies_file_import


class Command(RosterCommand):
    help = (
        f"Upserts region policies from a CSV with header {','.join(REGION_POLICY_COLUMNS)}: scope is "
        "city or province, a province code (320000) covers all its cities, exclusive_family is "
        "true or false. Bad rows are reported by line; exits non-zero if any."
    )

    importer = region_policies_file_import
