"""Production settings pass `manage.py check --deploy` and keep cookies, HSTS and HTTPS strict (issue 7).

Each check runs in a subprocess with DJANGO_SETTINGS_MODULE=config.settings.production, as `.ci/run`
does: the test process itself keeps its test settings. No database or broker is contacted, so the
tests run on a machine without PostgreSQL or Redis (DATABASE_URL names a server nobody connects to).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment of `.ci/run`'s deploy check; anything the caller's shell set for the test
    profile (DEBUG, DATABASE_URL, REDIS_URL, security switches) is removed so it cannot leak in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "ALLOWED_HOSTS",
            "SECRET_KEY",
            "LOG_FORMAT",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests' own switch, never a deployment's
        }
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "gongji.example.gov.cn",
            # Named, not reached: the checks connect to no database.
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/gongji_deploy_check",
        }
    )
    env.update(overrides)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_on_a_weakened_setting(tmp_path):
    """The control: the same command does fail when production is made insecure, so the clean run
    above means something."""
    env = production_env(tmp_path, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout  # SECURE_SSL_REDIRECT
    assert "security.W004" in result.stderr + result.stdout  # SECURE_HSTS_SECONDS


PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({name: getattr(settings, name) for name in %r}))
"""

SETTING_NAMES = [
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_PROXY_SSL_HEADER",
    "X_FRAME_OPTIONS",
    "ALLOWED_HOSTS",
    "MIDDLEWARE",
    "LOG_FORMAT",
    "LOGGING",
    "SECURE_REDIRECT_EXEMPT",
    "REST_FRAMEWORK",
]


@pytest.fixture(scope="module")
def production_settings(tmp_path_factory) -> dict:
    env = production_env(tmp_path_factory.mktemp("prod"), DEBUG="true")  # DEBUG=true in the env is ignored
    result = run(["-c", PRINT_SETTINGS % SETTING_NAMES], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_never_runs_in_debug(production_settings):
    assert production_settings["DEBUG"] is False


def test_session_and_csrf_cookies_are_secure(production_settings):
    assert production_settings["SESSION_COOKIE_SECURE"] is True
    assert production_settings["SESSION_COOKIE_HTTPONLY"] is True
    assert production_settings["CSRF_COOKIE_SECURE"] is True


def test_https_is_enforced_with_hsts(production_settings):
    assert production_settings["SECURE_SSL_REDIRECT"] is True
    assert production_settings["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert production_settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production_settings["SECURE_HSTS_PRELOAD"] is True
    assert production_settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_other_browser_protections_are_on(production_settings):
    assert production_settings["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert production_settings["X_FRAME_OPTIONS"] == "DENY"
    assert production_settings["ALLOWED_HOSTS"] == ["gongji.example.gov.cn"]
    middleware = production_settings["MIDDLEWARE"]
    for needed in (
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ):
        assert needed in middleware


def test_production_logs_one_json_object_a_line_and_probes_skip_the_https_redirect(production_settings):
    assert production_settings["LOG_FORMAT"] == "json"
    assert production_settings["LOGGING"]["handlers"]["console"]["formatter"] == "json"
    assert production_settings["MIDDLEWARE"][0] == "common.request_id.RequestIdMiddleware"
    assert production_settings["SECURE_REDIRECT_EXEMPT"] == ["^healthz$", "^readyz$"]


def test_production_refuses_an_unknown_log_format(tmp_path):
    result = run(["manage.py", "check"], production_env(tmp_path, LOG_FORMAT="xml"))

    assert result.returncode != 0
    assert "LOG_FORMAT must be text or json" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]

    result = run(["manage.py", "check"], env)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_behind_its_proxy_production_counts_the_address_the_proxy_appended(production_settings):
    """gunicorn listens on loopback behind nginx: with NUM_PROXIES 0 every client would share the
    proxy's address, and one rate limit."""
    assert production_settings["REST_FRAMEWORK"]["NUM_PROXIES"] == 1
