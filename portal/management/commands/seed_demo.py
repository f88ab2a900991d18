"""A small, realistic world to try the portal with; running it again changes nothing."""

import datetime
import io

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.selectors import user_get_by_username
from accounts.services import staff_user_create, superuser_create, user_register
from common.id_numbers import make_id_number
from common.money import format_yuan
from insurees.models import PremiumKind, RegionScope, Scheme
from insurees.selectors import insuree_get, person_get_by_id_number
from insurees.services import insuree_register, person_create, premium_rate_set, region_policy_set
from medical.services import Actor, allowance_set, institution_terminal_create, institutions_file_import
from mutual_aid.models import Channel
from mutual_aid.pledges import STANDARD_PLEDGE_EN, STANDARD_PLEDGE_ZH
from mutual_aid.selectors import binding_active_between, pledge_current
from mutual_aid.services import binding_create, pledge_publish

DEMO_PASSWORD = "Gongji-2026"  # noqa: S105 - printed for demo logins only

# (key, name, region of issue, birth date, sex, scheme, pooling region, opening balance in yuan)
PEOPLE = [
    ("zhang_wei", "张伟", "210202", datetime.date(1978, 5, 12), "M", Scheme.EMPLOYEE, "210200", 8600),
    ("zhang_min", "张敏", "210203", datetime.date(1982, 9, 3), "F", Scheme.EMPLOYEE, "210200", 1200),
    ("liu_yang", "刘洋", "210204", datetime.date(1990, 2, 28), "M", Scheme.EMPLOYEE, "210200", 150),
    ("chen_jing", "陈静", "320102", datetime.date(1985, 11, 20), "F", Scheme.EMPLOYEE, "320100", 5000),
    ("zhang_jianguo", "张建国", "210202", datetime.date(1950, 3, 8), "M", Scheme.RESIDENT, "210200", 0),
    ("li_xiuying", "李秀英", "210202", datetime.date(1953, 7, 16), "F", Scheme.RESIDENT, "210200", 0),
    ("zhang_xiaobao", "张小宝", "210202", datetime.date(2017, 6, 1), "M", Scheme.RESIDENT, "210200", 0),
    ("liu_guilan", "刘桂兰", "210211", datetime.date(1958, 12, 2), "F", Scheme.RESIDENT, "210200", 0),
    ("chen_zhiqiang", "陈志强", "320502", datetime.date(1955, 4, 18), "M", Scheme.RESIDENT, "320500", 0),
    ("wang_fang", "王芳", "320205", datetime.date(1960, 1, 25), "F", Scheme.RESIDENT, "320200", 0),
]

# (authorizer, beneficiary, the beneficiary's relation to the authorizer)
BINDINGS = [
    ("zhang_wei", "zhang_jianguo", "parent"),
    ("zhang_min", "zhang_jianguo", "parent"),
    ("zhang_wei", "li_xiuying", "parent"),
    ("zhang_wei", "zhang_xiaobao", "child"),
    ("liu_yang", "liu_guilan", "parent"),
    ("chen_jing", "chen_zhiqiang", "parent"),
]

# (region, premium in yuan for this year, for next year)
RATES = [("210200", 400, 420), ("320100", 420, 440), ("320200", 410, 430), ("320500", 440, 460)]
# The long-term-care premium, where a region sets one (Suzhou, a national pilot of 长护险), with the
# resident premium's collection periods: (region, in yuan for this year, for next year).
LONG_TERM_CARE_RATES = [("320500", 100, 120)]

# Designated institutions of Dalian (the fund's register, as import_institutions reads it): a pharmacy
# with a cashier's login of its own, and a hospital.
INSTITUTIONS = """code,name,kind,region_code,status
P21020200001,康民大药房（中山店）,pharmacy,210200,active
H21020200001,大连滨海社区医院,hospital,210200,active
"""
PHARMACY = ("P21020200001", "pharmacy")  # (institution code, terminal username)
# (authorizer, beneficiary, allowance in yuan): 张伟 sets money aside for his father's medical costs.
ALLOWANCES = [("zhang_wei", "zhang_jianguo", 500)]


