"""docs/reference/rest-api.md names every operation and every problem type the code has."""

from __future__ import annotations

from pathlib import Path

from hongyan.services.api.rest.openapi import document
from hongyan.services.api.rest.problems import TYPES

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "rest-api.md"


def test_every_operation_and_problem_type_is_documented() -> None:
    text = REFERENCE.read_text("utf-8")
    for path, item in document()["paths"].items():
        for method in item:
            assert f"{method.upper()} {path}" in text, f"{method.upper()} {path}"
    for slug, (status, _, _) in TYPES.items():
        assert f"| `{slug}` | {status} |" in text, slug
