"""The CMPP channel keys: defaults, and values CMPP cannot carry refused with a clear error."""

from __future__ import annotations

import pytest

from hongyan.config import ConfigError, parse


def channel(**keys: object) -> dict[str, object]:
    return {"channels": [{"name": "cmcc", "protocol": "cmpp", "system_id": "901234", **keys}]}


def test_cmpp_channel_keys() -> None:
    [c] = parse(channel(service_id="MHY0010101", src_id="1069001"), environ={}).channels
    assert (c.protocol, c.system_id, c.service_id, c.src_id) == (
        "cmpp",
        "901234",
        "MHY0010101",
        "1069001",
    )
    [d] = parse(channel(), environ={}).channels
    assert (d.service_id, d.src_id) == ("", "")


@pytest.mark.parametrize(
    ("key", "value"),
    [("system_id", "hongyan"), ("service_id", "x" * 11), ("src_id", "1" * 22), ("src_id", "一")],
)
def test_values_cmpp_cannot_carry_are_refused(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"channels\[0\]\.{key}: CMPP takes at most"):
        parse(channel(**{key: value}), environ={})


def test_smpp_channels_keep_their_longer_system_id() -> None:
    data = {"channels": [{"name": "intl", "protocol": "smpp", "system_id": "hongyan-long"}]}
    assert parse(data, environ={}).channels[0].system_id == "hongyan-long"
