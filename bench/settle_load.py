"""The settlement flow over HTTP, as a relative and a cashier make it: the load driver of the run.

Each of `--connections` flows keeps one persistent connection and repeats, one request at a time:
the relative's phone asks for a one-time code (`POST /api/v1/vouchers/` with his token), then the
terminal settles a bill with it (`POST /api/v1/institution/settlements/` with the terminal's token,
an Idempotency-Key and the institution's own settlement id). A share of settlements is sent again
with the same key and body, as a terminal that lost the answer does: the portal must answer it with
the first settlement, never a second one. wrk cannot do this: its Lua cannot tie an answer to the
connection that asked, so a code could not be handed to the request that uses it.

Flow w takes relatives w, w + C, w + 2C, … of the list (C flows), so no two flows hold the same
relative (a new code ends his earlier one), and settles at terminal w of the terminals' list. Bills
are drawn as bench.common.medical_bill draws them. Latencies are timed per request, from writing it to
reading the whole answer. Prints one line, `BENCH_JSON {...}`.

    python bench/settle_load.py --port 8765 --connections 16 --duration 60 \\
        --relatives relatives.txt --terminals terminals.txt --prefix B1-16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import medical_bill, yuan  # noqa: E402

VOUCHERS = "/api/v1/vouchers/"
SETTLEMENTS = "/api/v1/institution/settlements/"


class Connection:
    """One persistent HTTP/1.1 connection: a request, then its whole answer."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"POST {path} HTTP/1.1", f"Host: {self.host}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            fields = {}
            for line in head.decode("latin-1").split("\r\n")[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    fields[name.strip().lower()] = value.strip().lower()
            if fields.get("transfer-encoding") == "chunked":
                answer = b""
                while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                    answer += (await self.reader.readexactly(size + 2))[:-2]
                await self.reader.readuntil(b"\r\n")
            else:
                answer = await self.reader.readexactly(int(fields.get("content-length", "0")))
        except BaseException:
            self.close()
            raise
        if fields.get("connection") == "close":
            self.close()
        return status, answer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.samples: list[str] = []  # the first few answers that were not a success

    def add(self, seconds: float, status: int, answer: bytes) -> None:
        self.latencies.append(seconds)
        self.statuses[str(status)] += 1
        if status >= 300 and len(self.samples) < 5:
            self.samples.append(f"{status} {answer[:300].decode(errors='replace')}")

    def summary(self) -> dict:
        ordered = sorted(self.latencies)

        def pct(q: float) -> float:
            return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else 0.0

        return {
            "requests": len(ordered),
            "statuses": dict(self.statuses),
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "max_ms": round(1000 * ordered[-1], 1) if ordered else 0.0,
            "mean_ms": round(1000 * sum(ordered) / len(ordered), 1) if ordered else 0.0,
            "failures": self.samples,
        }


async def flow(
    w: int, args: argparse.Namespace, relatives: list[str], terminals: list[str], out: dict
) -> None:
    rng = random.Random(f"{args.seed}-{w}")
    conn = Connection(args.host, args.port)
    terminal = terminals[w % len(terminals)]
    span = len(relatives) // args.connections * args.connections  # whole rounds: flow w keeps its own
    k = 0
    deadline = out["deadline"]
    while time.monotonic() < deadline:
        relative = relatives[
            (args.offset // args.connections * args.connections + w + k * args.connections) % span
        ]
        own_id = f"{args.prefix}-{w}-{k}"
        k += 1
        try:
            started = time.perf_counter()
            status, answer = await conn.request(
                VOUCHERS,
                {
                    "Authorization": f"Token {relative}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"{own_id}-code",
                },
                b"{}",
            )
            out["vouchers"].add(time.perf_counter() - started, status, answer)
            if status not in (200, 201):
                continue
            code = json.loads(answer)["code"]
            category, amount_fen = medical_bill(rng)
            body = json.dumps(
                {
                    "voucher_code": code,
                    "settlement_id": own_id,
                    "amount": yuan(amount_fen),
                    "category": category,
                    "allow_partial": rng.random() < args.partial_share,
                }
            ).encode()
            headers = {
                "Authorization": f"Token {terminal}",
                "Content-Type": "application/json",
                "Idempotency-Key": own_id,
            }
            started = time.perf_counter()
            status, answer = await conn.request(SETTLEMENTS, headers, body)
            out["settlements"].add(time.perf_counter() - started, status, answer)
            if status in (200, 201) and rng.random() < args.replay_share:
                started = time.perf_counter()
                again, replayed = await conn.request(SETTLEMENTS, headers, body)
                out["replays"].add(time.perf_counter() - started, again, replayed)
                if again not in (200, 201) or json.loads(replayed).get("id") != json.loads(answer).get("id"):
                    out["replays_not_the_first_answer"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            out["socket_errors"][type(error).__name__] += 1
            await asyncio.sleep(0.05)
    conn.close()


async def main_async(args: argparse.Namespace) -> dict:
    relatives = Path(args.relatives).read_text().split()
    terminals = Path(args.terminals).read_text().split()
    if len(relatives) < args.connections:
        raise SystemExit(f"{len(relatives)} relatives for {args.connections} flows")
    out: dict = {
        "deadline": time.monotonic() + args.duration,
        "vouchers": Tally(),
        "settlements": Tally(),
        "replays": Tally(),
        "replays_not_the_first_answer": 0,
        "socket_errors": Counter(),
    }
    started = time.monotonic()
    await asyncio.gather(*(flow(w, args, relatives, terminals, out) for w in range(args.connections)))
    return {
        "seconds": round(time.monotonic() - started, 2),
        "connections": args.connections,
        "vouchers": out["vouchers"].summary(),
        "settlements": out["settlements"].summary(),
        "replays": out["replays"].summary(),
        "replays_not_the_first_answer": out["replays_not_the_first_answer"],
        "socket_errors": dict(out["socket_errors"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--relatives", required=True, help="the relatives' tokens, one a line")
    parser.add_argument("--terminals", required=True, help="the terminals' tokens, one a line")
    parser.add_argument("--prefix", required=True, help="of the settlement ids and keys: unique per run")
    parser.add_argument("--offset", type=int, default=0, help="where in the relatives' list to start")
    parser.add_argument("--seed", default="0")
    parser.add_argument("--replay-share", type=float, default=0.01)
    parser.add_argument("--partial-share", type=float, default=0.1)
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    result["driver_cpu_s"] = round(time.process_time(), 2)
    print("BENCH_JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
