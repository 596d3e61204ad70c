"""Non-media files the emulator hands out: GLB meshes, safetensors LoRAs, zips, JSON.

Each is a small but real file of its format, so a viewer or loader downstream can open it.
"""

from __future__ import annotations

import io
import itertools
import json
import struct
import zipfile
from typing import Any

import numpy as np

from playground.localfal.media import seeded_rng

GENERATOR = "Playground local fal emulator"
# Two triangles per cube face, wound counter-clockwise seen from outside (glTF front faces).
_CUBE_TRIANGLES = [
    0, 1, 3, 0, 3, 2,  4, 6, 7, 4, 7, 5,  0, 4, 5, 0, 5, 1,
    2, 3, 7, 2, 7, 6,  0, 2, 6, 0, 6, 4,  1, 5, 7, 1, 7, 3,
]  # fmt: skip
_GLTF_FLOAT, _GLTF_USHORT = 5126, 5123
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963


def make_glb(seed: int) -> bytes:
    """A binary glTF 2.0 file: one seed-shaped, seed-coloured box."""
    rng = seeded_rng("mesh", seed)
    corners = np.array(list(itertools.product((-1.0, 1.0), repeat=3)))
    positions = (corners * rng.uniform(0.6, 1.0, (8, 3))).astype("<f4")
    indices = np.array(_CUBE_TRIANGLES, dtype="<u2")
    blob = positions.tobytes() + indices.tobytes()
    gltf = _gltf_document(positions, len(indices), len(blob), [*rng.uniform(0.2, 0.9, 3), 1.0])
    document = json.dumps(gltf, separators=(",", ":")).encode()
    document += b" " * (-len(document) % 4)  # chunks are 4-byte aligned; JSON pads with spaces
    blob += b"\0" * (-len(blob) % 4)
    total = 12 + 8 + len(document) + 8 + len(blob)
    return b"".join(
        [
            struct.pack("<4sII", b"glTF", 2, total),
            struct.pack("<I4s", len(document), b"JSON"),
            document,
            struct.pack("<I4s", len(blob), b"BIN\0"),
            blob,
        ]
    )


def _gltf_document(
    positions: np.ndarray, index_count: int, byte_length: int, colour: list[float]
) -> dict[str, Any]:
    vertex_bytes = positions.nbytes
    return {
        "asset": {"version": "2.0", "generator": GENERATOR},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1, "material": 0}]}],
        "materials": [
            {"pbrMetallicRoughness": {"baseColorFactor": colour, "roughnessFactor": 0.8}}
        ],
        "buffers": [{"byteLength": byte_length}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": vertex_bytes, "target": _ARRAY_BUFFER},
            {
                "buffer": 0,
                "byteOffset": vertex_bytes,
                "byteLength": index_count * 2,
                "target": _ELEMENT_ARRAY_BUFFER,
            },
        ],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": _GLTF_FLOAT,
                "count": len(positions),
                "type": "VEC3",
                "min": positions.min(axis=0).tolist(),
                "max": positions.max(axis=0).tolist(),
            },
            {
                "bufferView": 1,
                "componentType": _GLTF_USHORT,
                "count": index_count,
                "type": "SCALAR",
            },
        ],
    }


def make_safetensors(seed: int, metadata: dict[str, Any]) -> bytes:
    """A tiny rank-4 LoRA in the safetensors format (header JSON, then raw tensors)."""
    rng = seeded_rng("lora", seed)
    prefix = "transformer.single_transformer_blocks.0.attn.to_q"
    tensors = {
        f"{prefix}.lora_A.weight": rng.normal(0, 0.02, (4, 64)).astype("<f4"),
        f"{prefix}.lora_B.weight": rng.normal(0, 0.002, (64, 4)).astype("<f4"),
    }
    header: dict[str, Any] = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    offset, blobs = 0, []
    for name, tensor in sorted(tensors.items()):
        blobs.append(tensor.tobytes())
        header[name] = {
            "dtype": "F32",
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + tensor.nbytes],
        }
        offset += tensor.nbytes
    encoded = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    encoded += b" " * (-len(encoded) % 8)  # the format asks for 8-byte alignment of the data
    return struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs)


def make_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, indent=2, sort_keys=True, default=str).encode()


def make_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(entries.items()):
            # A fixed timestamp keeps the archive byte-identical for the same seed.
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def count_zip_entries(data: bytes) -> int | None:
    """How many files a zip holds, or None when `data` is not a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(1 for info in archive.infolist() if not info.is_dir())
    except zipfile.BadZipFile:
        return None
