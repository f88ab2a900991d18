"""The collection-season benchmark, end to end, in one run (bench/RESULTS.md).

1. a world on PostgreSQL (bench/generate.py), unless --reuse finds one;
2. gunicorn (config.settings.bench: production settings over loopback HTTP), a real Celery worker
   and Celery beat (its rounds deliver the notices and relay the outbox) on Redis db 9;
3. at each concurrency, each phase after a CHECKPOINT: the framework ceiling (GET /api/v1/me/ with
   token auth), then the payment load (wrk posting authorizer payments and self-payments with
   Idempotency-Keys, 1 % of them replayed), then the wait until every payment has synced to its
   enrollment, then the limit: pgbench running bench/pgbench_payment.sql at the same concurrency;
   then the settlement flow over HTTP (bench/settle_load.py: a relative's one-time code, then a
   terminal's settlement with it, 1 % of settlements sent again), then its limit: pgbench running
   bench/pgbench_settlement.sql (the same two function calls) at the same concurrency;
4. a day's statement of the hospital with `--statement-settlements` settlements on one day, over
   HTTP and in-process (bench/statement.py);
5. the expenditure review CSV over every payment (time to first byte, total, peak worker memory);
6. a profile of the payment path (bench/profile_payment.py) and of the settlement flow
   (bench/profile_settlement.py);
7. the correctness check (bench/check.py): the run exits 1 on any anomaly, on any 5xx answer, if
   a phase paid or settled nothing, or if a replayed settlement was not answered the first way.

Figures go to bench/out/results-<name>.json and bench/out/summary-<name>.md; --write-results puts
the summary into bench/RESULTS.md between its markers.

    python bench/run.py                 # the full run: 1,000,000 insurees, 60 s per load phase
    python bench/run.py --smoke         # what CI runs: 20,000 insurees, 3-5 s per load phase
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH, OUT, ROOT, database_url, say  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
REDIS_URL = "redis://127.0.0.1:6379/9"
RESULTS_MD = BENCH / "RESULTS.md"
BEGIN_MARK, END_MARK = "<!-- bench:begin -->", "<!-- bench:end -->"
SEASON_PAYMENTS = 3_500_000  # Jiangsu, 2024: premiums paid from relatives' personal accounts


@dataclass
class Config:
    name: str
    db: str
    insurees: int
    duration: int
    get_duration: int
    pgbench_duration: int
    connections: list[int]
    workers: int
    threads: int
    port: int
    profile_payments: int
    profile_flows: int
    sync_timeout: int
    reuse: bool
    settle_duration: int = 60
    settle_pgbench_duration: int = 30
    statement_settlements: int = 100_000
    replay_share: float = 0.01
    self_share: float = 0.5
    extra: dict = field(default_factory=dict)


# --- processes ---------------------------------------------------------------------------------------


def bench_env(cfg: Config) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "DATABASE_URL": database_url(cfg.db),
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "GUNICORN_BIND": f"127.0.0.1:{cfg.port}",
        "GUNICORN_WORKERS": str(cfg.workers),
        "GUNICORN_THREADS": str(cfg.threads),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("GUNICORN_ACCESS_LOG", None)
    return env


def run(cmd: list[str], cfg: Config, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=bench_env(cfg), check=True, **kwargs)  # noqa: PLW1510


def psql(cfg: Config, sql: str, db: str | None = None) -> str:
    result = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            db or cfg.db,
            "-v",
            "ON_ERROR_STOP=1",
            "-qAtc",
            sql,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


class Service:
    """A child process in its own process group, stopped with the group at the end."""

    def __init__(self, name: str, cmd: list[str], cfg: Config):
        self.name = name
        self.log = OUT / f"{cfg.name}-{name}.log"
        self.process = subprocess.Popen(  # noqa: S603 - fixed command lines
            cmd,
            cwd=ROOT,
            env=bench_env(cfg),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def pids_of_group(root_pid: int) -> list[int]:
    """The process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: list[int], with_reaped_children: bool = True) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            if with_reaped_children:
                total += int(fields[13]) + int(fields[14])
    return total / ticks


def postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
    return found


def machine_cpu_seconds() -> float:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    busy = sum(int(v) for k, v in enumerate(fields) if k not in (3, 4))  # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds spent by each part of the stack during a phase, and by the rest of the machine.

    PostgreSQL's backends come and go within a phase (a connection older than CONN_MAX_AGE is
    replaced), taking their CPU time with them: they are sampled four times a second and a backend
    that has exited keeps the last time seen.
    """

    def __init__(self, groups: dict[str, int | None]):
        self.groups = groups
        self._backends: dict[tuple[int, str], float] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._watch_postgres, daemon=True).start()

    def _watch_postgres(self) -> None:
        while True:
            self._sample_postgres()
            time.sleep(0.25)

    def _sample_postgres(self) -> float:
        ticks = os.sysconf("SC_CLK_TCK")
        with self._lock:
            for pid in postgres_pids():
                with contextlib.suppress(OSError):
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    # (pid, start time) names one process even if its pid is reused later.
                    self._backends[pid, fields[19]] = (int(fields[11]) + int(fields[12])) / ticks
            return sum(self._backends.values())

    def snapshot(self) -> dict[str, float]:
        snap = {
            "machine": machine_cpu_seconds(),
            "postgres (all databases)": self._sample_postgres(),
        }
        for name, pid in self.groups.items():
            if pid:
                snap[name] = cpu_seconds(pids_of_group(pid))
        return snap

    @staticmethod
    def share(before: dict[str, float], after: dict[str, float], wall: float) -> dict[str, float]:
        used = {name: (after[name] - before.get(name, 0.0)) / wall for name in after}
        ours = sum(v for k, v in used.items() if k != "machine")
        used["everything else on the machine"] = max(0.0, used["machine"] - ours)
        return {name: round(100 * v, 1) for name, v in used.items()}


class WaitSampler(threading.Thread):
    """Samples what the benchmark database's backends are doing, twice a second."""

    def __init__(self, cfg: Config):
        super().__init__(daemon=True)
        self.cfg, self.samples, self.stop_flag = cfg, {}, threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={self.cfg.db}", autocommit=True) as conn:
            while not self.stop_flag.wait(0.5):
                rows = conn.execute(
                    "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU (running)'), state "
                    "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND state <> 'idle'"
                ).fetchall()
                for event, state in rows:
                    key = (
                        "idle in transaction (waiting for the client)"
                        if state.startswith("idle in")
                        else event
                    )
                    self.samples[key] = self.samples.get(key, 0) + 1
                self.samples["_ticks"] = self.samples.get("_ticks", 0) + 1

    def result(self) -> dict[str, float]:
        self.stop_flag.set()
        self.join()
        ticks = max(1, self.samples.pop("_ticks", 1))
        return {k: round(v / ticks, 2) for k, v in sorted(self.samples.items(), key=lambda kv: -kv[1])}


