"""The docs stay true: commands parse, answers are what the codecs write, tables match the code.

Checks every Markdown file under ``docs/`` (and ``README.md`` when present):

1. every ``hongyan …`` line in a fenced code block parses with the real argparse parser
   (blocks marked ```` ```text ```` hold program output and are not commands; a line ending in
   ``# docs-test: skip`` is exempt, for deliberate placeholders);
2. the generated tables are up to date (``scripts/gen_reference.py``), and the errid and HI8D
   code tables in the legacy-API reference equal ``qxt_codes`` / ``hi8d.CODES`` row by row;
3. the lifecycle letter table equals ``core.messages.TRANSITIONS`` (and ``refunds``), and the
   diagram shows each letter once;
4. configuration keys, defaults and env names equal ``hongyan.config``; TOML examples load;
5. every 企信通 / HI8D answer line shown (``num=``, ``id=``, ``err=``, ``{"status"``) is
   re-created by calling the formatters with the example's own values;
6. relative links resolve to existing files;
plus: every CLI command and option has its place in ``reference/cli.md``, and the push
signature example verifies with the documented snippet.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import re
import shlex
import tomllib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hongyan import config
from hongyan.cli import build_parser
from hongyan.core.accounts import sign_push
from hongyan.core.messages import TRANSITIONS, MessageState, refunds
from hongyan.protocols.legacy import hi8d, qxt
from hongyan.protocols.legacy.qxt_codes import ASP_TABLE, ASPX_TABLE, Edition, error_row
from hongyan.protocols.refusals import Refusal

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SKIP_MARK = "# docs-test: skip"


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "gen_reference", ROOT / "scripts/gen_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def doc_files() -> list[Path]:
    files = sorted(DOCS.rglob("*.md"))
    readme = ROOT / "README.md"
    return [*files, readme] if readme.exists() else files


def code_blocks(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(info string, lines) of every fenced code block in ``path``."""
    info, lines, inside = "", [], False
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("```"):
            if inside:
                yield info, lines
                info, lines, inside = "", [], False
            else:
                info, lines, inside = line[3:].strip(), [], True
        elif inside:
            lines.append(line)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def section(path: Path, heading: str) -> str:
    """The text under the heading line ``heading`` up to the next heading of any level."""
    text = path.read_text("utf-8")
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    following = re.search(r"^#{1,6} ", text[start:], re.MULTILINE)
    return text[start : start + following.start()] if following else text[start:]


def table_rows(text: str) -> list[list[str]]:
    """Cells of every Markdown table row in ``text``, header and rule rows left out."""
    lines = text.splitlines()
    rows = []
    for i, line in enumerate(lines):
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if following.startswith("|") and set(following) <= set("|-: "):
            continue  # a header row
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


# --- 1. commands ------------------------------------------------------------------------------


def command_lines() -> list[tuple[str, str]]:
    found = []
    for path in doc_files():
        for info, lines in code_blocks(path):
            if info == "text":
                continue  # program output, not commands
            joined: list[str] = []
            for line in lines:
                if joined and joined[-1].endswith("\\"):
                    joined[-1] = joined[-1][:-1] + " " + line.strip()
                else:
                    joined.append(line.strip())
            for line in joined:
                words = line.removeprefix("$ ").split()
                while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
                    words.pop(0)  # leading environment assignments
                if words[:1] == ["hongyan"] or words[:3] == ["python", "-m", "hongyan"]:
                    found.append((rel(path), " ".join(words)))
    return found


COMMANDS = command_lines()


def test_the_docs_show_commands() -> None:
    assert len(COMMANDS) > 40


@pytest.mark.parametrize(("where", "line"), COMMANDS, ids=[c[1][:60] for c in COMMANDS])
def test_command_parses(where: str, line: str) -> None:
    if line.endswith(SKIP_MARK):
        return
    argv = shlex.split(line, comments=True)
    argv = argv[3:] if argv[0] == "python" else argv[1:]
    if argv in (["--version"], ["--help"]) or argv[-1:] == ["--help"]:
        return  # these exit by design; their parsers are exercised by the other lines
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:
        pytest.fail(f"{where}: `{line}` does not parse (exit {exc.code})")


# --- 2. generated tables and the code's tables -----------------------------------------------


