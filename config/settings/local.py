from config.databases import embedded_database

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASE_OPTIONS, DATABASE_URL, env

DEBUG = env.bool("DEBUG", default=True)

if not DATABASE_URL:
    DATABASES = {"default": embedded_database(BASE_DIR / ".pgdata", **DATABASE_OPTIONS)}
