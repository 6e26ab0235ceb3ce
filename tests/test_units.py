"""Small pure helpers: CIDs, SWT amounts, settings, capability encoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol.chain.types import decode_capability, encode_capability
from protocol.cid import cid_for
from protocol.errors import ConfigError
from protocol.settings import DEFAULT_RPC_URL, Settings
from protocol.units import format_swt, parse_swt


def test_cid_matches_ipfs_for_empty_content():
    # `ipfs add --cid-version 1 --raw-leaves` of an empty file.
    assert cid_for(b"") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


def test_cid_matches_ipfs_for_hello_world():
    # `echo -n "hello world" | ipfs add --cid-version 1 --raw-leaves`
    assert cid_for(b"hello world") == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"


@pytest.mark.parametrize(
    "text,wei", [("0", 0), ("1", 10**18), ("0.5", 5 * 10**17), ("150", 150 * 10**18)]
)
def test_swt_amounts_round_trip(text: str, wei: int):
    assert parse_swt(text) == wei
    assert format_swt(wei) == f"{text} SWT"


@pytest.mark.parametrize("bad", ["-1", "abc", "1e-19", "NaN", "inf"])
def test_bad_swt_amounts_are_refused(bad: str):
    with pytest.raises(ValueError):
        parse_swt(bad)


def test_capability_round_trips_and_rejects_long_names():
    assert decode_capability(encode_capability("digits-8x8")) == "digits-8x8"
    with pytest.raises(ConfigError):
        encode_capability("x" * 32)
    with pytest.raises(ConfigError):
        encode_capability("")


def test_settings_come_from_file_then_env_then_overrides(tmp_path: Path):
    (tmp_path / "config.toml").write_text('rpc_url = "http://file:1"\nrpc_timeout_s = 5\n')
    env = {"MEMJIT_HOME": str(tmp_path)}
    assert Settings.load(env).rpc_url == "http://file:1"
    assert Settings.load(env).rpc_timeout_s == 5.0
    env["MEMJIT_RPC_URL"] = "http://env:2"
    assert Settings.load(env).rpc_url == "http://env:2"
    assert Settings.load(env, rpc_url="http://flag:3").rpc_url == "http://flag:3"
    assert Settings.load({"MEMJIT_HOME": str(tmp_path / "none")}).rpc_url == DEFAULT_RPC_URL


def test_bad_settings_are_named(tmp_path: Path):
    (tmp_path / "config.toml").write_text("rpc_timeout_s = 'soon'\n")
    with pytest.raises(ConfigError, match="rpc_timeout_s"):
        Settings.load({"MEMJIT_HOME": str(tmp_path)})
    (tmp_path / "config.toml").write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.load({"MEMJIT_HOME": str(tmp_path)})


@pytest.mark.parametrize(
    "text,size",
    [("4096", 4096), ("1GB", 10**9), ("64MiB", 64 * 2**20), ("1.5 kib", 1536), ("0", 0)],
)
def test_sizes_parse_with_units(text: str, size: int):
    from protocol.units import parse_size

    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "-1MB", "1XB", "nan", ""])
def test_bad_sizes_are_refused(text: str):
    from protocol.units import parse_size

    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)
