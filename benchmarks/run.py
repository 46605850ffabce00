"""hongyan's benchmark harness: every scenario on SQLite and PostgreSQL, and Kannel beside it.

    python benchmarks/run.py                 # small sizes: 10 s of load, a 100,000 backlog
    python benchmarks/run.py --full          # 30 s of load, the 1,000,000 backlog
    python benchmarks/run.py --scenarios a --databases sqlite --seconds 5

Scenarios: a (one recipient per request, 32 clients), a-paced (the same at 1,000 requests/s:
accept latency), b (100 recipients per request), c (one 10,000-recipient request), d (a
backlog drained to the SMSC), and Kannel's a / a-paced beside hongyan's. Each scenario starts
its own SMSC simulator (receipt per message) and report receiver in their own processes, and a
fresh database. Prints a table and the hongyan/Kannel ratios, writes JSON and Markdown to
``--out`` (default benchmarks/results/). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import procs, report
from benchmarks.harness.kannel import ensure_installed
from benchmarks.harness.scenarios import hongyan_backlog, hongyan_big, hongyan_wrk, kannel_wrk
from benchmarks.harness.stage import Database, Options, Result, sqlite_database

ALL_SCENARIOS = ("a", "a-paced", "b", "c", "d")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default=",".join(ALL_SCENARIOS))
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--no-kannel", action="store_true", help="skip the Kannel peer")
    parser.add_argument("--full", action="store_true", help="30 s of load, 1,000,000 backlog")
    parser.add_argument("--seconds", type=float, help="wrk duration (default 10, --full 30)")
    parser.add_argument("--backlog", type=int, help="scenario d size (100,000; --full 1M)")
    parser.add_argument("--big", type=int, default=10_000, help="scenario c recipients")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=int, default=1000, help="a-paced: requests per second")
    parser.add_argument("--window", type=int, default=64, help="SMPP window, both gateways")
    parser.add_argument("--dlr-delay", type=float, default=0.5, help="simulator receipt delay")
    parser.add_argument(
        "--layout",
        choices=("one", "two", "split"),
        default="split",
        help="hongyan's roles: one process, two (api | dispatcher,notifier) or split (one process"
        " per role: the default)",
    )
    parser.add_argument(
        "--kannel-store",
        choices=("none", "spool"),
        default="none",
        help="Kannel default (none: queue in memory) or its spool store",
    )
    parser.add_argument("--postgres-url", help="a server to use instead of a throwaway cluster")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy record each hongyan process under load (workdir)",
    )
    parser.add_argument(
        "--src", type=Path, help="run hongyan from this source tree (a checkout's src/)"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results"))
    args = parser.parse_args(argv)
    if args.src:  # every child process (and the harness's store calls) use that tree
        os.environ["PYTHONPATH"] = f"{args.src.resolve()}:{os.environ.get('PYTHONPATH', '')}"
        sys.path.insert(0, str(args.src.resolve()))
    args.seconds = args.seconds or (30.0 if args.full else 10.0)
    args.backlog = args.backlog or (1_000_000 if args.full else 100_000)
    return args


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_before": procs.load_average(),
        "commit": _commit(),
    }


def _commit() -> str:
    import subprocess

    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def run_all(args: argparse.Namespace) -> list[Result]:
    options = Options(
        seconds=args.seconds,
        connections=args.connections,
        big=args.big,
        backlog=args.backlog,
        window=args.window,
        dlr_delay=args.dlr_delay,
        layout=args.layout,
        paced_rate=args.rate,
        kannel_store=args.kannel_store,
        profile=args.profile,
    )
    scenarios = [s for s in args.scenarios.split(",") if s]
    databases = [d for d in args.databases.split(",") if d]
    root = Path(tempfile.mkdtemp(prefix="hongyan-bench-"))
    print(f"work directory {root}", flush=True)
    results: list[Result] = []

    def record(result: Result) -> None:
        results.append(result)
        print(report.one_line(result), flush=True)

    if not args.no_kannel and any(s in ("a", "a-paced") for s in scenarios):
        print(ensure_installed(), flush=True)
        for scenario in [s for s in scenarios if s in ("a", "a-paced")]:
            record(kannel_wrk(scenario, root / f"kannel-{scenario}", options))
    for kind in databases:
        with _database(kind, args) as db:
            for scenario in scenarios:
                workdir = root / f"{kind}-{scenario}"
                if scenario in ("a", "a-paced", "b"):
                    record(hongyan_wrk(scenario, db, workdir, options))
                elif scenario == "c":
                    record(hongyan_big(db, workdir, options))
                elif scenario == "d":
                    record(hongyan_backlog(db, workdir, options))
                else:
                    raise SystemExit(f"unknown scenario {scenario!r}")
    return results


class _database:
    """A context manager giving a ``Database`` of ``kind``."""

    def __init__(self, kind: str, args: argparse.Namespace) -> None:
        self.kind, self.args, self.cluster = kind, args, None

    def __enter__(self) -> Database:
        if self.kind == "sqlite":
            return sqlite_database()
        if self.kind != "postgres":
            raise SystemExit(f"unknown database {self.kind!r}")
        from benchmarks.harness import postgres

        if self.args.postgres_url:
            server = self.args.postgres_url
            return Database("postgres", lambda _w, name: postgres.create_database(server, name))
        self.cluster = postgres.Cluster()
        cluster = self.cluster.__enter__()
        return Database("postgres", lambda _w, name: cluster.database(name), cluster.postmaster_pid)

    def __exit__(self, *exc: object) -> None:
        if self.cluster is not None:
            self.cluster.__exit__(*exc)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    about = machine()
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print(f"{command}\n{about}", flush=True)
    started = time.time()
    results = run_all(args)
    about["load_after"] = procs.load_average()
    about["minutes"] = f"{(time.time() - started) / 60:.1f}"
    text = report.markdown(results, about, command)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"{stamp}.md").write_text(text)
    (args.out / f"{stamp}.json").write_text(
        json.dumps(
            {"command": command, "machine": about, "results": [asdict(r) for r in results]},
            indent=1,
        )
    )
    print(f"written {args.out}/{stamp}.md and .json")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
