"""The benchmark's profile (bench/RESULTS.md): the production settings, served over loopback HTTP.

Only what a loopback run without TLS needs differs from production; every default can still be
overridden from the environment. The benchmark uses its own database and Redis db 9.
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-5f1c0e2b9a7d4c3e8b6a1f0d2c4e6a8b0d2f4a6c8e")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gongji_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from .production import *  # noqa: E402, F403
from .production import env  # noqa: E402

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
