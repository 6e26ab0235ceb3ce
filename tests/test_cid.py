"""CIDs: the same as IPFS and the `multiformats` reference library compute, strictly parsed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multiformats import CID, multihash

from protocol.cid import (
    MAX_BLOCK_BYTES,
    HashFunction,
    check_size,
    cid_for,
    parse_cid,
    verify_content,
)
from protocol.errors import BadCid, ContentMismatch, ContentTooLarge


@given(st.binary(max_size=2048), st.sampled_from(["sha2-256", "blake3"]))
def test_cids_match_the_multiformats_reference(data: bytes, hash_function: str):
    digest = multihash.digest(data, hash_function, size=32)
    expected = str(CID("base32", 1, "raw", digest))
    assert cid_for(data, hash_function) == expected  # type: ignore[arg-type]
    assert str(parse_cid(expected)) == expected


def test_blake3_cid_of_hello_world():
    assert cid_for(b"hello world", "blake3") == (
        "bafkr4igxjga67jykbseaxdmmdgc5a5o3zp3htom2l6mrjznk7fvyggu6eq"
    )


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", "CIDv0"),
        ("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", "dag-pb"),
        ("zdj7WhuEjrB52m1BisYCtmjH1hSKa7yZ3jEZ9JcXaFRD51wVz", "should start with 'b'"),
        ("b!!!!!!!!!!!!", "not valid base32"),
        (str(CID("base32", 1, "dag-cbor", multihash.digest(b"x", "sha2-256"))), "raw codec"),
        (str(CID("base32", 1, "raw", multihash.digest(b"x", "sha2-512"))), "multihash 0x13"),
        ("b" + "a" * 5000, r"\(5001 characters\) is too long"),
    ],
)
def test_parse_rejects_what_it_cannot_verify(text: str, fragment: str):
    with pytest.raises(BadCid, match=fragment):
        parse_cid(text)


def test_verify_content_rejects_other_bytes():
    cid = cid_for(b"model weights")
    verify_content(cid, b"model weights")
    with pytest.raises(ContentMismatch, match="discarded"):
        verify_content(cid, b"model weightz")


def test_content_larger_than_one_ipfs_block_is_refused():
    check_size(bytes(MAX_BLOCK_BYTES))
    with pytest.raises(ContentTooLarge, match="262144"):
        check_size(bytes(MAX_BLOCK_BYTES + 1))


@pytest.mark.parametrize("hash_function", ["sha2-256", "blake3"])
def test_the_multihash_is_the_reference_one(hash_function: HashFunction) -> None:
    data = b"a module"
    reference = multihash.digest(data, hash_function, size=32)
    assert parse_cid(cid_for(data, hash_function)).multihash == bytes(reference)
