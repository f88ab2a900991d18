"""Rate limits counted atomically in Redis (common/throttling.py): requests arriving together never
pass beyond the limit, the answer says when the next one may, and a store that is away lets requests
through with the outage logged once."""

from __future__ import annotations

import logging
import os
import random
import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from rest_framework.test import APIRequestFactory

from common.throttling import AtomicAnonRateThrottle, AtomicRateThrottle

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL")


class FivePerMinute(AtomicAnonRateThrottle):
    rate = "5/min"


@pytest.fixture
def address():
    """A client address of this test alone, its history gone after."""
    address = ".".join(str(random.randrange(1, 255)) for _ in range(4))
    yield address
    caches["default"].delete(FivePerMinute.cache_format % {"scope": None, "ident": address})


def ask(address: str, throttle: AtomicRateThrottle | None = None) -> bool:
    request = APIRequestFactory().post("/api/v1/auth/token/", REMOTE_ADDR=address)
    request.user = AnonymousUser()
    return (throttle or FivePerMinute()).allow_request(request, None)


def test_requests_arriving_together_never_pass_beyond_the_limit(address):
    start, answers = threading.Barrier(30), []

    def one() -> None:
        start.wait()
        answers.append(ask(address))

    threads = [threading.Thread(target=one) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers.count(True) == 5
    assert not ask(address)


def test_a_refused_request_is_told_when_the_oldest_leaves_the_window(address):
    assert all(ask(address) for _ in range(5))
    throttle = FivePerMinute()

    assert not ask(address, throttle)
    assert 55 < throttle.wait() <= 60


def test_with_the_store_away_requests_pass_and_the_outage_is_logged_once(address, settings, caplog):
    settings.CACHES = {"default": {"BACKEND": "common.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    with caplog.at_level(logging.WARNING, logger="common.throttling"):
        answers = [ask(address) for _ in range(8)]

    assert answers == [True] * 8
    assert [record.getMessage().split(":")[0] for record in caplog.records] == [
        "rate limits' store unavailable"
    ]
