"""Roster imports (API.md): insurees, premium rates and region policies from UTF-8 CSV files.

Every row is checked on its own first; a bad row is reported with its line number and reason and
the good rows go in.
"""

from insurees.roster.importing import IMPORT_LANES, lane_of, roster_file_import, roster_import
from insurees.roster.reading import (
    CHUNK_SIZE,
    INSUREE_COLUMNS,
    PREMIUM_RATE_COLUMNS,
    REGION_POLICY_COLUMNS,
    RosterRow,
    amount_fen_from_yuan,
    csv_records,
    insuree_row_parse,
    insuree_rows_read,
)
from insurees.roster.reference_data import premium_rates_file_import, region_policies_file_import
from insurees.roster.report import BadRow, ImportReport, RosterFileError
from insurees.roster.statistics import Statistics

__all__ = [
    "CHUNK_SIZE",
    "IMPORT_LANES",
    "INSUREE_COLUMNS",
    "PREMIUM_RATE_COLUMNS",
    "REGION_POLICY_COLUMNS",
    "BadRow",
    "ImportReport",
    "RosterFileError",
    "RosterRow",
    "Statistics",
    "amount_fen_from_yuan",
    "csv_records",
    "insuree_row_parse",
    "insuree_rows_read",
    "lane_of",
    "premium_rates_file_import",
    "region_policies_file_import",
    "roster_file_import",
    "roster_import",
]
