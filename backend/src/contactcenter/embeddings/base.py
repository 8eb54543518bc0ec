"""The embedder interface: passages and questions in, L2-normalised float32 vectors out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float32]


class EmbedderUnavailable(Exception):
    """The configured embedder cannot run (missing key or package, weights that fail their
    checksum, ...); the message says what to do."""


@dataclass(frozen=True, slots=True)
class Passage:
    """What an embedder encodes for one chunk: its context (title path) and its text."""

    title: str
    text: str


@dataclass(frozen=True, slots=True)
class EmbedderInfo:
    """Recorded on every collection, so vectors of two models are never mixed."""

    model_id: str  # stable name + version, e.g. "all-minilm-l6-v2@53aa5117"
    dim: int
    provider: str  # "offline" | "wordllama" | "fastembed" | "openai"


class Embedder(Protocol):
    """Turns passages and questions into L2-normalised float32 vectors. Synchronous and CPU-
    or network-bound: async callers run it in a worker thread."""

    @property
    def info(self) -> EmbedderInfo: ...

    def embed_passages(self, passages: Sequence[Passage]) -> Vector:
        """Shape (len(passages), dim)."""
        ...

    def embed_query(self, text: str) -> Vector:
        """Shape (dim,)."""
        ...
