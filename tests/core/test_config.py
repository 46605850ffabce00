from __future__ import annotations

from pathlib import Path

import pytest

from hongyan.config import ConfigError, load, parse

EXAMPLE = """
[database]
url = "postgresql://u:p@127.0.0.1:5432/hongyan"

[http]
host = "0.0.0.0"
port = 8080

[[channels]]
name = "mobile"
protocol = "smpp"
host = "127.0.0.1"
port = 2775
system_id = "hongyan"
password = "secret"
bind = "transmitter+receiver"
window = 64
tps = 100
binds = 2

[[routes]]
prefix = "86"
channels = ["mobile"]
"""


def test_operations_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "hongyan.toml"
    path.write_text(EXAMPLE)
    settings = load(path, environ={})
    assert settings.database.url.startswith("postgresql://")
    assert settings.channels[0].bind == "transmitter+receiver"
    assert settings.channels[0].binds == 2
    assert settings.routes[0].channels == ("mobile",)


def test_environment_overrides(tmp_path: Path) -> None:
    path = tmp_path / "hongyan.toml"
    path.write_text(EXAMPLE)
    env = {"HONGYAN_DATABASE_URL": "sqlite:///x.db", "HONGYAN_HTTP_PORT": "9090"}
    settings = load(path, environ=env)
    assert settings.database.url == "sqlite:///x.db"
    assert settings.http.port == 9090


def test_defaults_without_file() -> None:
    settings = load(None, environ={})
    assert settings.database.url == "sqlite:///hongyan-data/hongyan.db"
    assert (settings.http.host, settings.http.port) == ("127.0.0.1", 8080)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"database": {"uri": "x"}}, "database.uri: unknown key"),
        ({"databse": {}}, "databse: unknown section"),
        ({"http": {"port": "eighty"}}, "http.port: expected a number"),
        ({"http": {"port": True}}, "http.port: expected a number"),
        ({"channels": [{"name": "a", "bind": "rx"}]}, "channels[0].bind: expected one of"),
        ({"channels": [{"port": 1}]}, "channels[0]: missing required key 'name'"),
        ({"channels": [{"name": "a", "window": 0}]}, "channels[0].window"),
        ({"channels": [{"name": "a"}, {"name": "a"}]}, "'a' is used twice"),
        ({"routes": [{"channels": ["nope"]}]}, "no channel is named 'nope'"),
        ({"routes": [{"prefix": "+86", "channels": []}]}, "routes[0].prefix: expected digits"),
        ({"channels": {"name": "a"}}, "channels: expected an array"),
    ],
)
def test_errors_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(data, environ={})
    assert message in str(info.value)


def test_bad_env_value_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"http\.port"):
        parse({}, environ={"HONGYAN_HTTP_PORT": "x"})


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load(tmp_path / "missing.toml", environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[http\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(broken, environ={})
