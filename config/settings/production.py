from .base import *  # noqa: F403
from .base import DATABASE_OPTIONS, LOGGING, REST_FRAMEWORK, database_config, env, log_format

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

# gunicorn listens on loopback behind the proxy (deploy/): the client is the address it appended to
# X-Forwarded-For. With 0 every client would be the proxy's address, one rate limit for all.
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": env.int("NUM_PROXIES", default=1)}
