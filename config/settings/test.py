from config.databases import embedded_database

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASE_OPTIONS, DATABASE_URL

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Tasks run in-process unless a test asks for the real broker (fixture `celery_broker`).
CELERY_TASK_ALWAYS_EAGER = True

if not DATABASE_URL:
    DATABASES = {"default": embedded_database(BASE_DIR / ".pgdata", **DATABASE_OPTIONS)}
