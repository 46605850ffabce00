from __future__ import annotations

import pytest

from hongyan.core.accounts import (
    address_allowed,
    hash_password,
    md5_hex,
    parse_networks,
    push_secret,
    sign_push,
    verify_md5,
    verify_password,
)


def test_password_hash_serves_both_dialects() -> None:
    stored = hash_password("demo1234")
    assert "demo1234" not in stored and md5_hex("demo1234") not in stored
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "demo1234")
    assert verify_md5(stored, md5_hex("demo1234"))
    assert verify_md5(stored, md5_hex("demo1234").upper())
    assert not verify_password(stored, "demo12345")
    assert not verify_md5(stored, "not-an-md5")
    assert not verify_md5("garbage", md5_hex("demo1234"))


def test_networks() -> None:
    nets = parse_networks(["10.0.0.0/8", "192.168.1.7", "::1/128"])
    assert nets == ("10.0.0.0/8", "192.168.1.7/32", "::1/128")
    assert address_allowed(nets, "10.2.3.4")
    assert address_allowed(nets, "::1")
    assert not address_allowed(nets, "11.0.0.1")
    assert not address_allowed(nets, None)
    assert not address_allowed(nets, "not-an-ip")
    assert address_allowed((), "11.0.0.1")
    with pytest.raises(ValueError, match=r"10\.0\.0\.300"):
        parse_networks(["10.0.0.300/8"])


def test_push_secrets_derive_and_rotate() -> None:
    key = b"k" * 32
    first = push_secret(key, 1, 1)
    assert first == push_secret(key, 1, 1)
    assert first != push_secret(key, 1, 2)
    assert first != push_secret(key, 2, 1)
    assert len(sign_push(first, b"{}")) == 64
    assert sign_push(first, b"{}") != sign_push(first, b"{ }")
