"""gunicorn for production: threads share a process's persistent database connections."""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = 30
graceful_timeout = 20
keepalive = 5
# The app is imported once, in the master, and workers are forked from it: a worker recycled after
# max_requests (a guard against slow leaks) costs a fork, not a second of CPU re-importing Django,
# which at full load had cost a few per cent of the machine. Nothing connects at import time.
preload_app = True
max_requests = 50_000
max_requests_jitter = 5_000
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# gunicorn's own format, then the time taken and the request id (common/request_id.py) that the
# request's log lines carry.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %({x-request-id}o)s'
errorlog = "-"


# Python's cycle collector and the fork, as the gc module's documentation advises: no collection in
# the master while the app loads, the loaded app frozen out of every later collection (the workers
# share its memory pages instead of touching them), frozen again before each fork, collection on
# in the master once the app is frozen and in the workers.
# A request leaves about a hundred objects in reference cycles (DRF's request, view and response
# point at one another), so the workers do collect; collecting young objects every 10,000
# allocations instead of 700 halved the collector's time, from 0.20 to 0.10 ms a request.
gc.disable()


def when_ready(server):
    gc.freeze()
    gc.enable()


def pre_fork(server, worker):
    gc.freeze()


def post_fork(server, worker):
    gc.set_threshold(10_000, 10, 10)
    gc.enable()
