"""DRF's rate throttles, counted atomically in Redis in one round trip.

DRF keeps a throttle's history as a list that it reads from the cache and writes back: two round trips
a request, and requests arriving together read the same history and may all pass. Here the history
is a Redis sorted set that one script trims, counts and adds to: exact whatever arrives at once, one
round trip a request. Without Redis (the local-memory cache of a machine without services) DRF counts.
With Redis away a request is let through, and the outage logged once: the limits guard against a
flood, and sign-in has its own lockout in the database.
"""

from __future__ import annotations

import logging
import uuid

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache
from redis.commands.core import Script
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from common.faults import FaultLog

logger = logging.getLogger(__name__)
throttle_store = FaultLog("rate limits' store", logger)

# KEYS[1]: the history; ARGV: now, window (seconds), limit, a member unique to this request. Answers
# the oldest time in the window when it is full (nothing added), else false.
_SCRIPT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
    return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(window))
return false
"""


_script: Script | None = None


def _count(client, key: str, now: float, window: int, limit: int):
    global _script  # noqa: PLW0603 - made once: it hashes the script's text
    if _script is None:
        _script = Script(client, _SCRIPT)
    return _script(keys=[key], args=[now, window, limit, uuid.uuid4().hex], client=client)


class AtomicRateThrottle(SimpleRateThrottle):
    # Not DRF's keys: a sorted set where DRF keeps a list (no clash while both run, during a deploy).
    cache_format = "throttle-zset_%(scope)s_%(ident)s"
    num_requests: int
    duration: int  # seconds: both set by SimpleRateThrottle's __init__ from the rate
    _oldest: float | None = None

    def allow_request(self, request, view) -> bool:
        # DRF's default store is django.core.cache.cache, a proxy of the default cache.
        store = caches[DEFAULT_CACHE_ALIAS] if self.cache is default_cache else self.cache
        if self.rate is None or not isinstance(store, RedisCache):
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        key = store.make_and_validate_key(self.key)
        try:
            client = store._cache.get_client(key, write=True)
            oldest = _count(client, key, self.now, self.duration, self.num_requests)
        except Exception as exc:  # noqa: BLE001 - any failure of the store: let the request through
            throttle_store.failed(exc)
            return True
        throttle_store.recovered()
        if oldest is None:
            return True
        self._oldest = float(oldest)
        return self.throttle_failure()

    def wait(self) -> float | None:
        if self._oldest is None:
            return super().wait()
        # The next request passes once the oldest in the window leaves it.
        return max(0.0, self.duration - (self.now - self._oldest))


class AtomicUserRateThrottle(AtomicRateThrottle, UserRateThrottle):
    pass


class AtomicAnonRateThrottle(AtomicRateThrottle, AnonRateThrottle):
    pass