def test_generated_tables_are_up_to_date() -> None:
    stale = _load_generator().stale_files(DOCS)
    assert not stale, f"run python scripts/gen_reference.py: {[rel(p) for p in stale]}"


LEGACY = DOCS / "reference/legacy-apis.md"


def _errid_rows(heading: str) -> dict[int, str]:
    rows = table_rows(section(LEGACY, heading))
    return {
        int(errid): err.removesuffix(" (borrowed from the `.asp` edition)") for errid, err in rows
    }


def test_aspx_table_is_the_codes() -> None:
    answered = {error_row(Edition.ASPX, refusal) for refusal in Refusal}
    assert _errid_rows("### `.aspx` edition (generated)") == dict(ASPX_TABLE) | dict(answered)


def test_asp_table_is_the_codes() -> None:
    assert _errid_rows("### `.asp` edition (generated)") == ASP_TABLE


def test_refusal_table_is_the_mapping() -> None:
    rows = table_rows(section(LEGACY, "### Which refusal answers which code (generated)"))
    documented = {row[0].strip("`"): (int(row[2]), int(row[3]), int(row[4])) for row in rows}
    expected = {
        r.value: (error_row(Edition.ASPX, r)[0], error_row(Edition.ASP, r)[0], hi8d.CODES[r][0])
        for r in Refusal
    }
    assert documented == expected


def test_hi8d_code_table_is_the_codes() -> None:
    rows = table_rows(section(LEGACY, "### HI8D `code` table (generated)"))
    documented = {
        Refusal(name.strip("` ")): (int(code), msg)
        for code, msg, names in rows
        for name in names.split(",")
    }
    assert documented == hi8d.CODES


# --- 3. lifecycle -----------------------------------------------------------------------------

LIFECYCLE = DOCS / "discussion/message-lifecycle.md"


def _letter_rows() -> list[list[str]]:
    text = LIFECYCLE.read_text("utf-8")
    return [row for row in table_rows(text) if re.fullmatch(r"[A-Z]", row[0])]


def test_lifecycle_letters_are_the_transitions() -> None:
    rows = _letter_rows()
    documented = [(MessageState(r[1].strip("`")), MessageState(r[2].strip("`"))) for r in rows]
    expected = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert len(documented) == len(set(documented)) and set(documented) == expected
    letters = [r[0] for r in rows]
    assert letters == [chr(ord("A") + i) for i in range(len(rows))]


def test_lifecycle_refund_column_is_refunds() -> None:
    for letter, source, target, _, refund in _letter_rows():
        from_, to = MessageState(source.strip("`")), MessageState(target.strip("`"))
        assert (refund == "yes") == refunds(from_, to), f"transition {letter}"


def test_lifecycle_diagram_shows_every_letter_and_state_once() -> None:
    diagram = next(lines for _, lines in code_blocks(LIFECYCLE))
    text = "\n".join(diagram)
    labels = re.findall(r"\(([A-Z])\)", text)
    assert sorted(labels) == [row[0] for row in _letter_rows()]
    for state in MessageState:
        assert len(re.findall(rf"│\s*{state.value}\s*│", text)) == 1, state


# --- 4. configuration -------------------------------------------------------------------------

CONFIGURATION = DOCS / "reference/configuration.md"
SECTIONS: dict[str, type[Any]] = {
    "[database]": config.DatabaseSettings,
    "[http]": config.HttpSettings,
    "[security]": config.SecuritySettings,
    "[dispatcher]": config.DispatcherSettings,
    "[notifier]": config.NotifierSettings,
    "[admin]": config.AdminSettings,
    "[metrics]": config.MetricsSettings,
    "[logging]": config.LoggingSettings,
    "[[channels]]": config.ChannelSettings,
    "[[routes]]": config.RouteSettings,
}


def test_every_section_is_documented() -> None:
    declared = {f"[{n}]" for n in config._SECTIONS} | {"[[channels]]", "[[routes]]"}
    assert declared == set(SECTIONS)
    assert {f.name for f in dataclasses.fields(config.Settings)} == {
        s.strip("[]") for s in SECTIONS
    }


