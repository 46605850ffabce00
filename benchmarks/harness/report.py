"""Results as one line per scenario while running, and a Markdown report at the end."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.harness.stage import Result

NAMES = {
    "a": "a: 1 recipient/request, 32 clients",
    "a-paced": "a-paced: 1 recipient/request, open loop at a fixed rate",
    "b": "b: 100 recipients/request",
    "c": "c: one 10,000-recipient request",
    "d": "d: backlog drained",
}


def one_line(r: Result) -> str:
    status = "ok" if r.ok else f"LOST {r.lost}"
    return (
        f"[{r.system}/{r.database}/{r.scenario}] req/s={r.http_rps:,.0f} p50={r.p50_ms:.1f}ms"
        f" p99={r.p99_ms:.1f}ms accepted={r.accepted:,} ({r.accepted_rate:,.0f}/s)"
        f" smsc={r.smsc:,} ({r.smsc_rate:,.0f}/s e2e, {r.smsc_steady:,.0f}/s steady)"
        f" receipts={r.receipts_rate:,.0f}/s pushes={r.pushes:,} ({r.pushes_rate:,.0f}/s)"
        f" {status} load {r.load_before} -> {r.load_after}"
    )


def _cpu(r: Result) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in r.cpu_ms_per_msg.items())


def _rss(r: Result) -> str:
    return ", ".join(f"{k} {v:.0f}" for k, v in r.peak_rss_mb.items())


def ratios(results: Sequence[Result]) -> list[str]:
    lines = []
    for scenario in ("a", "a-paced"):
        kannel = next((r for r in results if r.system == "kannel" and r.scenario == scenario), None)
        if kannel is None or not kannel.smsc_rate:
            continue
        for r in results:
            if r.system == "hongyan" and r.scenario == scenario:
                lines.append(
                    f"- {scenario}, hongyan on {r.database} / Kannel ({kannel.database}):"
                    f" to the SMSC {r.smsc_rate / kannel.smsc_rate:.2f}×"
                    f" ({r.smsc_rate:,.0f} vs {kannel.smsc_rate:,.0f}/s), reports pushed"
                    f" {r.pushes_rate / max(kannel.pushes_rate, 1e-9):.2f}×"
                    f" ({r.pushes_rate:,.0f} vs {kannel.pushes_rate:,.0f}/s), p99"
                    f" {r.p99_ms:.1f} vs {kannel.p99_ms:.1f} ms"
                )
    return lines


def markdown(results: Sequence[Result], about: dict[str, str], command: str) -> str:
    out = [
        f"Command: `{command}`",
        "",
        f"Machine: {about['cpu']}, {about['cores']} cores, Linux {about['kernel']}, Python"
        f" {about['python']}; load average before {about['load_before']}, after"
        f" {about.get('load_after', '?')}; {about.get('minutes', '?')} minutes; commit"
        f" {about.get('commit', '?')}.",
        "",
        "| system | store | scenario | HTTP req/s | p50 / p99 ms | accepted msg/s |"
        " to SMSC msg/s (e2e / steady) | receipts/s | reports pushed/s | lost |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        out.append(
            f"| {r.system} | {r.database} | {NAMES.get(r.scenario, r.scenario)} |"
            f" {r.http_rps:,.0f} | {r.p50_ms:.1f} / {r.p99_ms:.1f} |"
            f" {r.accepted_rate:,.0f} | {r.smsc_rate:,.0f} / {r.smsc_steady:,.0f} |"
            f" {r.receipts_rate:,.0f} | {r.pushes_rate:,.0f} | {r.lost} |"
        )
    out += ["", "CPU milliseconds per message (= CPU seconds per 1,000) and peak RSS (MB):", ""]
    out += [
        "| system | store | scenario | CPU ms/msg by process | peak RSS MB |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        out.append(f"| {r.system} | {r.database} | {r.scenario} | {_cpu(r)} | {_rss(r)} |")
    ratio_lines = ratios(results)
    if ratio_lines:
        out += ["", "Ratios measured in this run:", "", *ratio_lines]
    out += ["", "Checks (nothing accepted is lost):", ""]
    for r in results:
        out.append(f"- {r.system}/{r.database}/{r.scenario}: load {r.load_before} → {r.load_after}")
        out += [f"  - {c}" for c in r.checks]
        out += [f"  - note: {n}" for n in r.notes]
        for name, (low, high) in r.rss_during_mb.items():
            if r.scenario == "d" and name.startswith("hongyan"):
                out.append(f"  - {name} RSS during the drain: {low:.0f}–{high:.0f} MB")
    return "\n".join(out) + "\n"
