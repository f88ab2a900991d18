"""factory_boy factories: valid ID numbers, employees with funded personal accounts, residents."""

from __future__ import annotations

import datetime
import hashlib

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from common.id_numbers import make_id_number
from insurees.models import Insuree, InsureeStatus, Person, PremiumKind, PremiumRate, RegionPolicy, Scheme
from ledger.models import AccountKind
from ledger.services import account_create, account_get_or_create, transaction_post
from mutual_aid.models import Binding, Channel, Pledge, Relation

DALIAN = "210200"
NANJING = "320100"
SUZHOU = "320500"


def id_number_for(
    n: int, *, region: str = "210202", birth: datetime.date | None = None, sex: str = "M"
) -> str:
    birth = birth or datetime.date(1960, 1, 1) + datetime.timedelta(days=n * 37 % 20000)
    return make_id_number(region, birth, n, sex)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        django_get_or_create = ("id_number",)

    class Params:
        birth = factory.Sequence(
            lambda n: datetime.date(1950, 1, 1) + datetime.timedelta(days=n * 131 % 25000)
        )

    sex = factory.Iterator(["M", "F"])
    id_number = factory.LazyAttributeSequence(lambda o, n: make_id_number("210202", o.birth, n, o.sex))
    birth_date = factory.LazyAttribute(lambda o: o.birth)
    name = factory.Iterator(["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴霞"])
    phone = factory.Sequence(lambda n: f"139{n:08d}")


def fund_personal_account(account, amount_fen: int):
    if amount_fen:
        source = account_get_or_create(code="external:employee_contributions", kind=AccountKind.EXTERNAL)
        transaction_post(legs=[(source, -amount_fen), (account, amount_fen)], memo="opening balance")
    return account


def account_balance_set(account_id: int, balance_fen: int) -> None:
    """Brings an account to `balance_fen` as the books allow: by a posting to or from the source."""
    from ledger.models import Account

    account = Account.objects.get(pk=account_id)
    if balance_fen != account.balance_fen:
        source = account_get_or_create(code="external:employee_contributions", kind=AccountKind.EXTERNAL)
        delta = balance_fen - account.balance_fen
        transaction_post(legs=[(source, -delta), (account, delta)], memo="balance set by a test")


class EmployeeFactory(factory.django.DjangoModelFactory):
    """An active employee insuree with a personal account holding `balance_fen`."""

    class Meta:
        model = Insuree
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory)
    scheme = Scheme.EMPLOYEE
    region_code = DALIAN
    status = InsureeStatus.ACTIVE
    since = datetime.date(2015, 1, 1)

    @factory.lazy_attribute
    def account(self):
        return account_create(code=f"personal:{self.person.id_number}", kind=AccountKind.PERSONAL)

    @factory.post_generation
    def balance_fen(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy's signature
        fund_personal_account(obj.account, 100_000 if extracted is None else extracted)


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Insuree

    person = factory.SubFactory(PersonFactory)
    scheme = Scheme.RESIDENT
    region_code = DALIAN
    status = InsureeStatus.ACTIVE
    since = datetime.date(2015, 1, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("Gongji-test-2026")


def user_for(person: Person) -> User:
    """The person's login (username = ID number), created on first use."""
    if person.user_id is None:
        person.user = UserFactory(username=person.id_number)
        person.save(update_fields=["user"])
    return person.user


class PremiumRateFactory(factory.django.DjangoModelFactory):
    """By default: next year's resident premium, with a collection period around today."""

    class Meta:
        model = PremiumRate
        django_get_or_create = ("region_code", "year", "kind")

    region_code = DALIAN
    kind = PremiumKind.RESIDENT_MEDICAL
    year = factory.LazyFunction(lambda: timezone.localdate().year + 1)
    amount_fen = 42_000
    collection_start = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=60))
    collection_end = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=60))


class LongTermCareRateFactory(PremiumRateFactory):
    """Next year's long-term-care premium, where a region sets one."""

    kind = PremiumKind.LONG_TERM_CARE
    amount_fen = 12_000


class RegionPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegionPolicy
        django_get_or_create = ("region_code",)

    region_code = "320000"
    scope = "province"
    exclusive_family = True


PLEDGE_TEXT = "本人自愿将职工医保个人账户资金用于支付近亲属参加城乡居民医保的个人缴费，并承诺所填信息真实。"


class PledgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pledge
        django_get_or_create = ("version",)

    version = 1
    text_zh = PLEDGE_TEXT
    text_en = "I agree that my personal account pays my near relatives' resident premiums."
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.text_zh.encode()).hexdigest())


class BindingFactory(factory.django.DjangoModelFactory):
    """An active binding with its signed pledge (built directly: for rule tests use the service)."""

    class Meta:
        model = Binding

    authorizer = factory.SubFactory(EmployeeFactory)
    beneficiary = factory.SubFactory(ResidentFactory)
    relation = Relation.PARENT
    pledge = factory.SubFactory(PledgeFactory)
    pledge_version = factory.LazyAttribute(lambda o: o.pledge.version)
    pledge_sha256 = factory.LazyAttribute(lambda o: o.pledge.sha256)
    signed_at = factory.LazyFunction(timezone.now)
    signer = factory.LazyAttribute(lambda o: o.authorizer.person)
    channel = Channel.ONLINE