@pytest.mark.parametrize("heading", list(SECTIONS))
def test_config_keys_defaults_and_env(heading: str) -> None:
    cls = SECTIONS[heading]
    rows = table_rows(section(CONFIGURATION, f"## {heading}"))
    documented = {row[0].strip("`"): row for row in rows}
    assert set(documented) == {f.name for f in dataclasses.fields(cls)}
    for f in dataclasses.fields(cls):
        cell = documented[f.name][1]
        if f.default is dataclasses.MISSING:
            assert cell == "required", f.name
            continue
        value = tomllib.loads(f"v = {cell.strip('`')}")["v"]
        value = tuple(value) if isinstance(value, list) else value
        assert value == f.default and type(value) is type(f.default), f.name
        if not heading.startswith("[["):
            env = f"HONGYAN_{heading.strip('[]').upper()}_{f.name.upper()}"
            assert documented[f.name][2] == f"`{env}`"


def test_env_override_works_as_documented() -> None:
    settings = config.parse(
        {}, environ={"HONGYAN_HTTP_TRUSTED_PROXIES": "10.0.0.0/8,192.168.0.0/16"}
    )
    assert settings.http.trusted_proxies == ("10.0.0.0/8", "192.168.0.0/16")


TOML_BLOCKS = [
    (rel(path), "\n".join(lines))
    for path in doc_files()
    for info, lines in code_blocks(path)
    if info == "toml"
]


@pytest.mark.parametrize(("where", "text"), TOML_BLOCKS, ids=[w for w, _ in TOML_BLOCKS])
def test_toml_examples_load(where: str, text: str) -> None:
    config.parse(tomllib.loads(text), environ={})


# --- 5. answers -------------------------------------------------------------------------------

ANSWER_START = ("num=", "id=", "err=", '{"status"')


def answer_lines() -> list[tuple[str, str]]:
    return [
        (rel(path), line.strip())
        for path in doc_files()
        for _, lines in code_blocks(path)
        for line in lines
        if line.strip().startswith(ANSWER_START)
    ]


ANSWERS = answer_lines()


def _pairs(record: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in record.split("&"))


def _qxt_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%d%H%M").replace(tzinfo=qxt.CHINA_TZ)


def _hi8d_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=hi8d.CHINA_TZ)


def _utf8(name: str, edition: Edition) -> qxt.Endpoint:
    endpoint = qxt.endpoint_for(f"/send/{name}_utf8.{edition.value}")
    assert endpoint is not None
    return endpoint


def _split(value: str) -> list[str]:
    return value.split(",") if value else []


def _qxt_candidates(line: str) -> Iterator[bytes]:
    """Every answer the 企信通 formatters write from the values in ``line``."""
    records = [_pairs(r) for r in line.split(qxt.RECORD_SEPARATOR)]
    first = records[0]
    for edition in Edition:
        send, fee = _utf8("gsend", edition), _utf8("getfee", edition)
        readsms, readreport = _utf8("readsms", edition), _utf8("readreport", edition)
        cpwd, check = _utf8("cpwd", edition), _utf8("checkcontent", edition)
        if "src" in first:
            yield qxt.format_inbound(
                readsms,
                [
                    qxt.InboundRecord(r["id"], r["src"], r["msg"], r["dst"], _qxt_time(r["time"]))
                    for r in records
                ],
            )
        if "stat" in first:
            yield qxt.format_reports(
                readreport,
                [
                    qxt.ReportRecord(
                        r["id"], r["dst"], r["stat"], _qxt_time(r["time"]), r["errid"], r["sequeid"]
                    )
                    for r in records
                ],
            )
        yield qxt.format_inbound(readsms, [])
        yield qxt.format_reports(readreport, [])
        yield qxt.format_ok(cpwd)
        if "num" in first and first["success"]:
            yield qxt.format_send(send, _split(first["success"]), _split(first["faile"]))
        if "short" in first and first["errid"] == "0":
            yield qxt.format_fee(fee, int(first["id"]), first["short"])
        if "err" in first and "errid" in first:
            yield qxt.format_banned_word(check, first["err"])
        for refusal in Refusal:
            faile = _split(first.get("faile", ""))
            for endpoint in (send, fee, readsms, cpwd):
                yield qxt.format_refusal(endpoint, refusal, faile=faile)


