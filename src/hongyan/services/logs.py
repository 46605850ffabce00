"""Structured logs: a JSON object per line when stderr is not a terminal, else readable text.

Fields a log call passes with ``extra=`` (``message_id``, ``account``, ``channel``, ``slot``,
``state``…) become JSON keys (or ``key=value`` after the text), so logs can be searched by
message, account or channel. Nothing logs a message's text or a password; as a second line of
defence, anything shaped like ``password=…``/``passwd=…``/``secret=…``/``key=…`` in a line is
masked, and httpx (which logs every URL it fetches) is kept at WARNING.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_SECRET = re.compile(
    r"(?i)\b(pass(?:wd|word)?|pwd|secret|api_key|token|key)(\s*[=:]\s*)([^\s&,;\"']+)"
)
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def mask(text: str) -> str:
    return _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


def fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "msg": mask(record.getMessage()),
        }
        entry.update(fields(record))
        if record.exc_info:
            entry["exc"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extra = " ".join(f"{k}={v}" for k, v in fields(record).items())
        return mask(f"{text} {extra}" if extra else text)


def configure(level: str = "info", format: str = "auto", stream: TextIO | None = None) -> None:
    """Send every log line to ``stream`` (stderr): JSON, text, or JSON unless it is a terminal."""
    stream = stream or sys.stderr
    use_json = format == "json" or (format == "auto" and not stream.isatty())
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if use_json else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(LEVELS[level])
    for noisy in ("httpx", "httpcore", "asyncio", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(max(LEVELS[level], logging.WARNING))
