"""The scenarios: each starts its own SMSC simulator and report receiver, the system under
test, drives load, waits until every accepted message has reached the SMSC and every report
has been pushed, and returns one ``Result`` with its loss check."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

from benchmarks.harness import load, procs
from benchmarks.harness.kannel import Kannel
from benchmarks.harness.node import ACCOUNT, PASSWD_MD5, Node, numbers
from benchmarks.harness.observe import Observer
from benchmarks.harness.procs import Proc
from benchmarks.harness.stage import (
    Database,
    Options,
    Result,
    Stage,
    children_cpu,
    stage,
)


def _finish(
    result: Result,
    observer: Observer,
    watched: list[Proc],
    t0: float,
    expected: int,
    options: Options,
    load_window: tuple[float, float] | None = None,
) -> None:
    """Wait for the drain, then fill rates, CPU and memory into ``result``."""
    if not observer.wait_until(expected, expected, options.drain_timeout):
        result.notes.append(f"drain stalled for {options.drain_timeout:g} s")
    observer.settle()
    last = observer.stop()
    result.smsc, result.receipts, result.pushes = last.submits, last.receipts, last.pushes
    result.smsc_rate = observer.rate("submits", t0, last.submits)
    result.receipts_rate = observer.rate("receipts", t0, last.receipts)
    result.pushes_rate = observer.rate("pushes", t0, last.pushes)
    if load_window is not None:
        start, end = load_window
        result.smsc_steady = observer.steady_rate("submits", start + 0.2 * (end - start), end)
    per = max(last.submits, 1)
    for proc in watched:
        result.cpu_ms_per_msg[proc.name] = proc.cpu_since_mark() / per * 1000
        result.peak_rss_mb[proc.name] = proc.peak_rss_mb()
        result.rss_during_mb[proc.name] = observer.rss_range(proc.name, t0)
    result.load_after = procs.load_average()


def _check_hongyan(
    result: Result,
    node: Node,
    stage_: Stage,
    answered: int,
    in_flight: int = 0,
    *,
    through_api: bool = True,
) -> None:
    """``answered``: accepted in the answers the client read; ``in_flight``: requests the
    client had sent but not read when it stopped (their messages may be committed);
    ``through_api``: False when the messages were inserted straight into the store (d)."""
    from benchmarks.harness.observe import get_json

    tally = node.tally()
    recv = get_json(f"http://127.0.0.1:{stage_.receiver_port}/stats")
    result.duplicates = int(recv["duplicates"])  # type: ignore[call-overload]
    accepted = tally["messages"]
    within = answered <= accepted <= answered + in_flight
    result.checks.append(
        f"{'ok' if within else 'FAIL'} messages in the database: {accepted} (answered"
        f" {answered}, + up to {in_flight} in flight when the client stopped)"
    )
    checks = [
        (
            "ids contiguous",
            tally["high"] - tally["low"] + 1 if tally["messages"] else 0,
            tally["messages"],
        ),
        ("messages with a carrier id == accepted", tally["with_carrier_id"], accepted),
        ("messages not sent", tally["not_sent"], 0),
        ("submit_sm accepted by the SMSC == accepted", result.smsc, accepted),
        ("distinct reports pushed == accepted", result.pushes, accepted),
        (
            "pushed ids == database ids",
            (recv["low"], recv["high"]),
            (tally["low"], tally["high"]) if accepted else (None, None),
        ),
    ]
    checks += _metric_checks(node, accepted, through_api)
    for label, got, want in checks:
        result.checks.append(f"{'ok' if got == want else 'FAIL'} {label}: {got} (want {want})")
    result.lost = max(0, accepted - tally["with_carrier_id"]) + max(0, accepted - result.pushes)


def _metric_checks(
    node: Node, accepted: int, through_api: bool, wait: float = 10.0
) -> list[tuple[str, object, object]]:
    """What hongyan's own /metrics counted, summed over its processes, against the database:
    the figures an operator watches move with the load (one segment per message here). The
    receiver counts a push before the notifier has read its answer: wait for them to agree."""
    wanted = {
        'hongyan_submit_results_total{outcome="submitted"}': accepted,
        'hongyan_channel_submits_total{channel="smsc"}': accepted,
        'hongyan_receipts_total{outcome="matched"}': accepted,
        'hongyan_pushes_total{outcome="delivered"}': accepted,
    }
    if through_api:
        wanted["hongyan_messages_accepted_total"] = accepted
    deadline = time.monotonic() + wait
    while True:
        counted = node.metrics()
        got = {name: int(counted.get(name, 0)) for name in wanted}
        if got == wanted or time.monotonic() > deadline:
            return [(f"/metrics {name}", got[name], want) for name, want in wanted.items()]
        time.sleep(0.2)


def _watched(node: Node, stage_: Stage, extra: list[Proc]) -> list[Proc]:
    return [*node.procs, stage_.smsc, stage_.receiver, *extra]


def hongyan_wrk(scenario: str, db: Database, workdir: Path, options: Options) -> Result:
    """(a) one recipient per request, (a-paced) the same at a fixed rate, (b) 100 per request."""
    database = db.kind
    result = Result("hongyan", scenario, database, procs.load_average())
    with stage(workdir, options) as st:
        node = Node(
            workdir,
            db.url(workdir, f"bench_{scenario.replace('-', '_')}"),
            st.smsc_port,
            st.receiver_port,
            window=options.window,
            layout=options.layout,
        )
        node.provision()
        node.start()
        try:
            extra = _database_procs(db)
            _warm_up(node)
            watched = _watched(node, st, extra)
            observer = Observer(st.control_port, st.receiver_port, watched)
            observer.sample()
            for proc in watched:
                proc.mark()
            bulk = scenario == "b"
            pace = (
                int(options.connections * 1000 / options.paced_rate) if "paced" in scenario else 0
            )
            t0 = time.time()
            observer.start()
            profilers = _profile(node, options) if options.profile else []
            cpu0 = children_cpu()
            w = (
                _paced_hongyan(node, options)
                if "paced" in scenario
                else load.wrk(
                    f"http://127.0.0.1:{node.http_port}",
                    mode="hi8d-post" if bulk else "hi8d-get",
                    account=ACCOUNT,
                    passwd=PASSWD_MD5,
                    seconds=options.seconds,
                    connections=options.bulk_connections if bulk else options.connections,
                    threads=options.threads,
                    per_request=100 if bulk else 1,
                    pace_ms=pace,
                )
            )
            t1 = time.time()
            wrk_cpu = children_cpu() - cpu0
            for profiler in profilers:
                profiler.wait()
            _fill_wrk(result, w, options.paced_rate if "paced" in scenario else 0)
            expected = node.tally()["messages"]  # answered + warm-up + in flight at the end
            _finish(result, observer, watched, t0, expected, options, (t0, t1))
            result.cpu_ms_per_msg["wrk"] = wrk_cpu / max(result.smsc, 1) * 1000
            per = 100 if bulk else 1
            _check_hongyan(result, node, st, w.accepted + 2, per * options.connections)
        finally:
            node.stop()
    return result


def _profile(node: Node, options: Options) -> list[subprocess.Popen[bytes]]:
    """py-spy (collapsed stacks, ``profile-<process>.txt``) on every hongyan process."""
    return [
        subprocess.Popen(
            [
                "py-spy",
                "record",
                "--pid",
                str(proc.pid),
                "--duration",
                str(int(options.seconds)),
                "--rate",
                "250",
                "--format",
                "raw",
                "--nonblocking",
                "--gil",
                "--threads",
                "-o",
                str(node.workdir / f"profile-{proc.name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for proc in node.procs
    ]


def _paced_hongyan(node: Node, options: Options) -> load.WrkResult:
    from urllib.parse import quote

    from benchmarks.harness import paced

    text = quote("hongyan benchmark message")
    query = f"account={ACCOUNT}&passwd={PASSWD_MD5}&content={text}&mb=86136"
    return asyncio.run(
        paced.run(
            f"http://127.0.0.1:{node.http_port}",
            lambda n: f"/servlet/gateway.php?{query}{n:08d}",
            lambda answer: b'"status":1' in answer,
            rate=options.paced_rate,
            seconds=options.seconds,
            connections=options.connections,
        )
    )


def _paced_kannel(peer: Kannel, receiver: str, options: Options) -> load.WrkResult:
    from urllib.parse import quote

    from benchmarks.harness import paced

    text = quote("hongyan benchmark message")
    base = f"/cgi-bin/sendsms?username={USER_PASS}&password={USER_PASS}&from=10690001"

    def path(n: int) -> str:
        dlr = quote(f"{receiver}/kannel?n={n + 1}&d=%d", safe="")
        return f"{base}&to=86136{n:08d}&text={text}&dlr-mask=3&dlr-url={dlr}"

    return asyncio.run(
        paced.run(
            f"http://127.0.0.1:{peer.sendsms_port}",
            path,
            lambda answer: answer.startswith((b"HTTP/1.1 202", b"HTTP/1.1 200")),
            rate=options.paced_rate,
            seconds=options.seconds,
            connections=options.connections,
        )
    )


def _fill_wrk(result: Result, w: load.WrkResult, paced_rate: int = 0) -> None:
    if paced_rate:
        result.notes.append(f"open loop at {paced_rate:,} requests/s; latency from when due")
    result.requests, result.http_rps = w.requests, w.rps
    result.p50_ms, result.p99_ms = w.p50_ms, w.p99_ms
    result.accepted = w.accepted
    result.accepted_rate = w.accepted / w.seconds if w.seconds else 0.0
    errors = {k: v for k, v in w.errors.items() if v}
    if w.refused or errors:
        result.notes.append(f"wrk: refused={w.refused} errors={errors} sample={w.sample!r}")


def _warm_up(node: Node) -> None:
    """Two messages before the clock starts: the credential cache and the connections."""
    for number in numbers(99_000_000, 2, prefix=139):
        node.post([number])


def _database_procs(db: Database) -> list[Proc]:
    if db.server_pid is None:
        return []
    return [Proc("postgres", None, tree=True, known_pid=db.server_pid)]


def hongyan_big(db: Database, workdir: Path, options: Options) -> Result:
    """(c) one request with ``options.big`` recipients."""
    database = db.kind
    result = Result("hongyan", "c", database, procs.load_average())
    with stage(workdir, options) as st:
        node = Node(
            workdir,
            db.url(workdir, "bench_c"),
            st.smsc_port,
            st.receiver_port,
            window=options.window,
            layout=options.layout,
        )
        node.provision(max_recipients=max(options.big, 300))
        node.start()
        try:
            _warm_up(node)
            watched = _watched(node, st, _database_procs(db))
            observer = Observer(st.control_port, st.receiver_port, watched)
            observer.sample()
            for proc in watched:
                proc.mark()
            t0 = time.time()
            observer.start()
            seconds, answer = node.post(numbers(0, options.big))
            accepted = (
                answer.count(b",", answer.find(b'"mb"')) + 1 if b'"status":1' in answer else 0
            )
            result.requests, result.p50_ms, result.p99_ms = 1, seconds * 1000, seconds * 1000
            result.accepted, result.accepted_rate = accepted, accepted / seconds
            if not accepted:
                result.notes.append(f"refused: {answer[:200]!r}")
            _finish(result, observer, watched, t0, accepted + 2, options)
            _check_hongyan(result, node, st, accepted + 2)
        finally:
            node.stop()
    return result


def hongyan_backlog(db: Database, workdir: Path, options: Options) -> Result:
    """(d) ``options.backlog`` queued messages, inserted before hongyan starts, drained."""
    database = db.kind
    result = Result("hongyan", "d", database, procs.load_average())
    with stage(workdir, options) as st:
        node = Node(
            workdir,
            db.url(workdir, "bench_d"),
            st.smsc_port,
            st.receiver_port,
            window=options.window,
            layout=options.layout,
        )
        node.provision()
        inserted_in = node.insert_backlog(options.backlog)
        result.accepted = options.backlog
        result.accepted_rate = options.backlog / inserted_in
        result.notes.append(
            f"{options.backlog:,} messages inserted through Store.admit in {inserted_in:.1f} s"
            f" ({result.accepted_rate:,.0f}/s) before hongyan started"
        )
        extra = _database_procs(db)
        t0 = time.time()
        node.start()
        try:
            watched = _watched(node, st, extra)
            observer = Observer(st.control_port, st.receiver_port, watched, every=0.5)
            for proc in watched:
                proc.mark()
            observer.start()
            _finish(result, observer, watched, t0, options.backlog, options)
            first = observer.reached("submits", 1) or t0
            result.smsc_steady = observer.rate("submits", first, result.smsc)
            result.notes.append(f"first submit_sm {first - t0:.1f} s after hongyan started")
            _check_hongyan(result, node, st, options.backlog, through_api=False)
        finally:
            node.stop()
    return result


def kannel_wrk(scenario: str, workdir: Path, options: Options) -> Result:
    """Kannel, one recipient per sendsms request, the same wrk setup as hongyan's (a)."""
    from benchmarks.harness.observe import get_json

    result = Result("kannel", scenario, f"kannel-{options.kannel_store}", procs.load_average())
    with stage(workdir, options) as st:
        peer = Kannel(workdir, st.smsc_port, options.window, store=options.kannel_store)
        peer.start()
        try:
            watched = [*peer.procs, st.smsc, st.receiver]
            observer = Observer(st.control_port, st.receiver_port, watched)
            observer.sample()
            for proc in watched:
                proc.mark()
            pace = (
                int(options.connections * 1000 / options.paced_rate) if "paced" in scenario else 0
            )
            t0 = time.time()
            observer.start()
            cpu0 = children_cpu()
            receiver = f"http://127.0.0.1:{st.receiver_port}"
            w = (
                _paced_kannel(peer, receiver, options)
                if "paced" in scenario
                else load.wrk(
                    f"http://127.0.0.1:{peer.sendsms_port}",
                    mode="kannel",
                    account=USER_PASS,
                    passwd=USER_PASS,
                    seconds=options.seconds,
                    connections=options.connections,
                    threads=options.threads,
                    pace_ms=pace,
                    extra=f"http://127.0.0.1:{st.receiver_port}",
                )
            )
            t1 = time.time()
            wrk_cpu = children_cpu() - cpu0
            _fill_wrk(result, w, options.paced_rate if "paced" in scenario else 0)
            # Kannel has no count of what it accepted but the answers; requests in flight when
            # wrk stopped may have been accepted too: wait for those, then check the range.
            _finish(result, observer, watched, t0, w.accepted, options, (t0, t1))
            result.cpu_ms_per_msg["wrk"] = wrk_cpu / max(result.smsc, 1) * 1000
            recv = get_json(f"http://127.0.0.1:{st.receiver_port}/stats")
            result.duplicates = int(recv["duplicates"])  # type: ignore[call-overload]
            within = w.accepted <= result.smsc <= w.accepted + options.connections
            result.checks.append(
                f"{'ok' if within else 'FAIL'} submit_sm accepted by the SMSC: {result.smsc}"
                f" (answered {w.accepted}, + up to {options.connections} in flight)"
            )
            ok = "ok" if result.pushes == result.smsc else "FAIL"
            result.checks.append(f"{ok} distinct DLRs pushed == submit_sm: {result.pushes}")
            result.lost = max(0, w.accepted - result.smsc) + max(0, result.smsc - result.pushes)
        finally:
            peer.stop()
    return result


USER_PASS = "bench"