def _hi8d_candidates(body: dict[str, Any]) -> Iterator[bytes]:
    failed = _split(body.get("failed", ""))
    if "src" in body:
        yield hi8d.format_inbound_push(
            inbound_id=body["id"],
            source=body["src"],
            destination=body["dst"],
            text=body["content"],
            received_at=_hi8d_time(body["time"]),
        )
    elif "sms" in body:
        yield hi8d.format_report_push(
            guid=body["guid"],
            number=body["mb"],
            stat=body["stat"],
            error_code=body["sms"],
            done_at=_hi8d_time(body["time"]),
        )
    elif body["status"] == 1:
        yield hi8d.format_accepted(_split(body["guid"]), _split(body["mb"]), failed)
    else:
        for refusal in Refusal:
            yield hi8d.format_refused(refusal, failed)


def test_the_docs_show_answers() -> None:
    assert len(ANSWERS) > 25


@pytest.mark.parametrize(("where", "line"), ANSWERS, ids=[a[1][:60] for a in ANSWERS])
def test_answer_is_what_the_codecs_write(where: str, line: str) -> None:
    if line.startswith("{"):
        body = json.loads(line, object_pairs_hook=dict)
        shown = json.loads(line, object_pairs_hook=list)
        written = [json.loads(c, object_pairs_hook=list) for c in _hi8d_candidates(body)]
        assert shown in written, f"{where}: no HI8D formatter writes {line}"
        if line.isascii():  # shown as on the wire: then byte for byte
            assert line.encode() in set(_hi8d_candidates(body)), where
    else:
        written = {c.decode("utf-8") for c in _qxt_candidates(line)}
        assert line in written, f"{where}: no 企信通 formatter writes {line}"


# --- 6. links ---------------------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_relative_links_resolve() -> None:
    broken = []
    for path in doc_files():
        for target in LINK.findall(path.read_text("utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (path.parent / target.split("#")[0]).exists():
                broken.append(f"{rel(path)} → {target}")
    assert not broken


def test_index_links_every_page() -> None:
    index = (DOCS / "index.md").read_text("utf-8")
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")} - {"index.md"}
    missing = {p for p in pages if f"]({p})" not in index}
    assert missing <= {"reference/pipeline.md"}, missing  # pipeline.md is another writer's


# --- extras: CLI reference completeness, signature example -------------------------------------


def _leaf_parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ("hongyan",)
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield " ".join(path), parser
    for sub in subs:
        for name, child in sub.choices.items():
            yield from _leaf_parsers(child, (*path, name))


LEAVES = list(_leaf_parsers(build_parser()))


@pytest.mark.parametrize(("command", "parser"), LEAVES, ids=[c for c, _ in LEAVES])
def test_cli_reference_covers_every_option(command: str, parser: argparse.ArgumentParser) -> None:
    text = section(DOCS / "reference/cli.md", f"## {command}")
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        names = action.option_strings or [action.metavar or action.dest.upper()]
        assert any(f"`{name}" in text for name in names), f"{command}: {names[0]}"


RECEIVING = DOCS / "howto/receiving-reports.md"


def test_signature_example_verifies_with_the_snippet() -> None:
    blocks = dict((info, lines) for info, lines in code_blocks(RECEIVING) if info)
    example = dict(line.split(":", 1) for line in blocks["text"])
    secret, body, signature = (example[k].strip() for k in ("secret", "body", "signature"))
    assert sign_push(secret, body.encode()) == signature
    namespace: dict[str, Any] = {}
    exec("\n".join(blocks["python"]), namespace)
    verify = namespace["verify"]
    assert verify(secret, body.encode(), signature)
    assert verify(secret, body.encode(), signature.upper())
    assert not verify(secret, body.replace('"status":1', '"status":0').encode(), signature)
    assert not verify(secret[:-1] + "0", body.encode(), signature)


def test_documented_push_retry_schedule() -> None:
    from datetime import UTC, timedelta

    from hongyan.core.pushes import next_attempt

    created = datetime(2026, 1, 1, tzinfo=UTC)
    delays = [(next_attempt(n, created, created) or created) - created for n in (1, 2, 3, 20)]
    assert delays == [timedelta(seconds=s) for s in (5, 10, 20, 1800)]
    assert next_attempt(1, created, created + timedelta(hours=24)) is None
