from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Tasks run in-process unless a test asks for the real broker (fixture `celery_broker`).
CELERY_TASK_ALWAYS_EAGER = True
