"""The exception every failed call raises: the server's RFC 9457 problem, typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    detail: str
    pointer: str | None = None  # JSON pointer into the body, "#/to/0"
    parameter: str | None = None
    header: str | None = None
    code: str | None = None  # refusal code, e.g. "invalid_number"


class ApiError(Exception):
    """A problem answer (4xx/5xx). ``kind`` is the last part of ``type``, e.g. "rate-limited"."""

    def __init__(
        self,
        status: int,
        problem: Mapping[str, Any],
        *,
        retry_after: float | None = None,
        replayed: bool = False,
    ) -> None:
        self.status = status
        self.type = str(problem.get("type", "about:blank"))
        self.title = str(problem.get("title", ""))
        self.detail = str(problem.get("detail", ""))
        self.errors = tuple(
            FieldError(
                detail=str(e.get("detail", "")),
                pointer=e.get("pointer"),
                parameter=e.get("parameter"),
                header=e.get("header"),
                code=e.get("code"),
            )
            for e in problem.get("errors", ())
            if isinstance(e, Mapping)
        )
        self.retry_after = retry_after
        self.replayed = replayed
        super().__init__(f"{status} {self.title}: {self.detail}")

    @property
    def kind(self) -> str:
        return self.type.rsplit("problem-", 1)[-1] if "problem-" in self.type else self.type