class Command(BaseCommand):
    help = (
        "Seeds demo data: people, balances, premiums, bindings, designated institutions, an allowance, and "
        "staff and cashier logins."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        this_year = timezone.localdate().year
        region_policy_set(region_code="210200", scope=RegionScope.CITY, exclusive_family=False)
        region_policy_set(region_code="320000", scope=RegionScope.PROVINCE, exclusive_family=True)
        kinds = [(PremiumKind.RESIDENT_MEDICAL, RATES), (PremiumKind.LONG_TERM_CARE, LONG_TERM_CARE_RATES)]
        for kind, rates in kinds:
            for region, this_amount, next_amount in rates:
                premium_rate_set(
                    region_code=region,
                    year=this_year,
                    kind=kind,
                    amount_fen=this_amount * 100,
                    collection_start=datetime.date(this_year - 1, 9, 1),
                    collection_end=datetime.date(this_year, 6, 30),
                )
                premium_rate_set(
                    region_code=region,
                    year=this_year + 1,
                    kind=kind,
                    amount_fen=next_amount * 100,
                    collection_start=datetime.date(this_year, 9, 1),
                    collection_end=datetime.date(this_year + 1, 2, 28),
                )
        # The pledge in force: the standard one a fresh install publishes, or whatever came after it.
        pledge = pledge_current() or pledge_publish(text_zh=STANDARD_PLEDGE_ZH, text_en=STANDARD_PLEDGE_EN)

        insurees, rows = {}, []
        for sequence, (key, name, issued, birth, sex, scheme, region, balance) in enumerate(PEOPLE, start=11):
            id_number = make_id_number(issued, birth, sequence, sex)
            person = person_get_by_id_number(id_number=id_number) or person_create(
                id_number=id_number, name=name, phone=f"1390411{sequence:04d}"
            )
            insuree = insuree_get(person=person, scheme=scheme) or insuree_register(
                person=person,
                scheme=scheme,
                region_code=region,
                since=datetime.date(2010, 1, 1),
                opening_balance_fen=balance * 100,
            )
            if person.user_id is None:
                user_register(id_number=id_number, name=name, phone=person.phone, password=DEMO_PASSWORD)
            insurees[key] = insuree
            shown = format_yuan(insuree.account.balance_fen) if insuree.account else "-"
            rows.append((name, id_number, scheme.label, region, shown))

        for authorizer_key, beneficiary_key, relation in BINDINGS:
            authorizer, beneficiary = insurees[authorizer_key], insurees[beneficiary_key]
            if binding_active_between(authorizer=authorizer, beneficiary=beneficiary) is None:
                binding_create(
                    authorizer=authorizer,
                    beneficiary=beneficiary,
                    relation=relation,
                    pledge=pledge,
                    channel=Channel.ONLINE,
                    signer=authorizer.person,
                )

        # Medical costs: the institutions, the pharmacy's cashier login, the allowances (each set under a
        # key of its binding, so that running the command again replays it instead of setting it twice).
        institutions_file_import(file=io.StringIO(INSTITUTIONS))
        institution_terminal_create(
            institution_code=PHARMACY[0], username=PHARMACY[1], password=DEMO_PASSWORD
        )
        for authorizer_key, beneficiary_key, amount in ALLOWANCES:
            authorizer, beneficiary = insurees[authorizer_key], insurees[beneficiary_key]
            binding = binding_active_between(authorizer=authorizer, beneficiary=beneficiary)
            if binding is None:
                continue  # ended in the demo since: nothing to set it on
            authorizer.person.refresh_from_db(fields=["user"])
            allowance_set(
                authorizer=authorizer.person,
                binding_id=binding.pk,
                amount_fen=amount * 100,
                actor=Actor(user=authorizer.person.user, idempotency_key=f"seed-demo-allowance-{binding.pk}"),
            )

        for username, role in [
            ("counter", "counter_staff"),
            ("supervisor", "counter_supervisor"),
            ("auditor", "auditor"),
        ]:
            staff_user_create(username=username, role=role, password=DEMO_PASSWORD)
        if user_get_by_username(username="admin") is None:
            superuser_create(username="admin", password=DEMO_PASSWORD)

        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000/ with:"))
        self.stdout.write(f"  password for every demo login: {DEMO_PASSWORD}")
        for name, id_number, scheme, region, balance in rows:
            self.stdout.write(f"  {id_number}  {name}  {scheme} {region}  balance {balance}")
        self.stdout.write(
            "  staff: counter (counter_staff), supervisor (counter_supervisor), auditor, admin (/admin/)"
        )
        self.stdout.write(f"  cashier of 康民大药房 (a designated pharmacy): {PHARMACY[1]}")
