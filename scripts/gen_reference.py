"""Write the tables in docs/ that restate the code's own tables (errid, HI8D codes, endpoints).

A generated block sits between ``<!-- generated:NAME -->`` and ``<!-- /generated -->`` in any
Markdown file under ``docs/``; this script rewrites what is between the markers from the code.
``python scripts/gen_reference.py`` updates the files; ``--check`` only reports stale ones and
exits 1 (tests/docs/test_docs.py runs the check).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from hongyan.core.receipts import STAT_OUTCOMES
from hongyan.protocols.legacy import hi8d
from hongyan.protocols.legacy.qxt_codes import ASP_TABLE, ASPX_TABLE, Edition, error_row
from hongyan.protocols.legacy.qxt_endpoints import ENDPOINTS, LengthRule
from hongyan.protocols.refusals import Refusal

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BLOCK = re.compile(
    r"(<!-- generated:(?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- /generated -->)", re.DOTALL
)

# What each Refusal means, in the docs' words. Every Refusal needs a line (KeyError otherwise).
MEANINGS: dict[Refusal, str] = {
    Refusal.UNKNOWN_ACCOUNT: "no account has this name (or the name is empty)",
    Refusal.BAD_PASSWORD: "wrong password (or empty)",
    Refusal.ACCOUNT_STOPPED: "the account is disabled",
    Refusal.IP_NOT_ALLOWED: "the client address is outside the account's allowed networks",
    Refusal.TOO_MANY_ATTEMPTS: "10 failed logins from this address within 60 s",
    Refusal.MISSING_PARAMETER: "a required parameter is missing",
    Refusal.BAD_REQUEST: "the body cannot be parsed, or a value is not text",
    Refusal.BODY_TOO_LARGE: "the request body is over the account's limit (2 MB)",
    Refusal.EMPTY_CONTENT: "no text",
    Refusal.CONTENT_TOO_LONG: "longer than the endpoint or account allows",
    Refusal.BANNED_WORD: "the text contains a banned word",
    Refusal.NO_RECIPIENTS: "no recipient given",
    Refusal.TOO_MANY_RECIPIENTS: "more recipients than the account's limit (300)",
    Refusal.INVALID_NUMBER: "not a valid phone number (per recipient)",
    Refusal.BLACKLISTED: "the number is blacklisted (per recipient)",
    Refusal.INSUFFICIENT_BALANCE: "the balance cannot pay for every accepted recipient",
    Refusal.BAD_SCHEDULE: "`time` is not a valid date and time",
    Refusal.EXTENSION_NOT_REGISTERED: "the extension is not among the account's registered ones",
    Refusal.EXTENSION_TOO_LONG: "service code + extension is over 20 digits",
    Refusal.BAD_EXTENSION: "the extension is not digits",
    Refusal.BAD_SENDER: "the HI8D `sender` is neither ≤ 15 digits nor ≤ 11 letters/digits",
    Refusal.PASSWORD_TOO_SHORT: "`cpwd`: the new password has 4 characters or fewer",
    Refusal.RATE_LIMITED: "too many requests (reserved: no request rate is enforced yet)",
    Refusal.INTERNAL: "the platform failed; nothing was accepted",
}


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def endpoints() -> str:
    names: dict[str, tuple[str, str]] = {}
    for path, endpoint in ENDPOINTS.items():
        name = path.removeprefix("/send/").split(".")[0].removesuffix("_utf8")
        rule = endpoint.length_rule
        names[name] = (endpoint.operation.value, _RULES[rule] if rule else "")
    rows = [
        [
            f"`{name}`",
            f"`{op}`",
            rule,
            f"`{name}.asp` `{name}.aspx` `{name}_utf8.asp` `{name}_utf8.aspx`",
        ]
        for name, (op, rule) in names.items()
    ]
    return _table(["name", "operation", "length rule", "paths under /send/"], rows)


_RULES = {
    LengthRule.SINGLE: "at most 70 characters, one SMS",
    LengthRule.ACCOUNT: "70, or long when the account allows it (or `txt=ccdx`)",
    LengthRule.LONG: "long (concatenated), up to the account's maximum",
}


def aspx_errids() -> str:
    rows = [[str(errid), err] for errid, err in sorted(ASPX_TABLE.items())]
    borrowed = {error_row(Edition.ASPX, r) for r in Refusal} - set(ASPX_TABLE.items())
    rows += [[str(errid), f"{err} (borrowed from the `.asp` edition)"] for errid, err in borrowed]
    return _table(["errid", "err"], sorted(rows, key=lambda row: int(row[0])))


def asp_errids() -> str:
    return _table(["errid", "err"], [[str(e), err] for e, err in sorted(ASP_TABLE.items())])


def refusals() -> str:
    rows = []
    for refusal in Refusal:
        aspx, _ = error_row(Edition.ASPX, refusal)
        asp, _ = error_row(Edition.ASP, refusal)
        code, _ = hi8d.CODES[refusal]
        rows.append([f"`{refusal.value}`", MEANINGS[refusal], str(aspx), str(asp), str(code)])
    return _table(["refusal", "meaning", ".aspx errid", ".asp errid", "HI8D code"], rows)


def hi8d_codes() -> str:
    by_code: dict[int, tuple[str, list[str]]] = {}
    for refusal, (code, msg) in hi8d.CODES.items():
        by_code.setdefault(code, (msg, []))[1].append(f"`{refusal.value}`")
    rows = [[str(code), msg, ", ".join(names)] for code, (msg, names) in sorted(by_code.items())]
    return _table(["code", "msg", "refusal"], rows)


def report_msgs() -> str:
    rows = [
        [f"`{stat}`", msg, "1" if stat == "DELIVRD" else "0"]
        for stat, msg in hi8d.REPORT_MSGS.items()
    ]
    rows.append(["anything else", "发送失败", "0"])
    assert set(hi8d.REPORT_MSGS) == set(STAT_OUTCOMES)
    return _table(["stat", "msg", "status"], rows)


GENERATORS: dict[str, Callable[[], str]] = {
    "qxt-endpoints": endpoints,
    "aspx-errids": aspx_errids,
    "asp-errids": asp_errids,
    "refusals": refusals,
    "hi8d-codes": hi8d_codes,
    "report-msgs": report_msgs,
}


def render(text: str) -> str:
    """``text`` with every generated block rewritten; an unknown block name is a KeyError."""
    return BLOCK.sub(lambda m: m.group(1) + GENERATORS[m["name"]]() + m.group(4), text)


def stale_files(docs: Path = DOCS) -> list[Path]:
    return [
        p
        for p in sorted(docs.rglob("*.md"))
        if render(p.read_text("utf-8")) != p.read_text("utf-8")
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale files, change none")
    args = parser.parse_args()
    stale = stale_files()
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is stale: run python scripts/gen_reference.py")
        return 1 if stale else 0
    for path in stale:
        path.write_text(render(path.read_text("utf-8")), "utf-8")
        print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
