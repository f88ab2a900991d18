"""Two commits in one benchmark run, on one machine, one after the other: `bench/run.py` of a given
commit (built in a worktree and a virtualenv of its own under bench/out/) and of the working tree.

    python bench/compare.py --before 00da901 [run.py's options, e.g. --smoke]

Each side generates its world afresh with its own code (its own migrations and functions), so
both measure the same world size and the same load. The table compares the payment rates at each
concurrency, pgbench's limit, and PostgreSQL's CPU per payment; bench/out/compare.md keeps it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def build(commit: str) -> Path:
    sha = subprocess.run(
        ["git", "rev-parse", "--short", commit], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = OUT / f"tree-{sha}"
    if not tree.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), sha], cwd=ROOT, check=True)
    python = tree / ".venv" / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(tree / ".venv")], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", f"{tree}[dev]"], check=True)
    return tree


def run(tree: Path, python: Path, args: list[str]) -> dict:
    subprocess.run([str(python), "bench/run.py", *args], cwd=tree, check=True)
    name = "smoke" if "--smoke" in args else "full"
    return json.loads((tree / "bench" / "out" / f"results-{name}.json").read_text())


def table(before: dict, after: dict, labels: tuple[str, str]) -> str:
    lines = [
        f"| connections | new payments/s {labels[0]} | {labels[1]} | change | pgbench tps {labels[0]} | "
        f"{labels[1]} | PostgreSQL CPU ms/payment {labels[1]} (pgbench) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for old, new in zip(before["phases"], after["phases"], strict=True):
        rate_old, rate_new = old["payments"]["payments_per_s"], new["payments"]["payments_per_s"]
        cpu = new.get("postgres_cpu_ms_per_payment", {})
        lines.append(
            f"| {new['connections']} | {rate_old:,.0f} | {rate_new:,.0f} | {100 * (rate_new / rate_old - 1):+.1f} % | "
            f"{old['pgbench']['tps']:,.0f} | {new['pgbench']['tps']:,.0f} | "
            f"{cpu.get('portal', '-')} ({cpu.get('pgbench', '-')}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the commit to measure first")
    known, rest = parser.parse_known_args()
    tree = build(known.before)
    before = run(tree, tree / ".venv" / "bin" / "python", rest)
    after = run(ROOT, ROOT / ".venv" / "bin" / "python", rest)
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    text = (
        f"Before: {known.before}; after: {head} (working tree). Machine: {after['machine']}\n\n"
        + table(before, after, (known.before, head))
        + "\n"
    )
    (OUT / "compare.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
