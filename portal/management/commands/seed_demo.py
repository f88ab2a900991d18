"""A small, realistic world to try the portal with; running it again changes nothing."""

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.selectors import user_get_by_username
from accounts.services import staff_user_create, superuser_create, user_register
from common.id_numbers import make_id_number
from common.money import format_yuan
from insurees.models import RegionScope, Scheme
from insurees.selectors import insuree_get, person_get_by_id_number
from insurees.services import insuree_register, person_create, premium_rate_set, region_policy_set
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


class Command(BaseCommand):
    help = "Seeds demo data: people, balances, premiums, bindings and staff logins."

    @transaction.atomic
    def handle(self, *args, **options):
        this_year = timezone.localdate().year
        region_policy_set(region_code="210200", scope=RegionScope.CITY, exclusive_family=False)
        region_policy_set(region_code="320000", scope=RegionScope.PROVINCE, exclusive_family=True)
        for region, this_amount, next_amount in RATES:
            premium_rate_set(
                region_code=region,
                year=this_year,
                amount_fen=this_amount * 100,
                collection_start=datetime.date(this_year - 1, 9, 1),
                collection_end=datetime.date(this_year, 6, 30),
            )
            premium_rate_set(
                region_code=region,
                year=this_year + 1,
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