# --- the world ----------------------------------------------------------------------------------------


def prepare_world(cfg: Config) -> dict[str, str]:
    exists = psql(cfg, f"SELECT 1 FROM pg_database WHERE datname = '{cfg.db}'", db="postgres") == "1"
    if cfg.reuse and exists:
        with contextlib.suppress(subprocess.CalledProcessError):
            meta = dict(
                line.split("|", 1) for line in psql(cfg, "SELECT key, value FROM bench_meta").splitlines()
            )
            same_day = int(meta.get("statement_settlements", -1)) == cfg.statement_settlements
            if int(meta["insurees"]) == cfg.insurees and same_day:
                say(f"reusing the world in {cfg.db} (generated {meta['generated_at']})")
                return meta
    say(f"creating database {cfg.db}")
    psql(cfg, f"DROP DATABASE IF EXISTS {cfg.db} WITH (FORCE)", db="postgres")
    psql(cfg, f"CREATE DATABASE {cfg.db}", db="postgres")
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cfg)
    started = time.monotonic()
    run(
        [
            PYTHON,
            "bench/generate.py",
            "--insurees",
            str(cfg.insurees),
            "--db",
            cfg.db,
            "--statement-settlements",
            str(cfg.statement_settlements),
        ],
        cfg,
    )
    cfg.extra["generate_seconds"] = round(time.monotonic() - started, 1)
    return dict(line.split("|", 1) for line in psql(cfg, "SELECT key, value FROM bench_meta").splitlines())


def items_file(cfg: Config, year: int, limit: int, path: Path, seed: int) -> int:
    """Requests for beneficiaries not paid for yet this year; 1 % of them sent again later (replays)."""
    rows = psql(
        cfg,
        f"""SELECT kind, token, beneficiary_id_number, id FROM bench_portal_pool p
            WHERE pool = 'load' AND NOT EXISTS (
                SELECT 1 FROM payments_payment x WHERE x.beneficiary_id = p.beneficiary_id AND x.year = {year})
            ORDER BY id LIMIT {limit}""",
    ).splitlines()
    lines = []
    for row in rows:
        kind, token, id_number, pool_id = row.split("|")
        key = f"bench-{seed}-{pool_id}"
        if kind == "a":
            body = json.dumps({"beneficiary_id_number": id_number, "year": year})
            lines.append(f"POST\t/api/v1/payments/\t{token}\t{key}\t{body}")
        else:
            lines.append(f"POST\t/api/v1/payments/self/\t{token}\t{key}\t{json.dumps({'year': year})}")
    rng = random.Random(seed)
    out = []
    for k, line in enumerate(lines):
        out.append(line)
        # a client that lost the answer sends the same request again, 500 requests later
        if k >= 500 and rng.random() < cfg.replay_share:
            out.append(lines[k - 500])
    path.write_text("\n".join(out) + "\n")
    return len(rows)


def get_items_file(cfg: Config, path: Path) -> None:
    tokens = psql(cfg, "SELECT DISTINCT token FROM bench_portal_pool LIMIT 5000").splitlines()
    path.write_text("".join(f"GET\t/api/v1/me/\t{t}\t-\t\n" for t in tokens))


