"""A stream of payments for the worker-survival tests, as the portal makes them under load.

Run as its own process (`python -m tests.payments.worker_load`) on the database and broker its
environment names. It builds families (an employee and his bound relatives; the relatives in bulk,
since factories one by one would take a minute), writes `--ready-file`, then pays for one family
after another, every `--pace` seconds, until `--stop-file` appears or every family is paid. Each
payment publishes its drain after the commit, as a request does (its notices wait for the relay).
Like a well-behaved client it asks again, with the same idempotency key, when a payment fails because
the database or Redis was away: a payment that was made is then replayed, never made twice. It
prints one JSON line as it ends.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import itertools
import json
import os
import sys
import time

import django

# Relatives' ID numbers come from a county the factories' employees (210202) are never born in.
RELATIVES_COUNTY = "210204"
# Tries of one payment (0.2 s apart, each up to a connect timeout) before the stream gives up.
MAX_ATTEMPTS = 600


def build_families(*, families: int, relatives: int, year: int) -> list[tuple]:
    from django.db import transaction
    from django.utils import timezone

    from common.id_numbers import make_id_number
    from insurees.models import Insuree, InsureeStatus, Person, Scheme
    from mutual_aid.models import Binding, Channel, Relation
    from tests.factories import DALIAN, EmployeeFactory, PledgeFactory, PremiumRateFactory, UserFactory

    with transaction.atomic():
        PremiumRateFactory(year=year, amount_fen=42_000)
        pledge = PledgeFactory()
        authorizers = [EmployeeFactory(balance_fen=100_000_000) for _ in range(families)]
        count = families * relatives
        people = Person.objects.bulk_create(
            Person(
                id_number=make_id_number(
                    RELATIVES_COUNTY, datetime.date(1940, 1, 1) + datetime.timedelta(days=n // 500), n, "F"
                ),
                name="王芳",
                birth_date=datetime.date(1940, 1, 1) + datetime.timedelta(days=n // 500),
                sex="F",
            )
            for n in range(count)
        )
        residents = Insuree.objects.bulk_create(
            Insuree(
                person=person,
                scheme=Scheme.RESIDENT,
                region_code=DALIAN,
                status=InsureeStatus.ACTIVE,
                since=datetime.date(2015, 1, 1),
            )
            for person in people
        )
        now = timezone.now()
        Binding.objects.bulk_create(
            Binding(
                authorizer=authorizers[n // relatives],
                beneficiary=resident,
                relation=Relation.PARENT,
                pledge=pledge,
                pledge_version=pledge.version,
                pledge_sha256=pledge.sha256,
                signed_at=now,
                signer=authorizers[n // relatives].person,
                channel=Channel.ONLINE,
            )
            for n, resident in enumerate(residents)
        )
        users = [UserFactory() for _ in range(families)]
    return [
        (authorizer, residents[f * relatives : (f + 1) * relatives], users[f])
        for f, authorizer in enumerate(authorizers)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, required=True)
    parser.add_argument("--relatives", type=int, default=5)
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--ready-file", required=True, help="written once the families exist")
    parser.add_argument("--pace", type=float, default=0.0, help="seconds between two families' payments")
    parser.add_argument("--stop-file", required=True, help="the stream stops once this file exists")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    from django.conf import settings

    from config.celery import app

    # The test settings run tasks in-process; this process stands for the portal, which publishes.
    # (Celery 5.6 reads the setting from Django's settings before its own configuration.)
    settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = False

    from django.db import connection

    from payments.services import Actor
    from tests.payments.paying import payments_create_for_family

    families = build_families(families=args.families, relatives=args.relatives, year=args.year)
    with open(args.ready_file, "w") as ready:
        ready.write("ready\n")

    paid, retries, failures = 0, 0, set()
    for number, (authorizer, relatives, user) in enumerate(families):
        if os.path.exists(args.stop_file):
            break
        actor = Actor(user=user, idempotency_key=f"survival-{number}")
        for attempt in itertools.count(1):
            try:
                payments = payments_create_for_family(
                    authorizer=authorizer, beneficiaries=relatives, year=args.year, actor=actor
                )
            except Exception as exc:
                # A client retries whatever the portal answered, for a while: the tests' outages
                # last seconds, so a payment refused for two minutes is a failure of its own.
                if attempt >= MAX_ATTEMPTS:
                    raise
                retries += 1
                failures.add(type(exc).__name__)
                with contextlib.suppress(Exception):
                    connection.close()
                time.sleep(0.2)
                continue
            paid += len(payments)
            break
        time.sleep(args.pace)
    sys.stdout.write(json.dumps({"paid": paid, "retries": retries, "failures": sorted(failures)}) + "\n")


if __name__ == "__main__":
    main()
