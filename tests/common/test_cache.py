import os

import pytest

from common.cache import RedisCache


@pytest.fixture
def redis_cache():
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs Redis: set REDIS_URL (as .ci/run does)")
    cache = RedisCache(url, {"KEY_PREFIX": "test-common-cache"})
    yield cache
    cache.delete_many(["a", "b"])


def test_one_client_serves_every_call_and_the_cache_works(redis_cache):
    client = redis_cache._cache.get_client()

    redis_cache.set("a", {"n": 1}, 30)
    assert redis_cache.add("b", 2, 30) is True
    assert redis_cache.add("b", 3, 30) is False

    assert redis_cache.get("a") == {"n": 1}
    assert redis_cache.get("b") == 2
    assert redis_cache._cache.get_client(write=True) is client
