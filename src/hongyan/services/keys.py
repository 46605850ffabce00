"""The server key: derives push-signing secrets and keys the credential cache."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from hongyan.config import SecuritySettings


def load_server_key(settings: SecuritySettings, base_dir: Path | None = None) -> bytes:
    """``secret_key`` when configured; else the key file, created (mode 0600) on first use.

    Every process of one deployment must see the same key (configure ``secret_key`` or share
    the file), or push signatures change with the process.
    """
    if settings.secret_key:
        return hashlib.sha256(settings.secret_key.encode()).digest()
    path = Path(settings.key_file)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex())
    return key
