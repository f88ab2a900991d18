"""gunicorn for production: threads share a process's persistent database connections."""

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
errorlog = "-"
