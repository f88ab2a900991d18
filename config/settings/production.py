from .base import *  # noqa: F403
from .base import DATABASE_OPTIONS, LOGGING, database_config, env, log_format

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
DATABASES = {"default": database_config(env("DATABASE_URL"), **DATABASE_OPTIONS)}
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# One JSON object a log line, for the log shipper; LOG_FORMAT=text for a person reading.
LOG_FORMAT = log_format(default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
