"""transparency-dev Merkle proof vectors: every happy path verifies, every mutation is rejected."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from trace.ledger import ProofError, consistency_proof, hash_leaf, inclusion_proof, verify_consistency, verify_inclusion
from trace.ledger.tiles import tile_node_reader, tiles_for_leaves

VECTORS = Path(__file__).resolve().parents[1] / "standards" / "merkle-vectors"
INCLUSION = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").rglob("*.json"))

# The RFC 6962 test tree the transparency-dev vectors are computed over.
TEST_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)  # type: ignore[no-any-return]


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def _proof(data: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in data["proof"] or []]


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(VECTORS)) for p in paths]


def test_vectors_are_present() -> None:
    assert len(INCLUSION) == 98
    assert len(CONSISTENCY) == 98
    assert sum(_load(p)["wantErr"] for p in INCLUSION + CONSISTENCY) == 196 - 12


@pytest.mark.parametrize("path", INCLUSION, ids=_ids(INCLUSION))
def test_inclusion_vector(path: Path) -> None:
    data = _load(path)
    args = (_b64(data["leafHash"]), data["leafIdx"], data["treeSize"], _proof(data), _b64(data["root"]))
    if data["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        assert verify_inclusion(*args) is None


@pytest.mark.parametrize("path", CONSISTENCY, ids=_ids(CONSISTENCY))
def test_consistency_vector(path: Path) -> None:
    data = _load(path)
    args = (data["size1"], data["size2"], _b64(data["root1"]), _b64(data["root2"]), _proof(data))
    if data["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        assert verify_consistency(*args) is None


HAPPY_INCLUSION = [p for p in INCLUSION if p.name == "happy-path.json"]
HAPPY_CONSISTENCY = [p for p in CONSISTENCY if p.name == "happy-path.json"]


@pytest.mark.parametrize("path", HAPPY_INCLUSION, ids=_ids(HAPPY_INCLUSION))
def test_generated_inclusion_proof_matches_vector(path: Path) -> None:
    data = _load(path)
    leaves = [hash_leaf(leaf) for leaf in TEST_LEAVES[: data["treeSize"]]]
    assert leaves[data["leafIdx"]] == _b64(data["leafHash"])
    node = tile_node_reader(tiles_for_leaves(leaves))
    assert inclusion_proof(data["leafIdx"], data["treeSize"], node) == _proof(data)


@pytest.mark.parametrize("path", HAPPY_CONSISTENCY, ids=_ids(HAPPY_CONSISTENCY))
def test_generated_consistency_proof_matches_vector(path: Path) -> None:
    data = _load(path)
    leaves = [hash_leaf(leaf) for leaf in TEST_LEAVES[: data["size2"]]]
    node = tile_node_reader(tiles_for_leaves(leaves))
    assert consistency_proof(data["size1"], data["size2"], node) == _proof(data)
