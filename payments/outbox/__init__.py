"""The outbox: hands committed payments' sync work to Celery, at least once, never lost.

A payment writes its outbox row in its own transaction: the open rows are the queue of syncs to do,
kept in the database, so nothing is lost with the broker or a worker. After the commit the payment
only makes sure a drain is running: a drain task syncs open rows in batches (payments/services/sync.py)
until none is left. One cache flag, added atomically, marks a drain as running, so a payment made
while one runs publishes nothing and its row joins the next batch; the flag expires if its drain dies.
Rows still open after a grace period (the broker was down, a drain died) make the periodic relay
start another drain. A sync may so run twice; it is idempotent.
"""

import datetime

# How long a row published straight after its commit may stay open before the relay publishes it again.
RELAY_GRACE = datetime.timedelta(seconds=30)
DRAIN_FLAG = "payments:enrollment-sync:drain"
# A running drain renews its flag every batch; a dead one's flag is gone after this many seconds.
DRAIN_FLAG_TTL = 5
# A drain that found fewer rows than a batch waits this long for more before looking again: under
# load, payments then share batches (and tasks) instead of each starting its own.
DRAIN_PAUSE = 0.05
