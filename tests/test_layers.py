"""Imports point down: protocols ← core ← store ← services, admin, cli (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "hongyan"

# layer → the layers it may import from (itself included)
ALLOWED = {
    "protocols": {"protocols"},
    "core": {"core", "protocols"},
    "store": {"store", "core", "protocols"},
    "simulator": {"simulator", "services", "protocols", "core"},  # shares the SMPP framing
}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "hongyan" else None


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_point_down(layer: str) -> None:
    violations = []
    for path in sorted((SRC / layer).rglob("*.py")):
        for module in _imports(path):
            target = _layer(module)
            if target is not None and target not in ALLOWED[layer]:
                violations.append(f"{path.relative_to(SRC)} imports {module}")
    assert not violations, "\n".join(violations)


def test_protocols_do_no_io() -> None:
    forbidden = {"asyncio", "socket", "sqlite3", "asyncpg", "httpx", "time"}
    violations = [
        f"{path.relative_to(SRC)} imports {module}"
        for path in sorted((SRC / "protocols").rglob("*.py"))
        for module in _imports(path)
        if module.split(".")[0] in forbidden
    ]
    assert not violations, "\n".join(violations)
