"""An outage of something the portal leans on, logged when it starts and when it ends, not per call.

One line when the first call fails, with the exception, and one when the first call after it succeeds,
with how long the outage lasted and how many calls failed: a traceback per call would bury everything
else in the log under load. The state is the process's own: each gunicorn worker or Celery process
logs its own pair.
"""

from __future__ import annotations

import logging
import threading
import time


class FaultLog:
    """`failed(exc)` on each failed call, `recovered()` on each successful one; both are cheap when
    nothing changes (a successful call while healthy reads one attribute)."""

    def __init__(self, what: str, logger: logging.Logger, *, level: int = logging.WARNING) -> None:
        self.what = what
        self._logger = logger
        self._level = level
        self._lock = threading.Lock()
        self._since: float | None = None  # time.monotonic() of the first failure, None while healthy
        self._last = 0.0  # time.monotonic() of the latest failure
        self._failures = 0

    @property
    def failing(self) -> bool:
        return self._since is not None

    def failed_within(self, seconds: float) -> bool:
        """Whether a call failed in the last `seconds` with no success since: a caller may skip a call
        that would only wait out the same timeout again."""
        return self._since is not None and time.monotonic() - self._last < seconds

    def failed(self, exc: BaseException | None = None) -> bool:
        """Counts a failed call; logs (with `exc` and its traceback) only the one that starts an
        outage, and says whether this one did."""
        with self._lock:
            self._failures += 1
            self._last = time.monotonic()
            if self._since is not None:
                return False
            self._since, self._failures = self._last, 1
        reason = f": {type(exc).__name__}: {exc}" if exc is not None else ""
        self._logger.log(self._level, "%s unavailable%s", self.what, reason, exc_info=exc)
        return True

    def recovered(self) -> bool:
        """Ends an outage, if one is on, with one line; says whether this call ended it."""
        if self._since is None:
            return False
        with self._lock:
            if self._since is None:
                return False  # another thread's success ended it meanwhile
            seconds, failures = time.monotonic() - self._since, self._failures
            self._since, self._failures = None, 0
        self._logger.log(
            self._level, "%s available again after %.1f s (%d failed call(s))", self.what, seconds, failures
        )
        return True


# The database as every request sees it: the API's 503 path, the readiness check and the first new
# connection after an outage (common.apps connects `database_reachable` to connection_created).
database_fault = FaultLog("database", logging.getLogger("common.db_errors"))


def database_reachable(**kwargs: object) -> None:
    database_fault.recovered()