def wrk(cfg: Config, connections: int, duration: int, items: Path) -> dict:
    threads = 2
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(BENCH / "wrk_items.lua"),
            f"http://127.0.0.1:{cfg.port}",
            "--",
            str(items),
            str(threads),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line.removeprefix("BENCH_JSON "))
            seconds = data["duration_us"] / 1e6
            ok = data["statuses"].get("200", 0) + data["statuses"].get("201", 0)
            errors = data["requests"] - ok + data["errors"]["timeout"] + data["errors"]["connect"]
            return {
                "requests": data["requests"],
                "seconds": round(seconds, 2),
                "rps": round(data["requests"] / seconds, 1),
                "p50_ms": round(data["latency_us"]["p50"] / 1000, 1),
                "p95_ms": round(data["latency_us"]["p95"] / 1000, 1),
                "p99_ms": round(data["latency_us"]["p99"] / 1000, 1),
                "max_ms": round(data["latency_us"]["max"] / 1000, 1),
                "statuses": data["statuses"],
                "socket_errors": data["errors"],
                "errors": errors,
                "replays_after_wrap": data["replays"],
                "lines": data["lines"],
            }
    raise RuntimeError(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")


def db_now(cfg: Config) -> str:
    return psql(cfg, "SELECT now()")


def wait_synced(cfg: Config, since: str, timeout: int) -> tuple[float, int]:
    started = time.monotonic()
    while True:
        pending = int(
            psql(
                cfg,
                f"""SELECT count(*) FROM payments_payment
            WHERE created_at >= '{since}' AND reference LIKE 'GJ%' AND enrollment_synced_at IS NULL""",
            )
        )
        if pending == 0 or time.monotonic() - started > timeout:
            return round(time.monotonic() - started, 1), pending
        time.sleep(0.5)


def sync_lag(cfg: Config, start: str, end: str) -> dict:
    row = psql(
        cfg,
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE channel = 'self'),
               round(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM enrollment_synced_at - created_at))::numeric, 1),
               round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM enrollment_synced_at - created_at))::numeric, 1),
               round(1000 * max(extract(epoch FROM enrollment_synced_at - created_at))::numeric, 1),
               count(*) FILTER (WHERE enrollment_synced_at IS NULL)
        FROM payments_payment WHERE reference LIKE 'GJ%' AND created_at >= '{start}' AND created_at < '{end}'
    """,
    )  # noqa: E501
    count, self_count, p50, p99, worst, unsynced = row.split("|")
    return {
        "payments": int(count),
        "self_payments": int(self_count),
        "sync_lag_p50_ms": float(p50 or 0),
        "sync_lag_p99_ms": float(p99 or 0),
        "sync_lag_max_ms": float(worst or 0),
        "unsynced": int(unsynced),
    }


def notices_delivery(cfg: Config, start: str, end: str, timeout: float = 60) -> dict:
    """The notices written in [start, end): how long each took to leave through the notices' relay
    (beat's round), once every one has left or `timeout` has passed."""
    written = f"FROM notices_notice WHERE created_at >= '{start}' AND created_at < '{end}'"
    started = time.monotonic()
    while int(psql(cfg, f"SELECT count(*) {written} AND delivered_at IS NULL")):  # noqa: S608 - our own SQL
        if time.monotonic() - started > timeout:
            break
        time.sleep(0.5)
    lag = "extract(epoch FROM delivered_at - created_at)"
    row = psql(
        cfg,
        f"""SELECT count(*),
               round(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY {lag})::numeric, 1),
               round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY {lag})::numeric, 1),
               count(*) FILTER (WHERE delivered_at IS NULL)
        {written}""",  # noqa: S608 - our own SQL
    )
    count, p50, p99, undelivered = row.split("|")
    return {
        "notices": int(count),
        "lag_p50_ms": float(p50 or 0),
        "lag_p99_ms": float(p99 or 0),
        "undelivered": int(undelivered),
    }


def wait_http(cfg: Config, token: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", cfg.port, timeout=5)
            conn.request("GET", "/api/v1/me/", headers={"Authorization": f"Token {token}"})
            if conn.getresponse().status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer")


def wait_worker(cfg: Config, service: Service, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.alive():
            raise RuntimeError(f"the Celery worker exited; see {service.log}")
        result = subprocess.run(
            [str(VENV_BIN / "celery"), "-A", "config", "inspect", "ping", "-t", "2"],
            cwd=ROOT,
            env=bench_env(cfg),
            capture_output=True,
            text=True,
        )
        if result.returncode == 0 and "pong" in result.stdout:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the Celery worker did not answer; see {service.log}")


def csv_export(cfg: Config, token: str, gunicorn_pid: int) -> dict:
    """Streams the whole review CSV; samples the workers' memory meanwhile."""
    workers = [p for p in pids_of_group(gunicorn_pid) if p != gunicorn_pid]

    def rss(pid: int) -> int:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    baseline = {pid: rss(pid) for pid in workers}
    peak = dict(baseline)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            for pid in workers:
                peak[pid] = max(peak[pid], rss(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", cfg.port, timeout=600)
    conn.request("GET", "/api/v1/admin-api/expenditures.csv", headers={"Authorization": f"Token {token}"})
    response = conn.getresponse()
    first = response.read(1)
    ttfb = time.monotonic() - started
    size, lines = len(first), first.count(b"\n")
    first_row = None  # the header comes at once; the first payment's row once the query yields it
    while chunk := response.read(1 << 16):
        size += len(chunk)
        lines += chunk.count(b"\n")
        if first_row is None and lines >= 2:
            first_row = time.monotonic() - started
    total = time.monotonic() - started
    done.set()
    sampler.join()
    growth = max((peak[p] - baseline[p] for p in workers), default=0)
    return {
        "status": response.status,
        "rows": max(0, lines - 1),
        "megabytes": round(size / 1e6, 1),
        "ttfb_s": round(ttfb, 2),
        "first_row_s": round(first_row or total, 2),
        "total_s": round(total, 1),
        "rows_per_s": round(max(0, lines - 1) / total),
        "worker_rss_before_mb": round(max(baseline.values(), default=0) / 1e6, 1),
        "worker_rss_peak_mb": round(max(peak.values(), default=0) / 1e6, 1),
        "worker_rss_growth_mb": round(growth / 1e6, 1),
    }


def pgbench(cfg: Config, clients: int, meta: dict) -> dict:
    psql(cfg, BENCH_PAY)
    result = pgbench_run(
        cfg,
        clients,
        "pgbench_payment.sql",
        {"pool": meta["pgbench_pool"], "year0": meta["year"]},
        "SELECT count(*) FROM payments_payment WHERE reference LIKE 'PB%'",
        cfg.pgbench_duration,
    )
    # Transactions the balance could not cover roll back, as the portal refuses them.
    result["refused_insufficient_balance"] = result.pop("refused")
    return result


def pgbench_settle(cfg: Config, clients: int, meta: dict) -> dict:
    """The settlement flow as PostgreSQL alone does it (bench/pgbench_settlement.sql): tps are flows, a
    code issued and a bill settled with it."""
    result = pgbench_run(
        cfg,
        clients,
        "pgbench_settlement.sql",
        {"pool": meta["pgbench_settle_pool"]},
        "SELECT count(*) FROM medical_settlement WHERE settlement_id LIKE 'PGS%'",
        cfg.settle_pgbench_duration,
    )
    result["settlements"] = result.pop("made")
    return result


def pgbench_run(cfg: Config, clients: int, script: str, defines: dict, count_sql: str, duration: int) -> dict:
    """pgbench on `script` for `duration` seconds; `count_sql` counts what its transactions made."""
    prefix = OUT / f"{cfg.name}-{Path(script).stem}-c{clients}"
    for old in OUT.glob(f"{prefix.name}.*"):
        old.unlink()
    paid_before = int(psql(cfg, count_sql))
    variables = [arg for name, value in defines.items() for arg in ("-D", f"{name}={value}")]
    result = subprocess.run(
        [
            "pgbench",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-n",
            "-M",
            "prepared",
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(duration),
            "-f",
            str(BENCH / script),
            *variables,
            "-l",
            f"--log-prefix={prefix}",
            cfg.db,
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{result.stdout}\n{result.stderr}")
    tps = failed = 0.0
    for line in result.stdout.splitlines():
        if line.startswith("tps ="):
            tps = float(line.split()[2])
        if line.startswith("number of failed transactions"):
            failed = int(line.split(":")[1].split()[0])
    latencies = []
    for log in OUT.glob(f"{prefix.name}.*"):
        for line in log.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                latencies.append(int(parts[2]))
        log.unlink()
    latencies.sort()
    paid = int(psql(cfg, count_sql)) - paid_before

    def pct(q: float) -> float:
        return (
            round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1000, 1) if latencies else 0.0
        )

    return {
        "tps": round(tps, 1),
        "transactions": len(latencies),
        "failed": failed,
        "made": paid,
        "refused": len(latencies) - paid,
        "p50_ms": pct(0.5),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
    }


def settle_files(cfg: Config) -> tuple[Path, Path]:
    """The relatives' phones' tokens and the terminals' tokens, for bench/settle_load.py."""
    relatives, terminals = OUT / f"{cfg.name}-settle-relatives.txt", OUT / f"{cfg.name}-settle-terminals.txt"
    relatives.write_text(psql(cfg, "SELECT token FROM bench_settle_pool ORDER BY id") + "\n")
    terminals.write_text(psql(cfg, "SELECT token FROM bench_terminal_pool ORDER BY id") + "\n")
    return relatives, terminals


def settle_load(
    cfg: Config, connections: int, duration: int, files: tuple[Path, Path], prefix: str, offset: int
) -> dict:
    """The settlement flow over HTTP (bench/settle_load.py); new settlements counted in the database."""
    count_sql = f"SELECT count(*) FROM medical_settlement WHERE settlement_id LIKE '{prefix}-%'"
    before = int(psql(cfg, count_sql))
    result = subprocess.run(
        [
            PYTHON,
            str(BENCH / "settle_load.py"),
            "--port",
            str(cfg.port),
            "--connections",
            str(connections),
            "--duration",
            str(duration),
            "--relatives",
            str(files[0]),
            "--terminals",
            str(files[1]),
            "--prefix",
            prefix,
            "--offset",
            str(offset),
            "--seed",
            prefix,
        ],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"the settlement load failed:\n{result.stdout}\n{result.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    data["settlements_made"] = int(psql(cfg, count_sql)) - before
    data["settlements_per_s"] = round(data["settlements_made"] / data["seconds"], 1)
    data["errors"] = sum(
        count
        for part in ("vouchers", "settlements", "replays")
        for status, count in data[part]["statuses"].items()
        if status not in ("200", "201")
    ) + sum(data["socket_errors"].values())
    return data


def statement_http(cfg: Config, meta: dict) -> dict:
    """GET institution/statements/{date}/ by a terminal of the statement's hospital: first, then best of 5."""
    token = psql(
        cfg,
        "SELECT t.key FROM authtoken_token t JOIN medical_institutionterminal m ON m.user_id = t.user_id "
        f"WHERE m.institution_id = {int(meta['statement_institution_id'])} ORDER BY t.key LIMIT 1",
    )
    conn = http.client.HTTPConnection("127.0.0.1", cfg.port, timeout=60)
    times, statuses, answer = [], [], b""
    for _n in range(6):
        started = time.monotonic()
        conn.request(
            "GET",
            f"/api/v1/institution/statements/{meta['statement_date']}/",
            headers={"Authorization": f"Token {token}"},
        )
        response = conn.getresponse()
        answer = response.read()
        times.append(round(1000 * (time.monotonic() - started), 1))
        statuses.append(response.status)
    return {
        "statuses": statuses,
        "first_ms": times[0],
        "best_of_5_ms": min(times[1:]),
        "answer": answer.decode(),
    }


def checkpoint(cfg: Config) -> None:
    """Each measured phase starts with no dirty pages left by the one before (or by the world's
    generation, gigabytes of them), so no phase pays for another's writes."""
    psql(cfg, "CHECKPOINT")


def sync_pgbench_payments(cfg: Config) -> int:
    """pgbench's payments have outbox rows but no worker: the worker's own sync function drains them."""
    psql(cfg, "ANALYZE payments_payment; ANALYZE payments_outboxmessage; ANALYZE insurees_enrollment")
    synced = 0
    while True:
        batch = int(
            psql(cfg, "SELECT count(*) FROM payments_sync_enrollments(NULL, 5000, now())").splitlines()[-1]
        )
        synced += batch
        if not batch:
            return synced


# pgbench's entry to the payment (bench/pgbench_payment.sql): payments_pay as the portal calls it, with
# a refusal (SQLSTATE GJ001) answered by no row, as the portal answers it by a 4xx, instead of an error
# that would stop the pgbench client. Its exception block costs pgbench one subtransaction per payment.
BENCH_PAY = """
CREATE OR REPLACE FUNCTION bench_pay(
    p_user_id integer, p_key text, p_person_id bigint, p_id_numbers text[], p_year integer, p_channel text,
    p_reference text, p_code text
) RETURNS SETOF payments_paid LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT * FROM payments_pay(
        p_user_id, p_key, '5000ms', p_person_id, p_id_numbers, p_year, p_channel, NULL, '',
        (now() AT TIME ZONE 'Asia/Shanghai')::date, now(), ARRAY[p_reference], ARRAY[p_code]
    );
EXCEPTION WHEN SQLSTATE 'GJ001' THEN
    RETURN;
END;
$$;
"""


# --- the run ------------------------------------------------------------------------------------------


def machine() -> dict:
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    pg = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-Atc",
            "SELECT version(); SHOW shared_buffers; SHOW max_connections; SHOW synchronous_commit",
        ],
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(int(mem) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": pg[0].split(" on ")[0] if pg else "",
        "shared_buffers": pg[1] if len(pg) > 1 else "",
        "max_connections": pg[2] if len(pg) > 2 else "",
        "synchronous_commit": pg[3] if len(pg) > 3 else "",
        "load_average_at_start": os.getloadavg(),
    }


def benchmark(cfg: Config) -> dict:  # noqa: PLR0915 - the run, step by step
    OUT.mkdir(exist_ok=True)
    for tool in ("wrk", "pgbench", "psql", "redis-cli"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: `make bench-tools` installs it")
    results: dict = {
        "name": cfg.name,
        "machine": machine(),
        "config": {
            "insurees": cfg.insurees,
            "duration_s": cfg.duration,
            "get_duration_s": cfg.get_duration,
            "pgbench_duration_s": cfg.pgbench_duration,
            "connections": cfg.connections,
            "gunicorn": f"gthread, {cfg.workers} workers x {cfg.threads} threads",
            "db": cfg.db,
            "celery": "prefork, concurrency 2, Redis db 9",
        },
    }
    meta = prepare_world(cfg)
    results["world"] = {k: v for k, v in meta.items() if k != "auditor_token"}
    results["world"]["generate_seconds"] = cfg.extra.get("generate_seconds")
    results["world"]["database_size"] = psql(
        cfg, "SELECT pg_size_pretty(pg_database_size(current_database()))"
    )
    year = int(meta["year"])
    subprocess.run(["redis-cli", "-n", "9", "FLUSHDB"], check=True, capture_output=True)

    worker = Service(
        "celery",
        [
            str(VENV_BIN / "celery"),
            "-A",
            "config",
            "worker",
            "-l",
            "WARNING",
            "--concurrency",
            "2",
            "-n",
            f"bench-{cfg.name}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cfg,
    )
    # Beat, as in production: its rounds deliver the notices every settlement and payment writes (the
    # worker's CPU counts them) and relay the outbox.
    beat_schedule = OUT / f"{cfg.name}-celerybeat-schedule"
    beat_schedule.unlink(missing_ok=True)
    beat = Service(
        "beat",
        [str(VENV_BIN / "celery"), "-A", "config", "beat", "-l", "WARNING", "-s", str(beat_schedule)],
        cfg,
    )
    gunicorn = Service("gunicorn", [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "config.wsgi"], cfg)
    services = [worker, beat, gunicorn]
    anomalies_exit = 0
    try:
        wait_worker(cfg, worker)
        some_token = psql(cfg, "SELECT token FROM bench_portal_pool LIMIT 1")
        wait_http(cfg, some_token)
        say(f"gunicorn on :{cfg.port} ({cfg.workers}x{cfg.threads} gthread), Celery worker and beat up")
        meter = CpuMeter(
            {
                "gunicorn": gunicorn.process.pid,
                "celery worker": worker.process.pid,
                "celery beat": beat.process.pid,
            }
        )

        get_items = OUT / f"{cfg.name}-items-get.tsv"
        get_items_file(cfg, get_items)
        warm = OUT / f"{cfg.name}-items-warmup.tsv"
        items_file(cfg, year, 300, warm, seed=0)
        wrk(cfg, 8, 2, get_items)
        wrk(cfg, 8, 2, warm)
        # Settlement ids and keys of this run: a reused world keeps earlier runs' settlements.
        run_tag = f"B{int(time.time()) % 10**8:08d}"
        settle_pool = settle_files(cfg)
        pool_size = int(meta["settle_pool"])
        # Each phase, and the warm-up, takes relatives from its own part of the pool.
        settle_offsets = [
            k * pool_size // (len(cfg.connections) + 1) for k in range(len(cfg.connections) + 1)
        ]
        settle_load(cfg, 4, 2, settle_pool, f"{run_tag}w", settle_offsets[-1])
        wait_synced(cfg, "-infinity", cfg.sync_timeout)
        say("warmed up")

        results["phases"] = []
        results["pgbench_synced_in_bulk"] = 0
        for c in cfg.connections:
            phase: dict = {"connections": c}
            checkpoint(cfg)
            before, t0 = meter.snapshot(), time.monotonic()
            phase["me_get"] = wrk(cfg, c, cfg.get_duration, get_items)
            phase["me_get"]["cpu_percent"] = meter.share(before, meter.snapshot(), time.monotonic() - t0)
            say(
                f"c={c} GET /api/v1/me/: {phase['me_get']['rps']:,.0f} req/s, p99 {phase['me_get']['p99_ms']} ms"
            )

            items = OUT / f"{cfg.name}-items-pay-c{c}.tsv"
            available = items_file(cfg, year, 3000 * cfg.duration, items, seed=c)
            checkpoint(cfg)
            start = db_now(cfg)
            sampler = WaitSampler(cfg)
            sampler.start()
            before, t0 = meter.snapshot(), time.monotonic()
            pay = wrk(cfg, c, cfg.duration, items)
            pay["cpu_percent"] = meter.share(before, meter.snapshot(), time.monotonic() - t0)
            pay["db_backends"] = sampler.result()
            end = db_now(cfg)
            pay["drain_s"], pay["unsynced_after_drain"] = wait_synced(cfg, start, cfg.sync_timeout)
            pay.update(sync_lag(cfg, start, end))
            pay["payments_per_s"] = round(pay["payments"] / pay["seconds"], 1)
            pay["beneficiaries_available"] = available
            phase["payments"] = pay
            say(
                f"c={c} payments: {pay['rps']:,.0f} req/s ({pay['payments_per_s']:,.0f} new payments/s), "
                f"p50 {pay['p50_ms']} p95 {pay['p95_ms']} p99 {pay['p99_ms']} ms, errors {pay['errors']}, "
                f"sync lag p50 {pay['sync_lag_p50_ms']} p99 {pay['sync_lag_p99_ms']} ms"
            )

            # The limit at the same concurrency, right after (gunicorn idle meanwhile): the machine's
            # speed drifts within the hour, and adjacent phases see the same machine.
            checkpoint(cfg)
            before, t0 = meter.snapshot(), time.monotonic()
            phase["pgbench"] = pgbench(cfg, c, meta)
            phase["pgbench"]["cpu_percent"] = meter.share(before, meter.snapshot(), time.monotonic() - t0)
            phase["ratio_portal_to_pgbench"] = round(pay["payments_per_s"] / phase["pgbench"]["tps"], 3)
            # PostgreSQL's CPU per payment, the portal's against pgbench's doing the same call.
            phase["postgres_cpu_ms_per_payment"] = {
                "portal": round(
                    pay["cpu_percent"]["postgres (all databases)"] * 10 / pay["payments_per_s"], 3
                ),
                "pgbench": round(
                    phase["pgbench"]["cpu_percent"]["postgres (all databases)"]
                    * 10
                    / phase["pgbench"]["tps"],
                    3,
                ),
            }
            say(
                f"c={c} pgbench: {phase['pgbench']['tps']:,.0f} tps, p99 {phase['pgbench']['p99_ms']} ms; "
                f"portal/pgbench = {phase['ratio_portal_to_pgbench']}"
            )
            # Before the next phase, or the worker's drain would sync pgbench's payments during it.
            results["pgbench_synced_in_bulk"] += sync_pgbench_payments(cfg)

            # The settlement flow, then its limit, at the same concurrency.
            checkpoint(cfg)
            sampler = WaitSampler(cfg)
            sampler.start()
            before, t0, settle_start = meter.snapshot(), time.monotonic(), db_now(cfg)
            settle = settle_load(
                cfg,
                c,
                cfg.settle_duration,
                settle_pool,
                f"{run_tag}c{c}",
                settle_offsets[len(results["phases"])],
            )
            wall = time.monotonic() - t0
            settle["cpu_percent"] = meter.share(before, meter.snapshot(), wall)
            # The driver is a child that has exited by now: its own count of its CPU.
            driver = round(100 * settle["driver_cpu_s"] / wall, 1)
            settle["cpu_percent"]["load driver"] = driver
            rest = settle["cpu_percent"]["everything else on the machine"]
            settle["cpu_percent"]["everything else on the machine"] = round(max(0.0, rest - driver), 1)
            settle["db_backends"] = sampler.result()
            settle["notices"] = notices_delivery(cfg, settle_start, db_now(cfg))
            phase["settlements"] = settle
            checkpoint(cfg)
            before, t0 = meter.snapshot(), time.monotonic()
            phase["settle_pgbench"] = pgbench_settle(cfg, c, meta)
            phase["settle_pgbench"]["cpu_percent"] = meter.share(
                before, meter.snapshot(), time.monotonic() - t0
            )
            phase["settle_ratio"] = round(
                settle["settlements_per_s"] / max(phase["settle_pgbench"]["tps"], 0.1), 3
            )
            phase["postgres_cpu_ms_per_settlement"] = {
                "portal": round(
                    settle["cpu_percent"]["postgres (all databases)"]
                    * 10
                    / max(settle["settlements_per_s"], 0.1),
                    3,
                ),
                "pgbench": round(
                    phase["settle_pgbench"]["cpu_percent"]["postgres (all databases)"]
                    * 10
                    / max(phase["settle_pgbench"]["tps"], 0.1),
                    3,
                ),
            }
            say(
                f"c={c} settlements: {settle['settlements_per_s']:,.0f}/s, voucher p99 "
                f"{settle['vouchers']['p99_ms']} ms, settlement p50 {settle['settlements']['p50_ms']} "
                f"p99 {settle['settlements']['p99_ms']} ms, errors {settle['errors']}; pgbench "
                f"{phase['settle_pgbench']['tps']:,.0f} flows/s, p99 {phase['settle_pgbench']['p99_ms']} ms; "
                f"portal/pgbench = {phase['settle_ratio']}"
            )
            results["phases"].append(phase)

        say("a day's statement of the statement's hospital")
        results["statement"] = {"http": statement_http(cfg, meta)}
        statement_json = OUT / f"{cfg.name}-statement.json"
        run([PYTHON, "bench/statement.py", "--db", cfg.db, "--json", str(statement_json)], cfg)
        results["statement"].update(json.loads(statement_json.read_text()))

        auditor = meta["auditor_token"]
        say("expenditure review CSV over every payment")
        results["csv_export"] = csv_export(cfg, auditor, gunicorn.process.pid)
        say(f"  {results['csv_export']}")
        gunicorn.stop()

        say("profile of the payment path")
        profile_json = OUT / f"{cfg.name}-profile.json"
        run(
            [
                PYTHON,
                "bench/profile_payment.py",
                "--db",
                cfg.db,
                "--payments",
                str(cfg.profile_payments),
                "--json",
                str(profile_json),
                "--name",
                cfg.name,
            ],
            cfg,
        )
        results["profile"] = json.loads(profile_json.read_text())
        say("profile of the settlement flow")
        profile_json = OUT / f"{cfg.name}-profile-settlement.json"
        run(
            [
                PYTHON,
                "bench/profile_settlement.py",
                "--db",
                cfg.db,
                "--flows",
                str(cfg.profile_flows),
                "--json",
                str(profile_json),
                "--name",
                cfg.name,
                "--offset",
                str(settle_offsets[-1] + 100),
            ],
            cfg,
        )
        results["profile_settlement"] = json.loads(profile_json.read_text())
        wait_synced(cfg, "-infinity", cfg.sync_timeout)
    finally:
        for service in reversed(services):
            service.stop()

    say("correctness check")
    check_json = OUT / f"{cfg.name}-check.json"
    check = subprocess.run(
        [PYTHON, "bench/check.py", "--db", cfg.db, "--json", str(check_json)], cwd=ROOT, env=bench_env(cfg)
    )
    results["check"] = json.loads(check_json.read_text())
    anomalies_exit = check.returncode
    results["season"] = season(results)
    results["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
    results["exit"] = anomalies_exit
    return results


def season(results: dict) -> dict:
    best = max(results["phases"], key=lambda p: p["payments"]["payments_per_s"])
    rate = best["payments"]["payments_per_s"]
    return {
        "payments": SEASON_PAYMENTS,
        "best_rate_per_s": rate,
        "at_connections": best["connections"],
        "hours": round(SEASON_PAYMENTS / rate / 3600, 2) if rate else None,
    }


def summary_md(results: dict, command: str) -> str:
    m, w = results["machine"], results["world"]
    lines = [
        f"Run `{results['name']}` finished {results['finished_at']}: `{command}`",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}, Python "
        f"{m['python']}, {m['postgres']} (shared_buffers {m['shared_buffers']}, synchronous_commit "
        f"{m['synchronous_commit']}, max_connections {m['max_connections']}); load average at start "
        f"{', '.join(f'{x:.2f}' for x in m['load_average_at_start'])}.",
        f"Stack: {results['config']['gunicorn']}, config.settings.bench (production settings, no TLS "
        f"redirect), Celery {results['config']['celery']}; wrk 2 threads on loopback.",
        "",
        f"World: {int(w['insurees']):,} insurees ({int(w['employees']):,} employees, {int(w['residents']):,} "
        f"residents), {int(w['bindings']):,} bindings, {int(w['past_payments']):,} past payments; database "
        f"{w['database_size']}"
        + (f", generated in {w['generate_seconds']} s" if w.get("generate_seconds") else "")
        + f"; collecting {w['year']}. Medical: {int(w['institutions']):,} institutions with "
        f"{int(w['terminals']):,} terminals, {int(w['allowances']):,} allowances, {int(w['past_settlements']):,} "
        f"past settlements ({int(w['statement_settlements']):,} at one hospital on {w['statement_date']}).",
        "",
        "| connections | GET /me/ req/s (p99 ms) | payment req/s | new payments/s | p50 / p95 / p99 ms | errors "
        "| sync lag p50 / p99 ms | pgbench tps (p99 ms) | portal / pgbench |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in results["phases"]:
        g, pay, pg = p["me_get"], p["payments"], p["pgbench"]
        lines.append(
            f"| {p['connections']} | {g['rps']:,.0f} ({g['p99_ms']}) | {pay['rps']:,.0f} | {pay['payments_per_s']:,.0f} "
            f"| {pay['p50_ms']} / {pay['p95_ms']} / {pay['p99_ms']} | {pay['errors']} "
            f"| {pay['sync_lag_p50_ms']:,.0f} / {pay['sync_lag_p99_ms']:,.0f} | {pg['tps']:,.0f} ({pg['p99_ms']}) "
            f"| **{p['ratio_portal_to_pgbench']}** |"
        )
    lines.append("")
    for p in results["phases"]:
        pay = p["payments"]
        lines.append(
            f"- c={p['connections']}: statuses {pay['statuses']}, {pay['payments']:,} payments "
            f"({pay['self_payments']:,} self), sync drained {pay['drain_s']} s after the load; CPU % of one core "
            f"during the payments: {pay['cpu_percent']}; busy backends (mean): {pay['db_backends']}"
        )
        if "postgres_cpu_ms_per_payment" in p:
            cpu = p["postgres_cpu_ms_per_payment"]
            lines.append(
                f"- c={p['connections']}: PostgreSQL's CPU per payment {cpu['portal']} ms through the portal, "
                f"{cpu['pgbench']} ms under pgbench (the same call); during pgbench, CPU % of one core: "
                f"{p['pgbench']['cpu_percent']}"
            )
    lines += settlements_md(results)
    s = results["season"]
    lines += [
        "",
        f"A season of {s['payments']:,} payments at the best rate ({s['best_rate_per_s']:,.0f}/s at "
        f"{s['at_connections']} connections) takes **{s['hours']} hours** of load.",
    ]
    c = results.get("csv_export")
    if c:
        lines += [
            "",
            f"Expenditure review CSV: HTTP {c['status']}, {c['rows']:,} rows, {c['megabytes']} MB; first byte after "
            f"{c['ttfb_s']} s, first row after {c.get('first_row_s', c['ttfb_s'])} s, all of it after {c['total_s']} s ({c['rows_per_s']:,} rows/s); gunicorn worker "
            f"memory {c['worker_rss_before_mb']} MB before, peak {c['worker_rss_peak_mb']} MB (growth "
            f"{c['worker_rss_growth_mb']} MB).",
        ]
    pr = results.get("profile")
    if pr:
        lines += [
            "",
            f"Profile ({pr['payments']} payments in-process, bench/out/{results['name']}-profile.*): "
            f"{pr['summary']}",
        ]
    pr = results.get("profile_settlement")
    if pr:
        lines += [
            "",
            f"Profile of the settlement flow ({pr['flows']} flows in-process, "
            f"bench/out/{results['name']}-profile-settlement.*): {pr['summary']}",
        ]
    ch = results["check"]
    bad = {k: v for k, v in ch["checks"].items() if v}
    lines += [
        "",
        f"Correctness check: {len(ch['checks'])} checks, **{ch['anomalies']} anomalies**"
        + (f" ({bad})" if bad else "")
        + f"; pgbench payments synced in bulk: {results['pgbench_synced_in_bulk']:,}.",
    ]
    return "\n".join(lines) + "\n"


def settlements_md(results: dict) -> list[str]:
    lines = [
        "",
        "Settlements (bench/settle_load.py over HTTP: the relative's code, then the terminal's settlement "
        "with it; against pgbench with bench/pgbench_settlement.sql, the same two calls):",
        "",
        "| connections | settlements/s | voucher issue p50 / p95 / p99 ms | settlement p50 / p95 / p99 ms "
        "| errors | pgbench flows/s (p99 ms) | portal / pgbench |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    phases = [p for p in results["phases"] if "settlements" in p]
    for p in phases:
        st, v, se, pg = (
            p["settlements"],
            p["settlements"]["vouchers"],
            p["settlements"]["settlements"],
            p["settle_pgbench"],
        )
        lines.append(
            f"| {p['connections']} | {st['settlements_per_s']:,.0f} | {v['p50_ms']} / {v['p95_ms']} / {v['p99_ms']} "
            f"| {se['p50_ms']} / {se['p95_ms']} / {se['p99_ms']} | {st['errors']} "
            f"| {pg['tps']:,.0f} ({pg['p99_ms']}) | **{p['settle_ratio']}** |"
        )
    lines.append("")
    for p in phases:
        st, cpu = p["settlements"], p["postgres_cpu_ms_per_settlement"]
        lines.append(
            f"- c={p['connections']}: vouchers {st['vouchers']['statuses']}, settlements "
            f"{st['settlements']['statuses']}, {st['settlements_made']:,} settled, replays {st['replays']['statuses']} "
            f"({st['replays_not_the_first_answer']} not the first answer), socket errors {st['socket_errors']}; "
            f"CPU % of one core: {st['cpu_percent']}; busy backends (mean): {st['db_backends']}"
        )
        if "notices" in st:
            n = st["notices"]
            lines.append(
                f"- c={p['connections']}: {n['notices']:,} notices to both sides, each out through the notices' "
                f"relay (beat every 2 s) {n['lag_p50_ms']:,} ms after it was written at the median, "
                f"{n['lag_p99_ms']:,} ms at p99; {n['undelivered']} undelivered"
            )
        lines.append(
            f"- c={p['connections']}: PostgreSQL's CPU per settlement {cpu['portal']} ms through the portal, "
            f"{cpu['pgbench']} ms under pgbench ({p['settle_pgbench']['settlements']:,} settled, "
            f"{p['settle_pgbench']['refused']:,} refused); during pgbench, CPU % of one core: "
            f"{p['settle_pgbench']['cpu_percent']}"
        )
    st = results.get("statement")
    if st:
        sel, grouped, web = st.get("statement_get"), st["grouped_by_status"], st["http"]
        text = (
            f"- A day's statement ({st['institution']} on {st['date']}, {st['settlements']:,} settlements): "
        )
        if sel:
            scans = "; ".join(
                f"{scan['node']} on {scan['on']} ({scan['rows']:,} rows"
                + (f", {scan['heap_fetches']:,} heap fetches)" if scan["heap_fetches"] is not None else ")")
                for plan in sel["plans"]
                for scan in plan["scans"]
            )
            text += (
                f"statement_get {sel['first_ms']} ms the first time, {sel['best_of_5_ms']} ms at best of five "
                f"({sel['queries']} queries: {scans}); "
            )
        text += (
            f"GET institution/statements/ {web['first_ms']} ms, then {web['best_of_5_ms']} ms (statuses "
            f"{sorted(set(web['statuses']))}); the same day counted and summed grouped by status, which no "
            f"index covers: {grouped['best_of_5_ms']} ms ({grouped['plan']['scans'][0]['node']})."
        )
        lines.append(text)
    return lines


def write_results(text: str) -> None:
    body = RESULTS_MD.read_text() if RESULTS_MD.exists() else ""
    block = f"{BEGIN_MARK}\n{text}{END_MARK}"
    if BEGIN_MARK in body and END_MARK in body:
        head, rest = body.split(BEGIN_MARK, 1)
        body = head + block + rest.split(END_MARK, 1)[1]
    else:
        body = body + ("\n" if body else "") + block + "\n"
    RESULTS_MD.write_text(body)


def main() -> None:
    parser = argparse.ArgumentParser(description="The collection-season benchmark")
    parser.add_argument("--smoke", action="store_true", help="the small run CI makes")
    parser.add_argument("--db")
    parser.add_argument("--insurees", type=int)
    parser.add_argument("--duration", type=int, help="seconds of payment load per concurrency")
    parser.add_argument("--get-duration", type=int)
    parser.add_argument("--pgbench-duration", type=int)
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--profile-payments", type=int)
    parser.add_argument("--profile-flows", type=int, help="settlement flows profiled in-process")
    parser.add_argument("--settle-duration", type=int, help="seconds of settlement load per concurrency")
    parser.add_argument("--settle-pgbench-duration", type=int)
    parser.add_argument("--statement-settlements", type=int, help="settlements on the statement's day")
    parser.add_argument("--reuse", action="store_true", help="keep the world if one of this size exists")
    parser.add_argument("--write-results", action="store_true", help="put the summary into bench/RESULTS.md")
    args = parser.parse_args()
    smoke = args.smoke
    cfg = Config(
        name="smoke" if smoke else "full",
        db=args.db or ("gongji_bench_smoke" if smoke else "gongji_bench"),
        insurees=args.insurees or (20_000 if smoke else 1_000_000),
        duration=args.duration or (5 if smoke else 60),
        get_duration=args.get_duration or (2 if smoke else 20),
        pgbench_duration=args.pgbench_duration or (3 if smoke else 30),
        connections=[int(c) for c in args.connections.split(",")],
        workers=args.workers,
        threads=args.threads,
        port=args.port,
        profile_payments=args.profile_payments or (60 if smoke else 1000),
        profile_flows=args.profile_flows or (10 if smoke else 300),
        sync_timeout=60 if smoke else 300,
        reuse=args.reuse,
        settle_duration=args.settle_duration or (3 if smoke else 60),
        settle_pgbench_duration=args.settle_pgbench_duration or (2 if smoke else 30),
        statement_settlements=args.statement_settlements or (10_000 if smoke else 100_000),
    )
    results = benchmark(cfg)
    command = "python bench/run.py " + " ".join(sys.argv[1:])
    (OUT / f"results-{cfg.name}.json").write_text(json.dumps(results, indent=2, default=str))
    text = summary_md(results, command.strip())
    (OUT / f"summary-{cfg.name}.md").write_text(text)
    print(text)
    if args.write_results:
        write_results(text)
    failures = []
    if results["exit"]:
        failures.append("the correctness check found anomalies")
    for p in results["phases"]:
        if p["payments"]["payments"] == 0:
            failures.append(f"no payment was made at {p['connections']} connections")
        server_errors = sum(v for k, v in p["payments"]["statuses"].items() if k.startswith("5"))
        if server_errors:
            failures.append(f"{server_errors} server errors at {p['connections']} connections")
        settle = p["settlements"]
        if settle["settlements_made"] == 0:
            failures.append(f"no settlement was made at {p['connections']} connections")
        server_errors = sum(
            v
            for part in ("vouchers", "settlements", "replays")
            for k, v in settle[part]["statuses"].items()
            if k[0] == "5"
        )
        if server_errors:
            failures.append(
                f"{server_errors} server errors in the settlements at {p['connections']} connections"
            )
        if settle.get("notices", {}).get("undelivered"):
            failures.append(
                f"{settle['notices']['undelivered']} notices undelivered a minute after the settlements "
                f"at {p['connections']} connections"
            )
        if settle["replays_not_the_first_answer"]:
            failures.append(
                f"{settle['replays_not_the_first_answer']} settlement replays not answered the first way"
            )
    if failures:
        say("FAILED: " + "; ".join(failures))
        sys.exit(1)
    say(f"done; results in {OUT}")


if __name__ == "__main__":
    main()
