"""An LRU cache in front of an embedder: the pipeline embeds the same knowledge-base sentences
for many questions (the offline responder quotes them, the confidence model checks answers
against them), so after warm-up those cost a dictionary lookup instead of a model call.

One cache per model and process (`shared_cache`): triage, the injection guard and retrieval all
embed the customer's question, side by side; the first to ask computes it, the others wait for
that result instead of running the model again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from contactcenter.embeddings.base import Embedder, EmbedderInfo, Passage, Vector


class CachingEmbedder:
    def __init__(self, inner: Embedder, max_entries: int = 20_000) -> None:
        self._inner = inner
        self._max = max_entries
        self._vectors: OrderedDict[tuple[str, str, str], Vector] = OrderedDict()
        self._lock = threading.Lock()
        self._inflight: dict[tuple[str, str, str], threading.Event] = {}
        self.hits = 0
        self.misses = 0

    @property
    def info(self) -> EmbedderInfo:
        return self._inner.info

    def _get(self, key: tuple[str, str, str]) -> Vector | None:
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
                self.hits += 1
            return vector

    def _put(self, key: tuple[str, str, str], vector: Vector) -> None:
        with self._lock:
            self.misses += 1
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self._max:
                self._vectors.popitem(last=False)

    def embed_passages(self, passages: Sequence[Passage]) -> Vector:
        keys = [("p", p.title, p.text) for p in passages]
        found = [self._get(k) for k in keys]
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            fresh = self._inner.embed_passages([passages[i] for i in missing])
            for row, i in enumerate(missing):
                vector = np.array(fresh[row], dtype=np.float32)
                vector.setflags(write=False)
                found[i] = vector
                self._put(keys[i], vector)
        if not found:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        return np.stack([v for v in found if v is not None])

    def embed_query(self, text: str) -> Vector:
        key = ("q", "", text)
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
                self.hits += 1
                return vector
            pending = self._inflight.get(key)
            owner = pending is None
            if pending is None:
                pending = self._inflight[key] = threading.Event()
        if not owner:
            pending.wait()
            found = self._get(key)
            if found is not None:
                return found
        try:
            vector = np.array(self._inner.embed_query(text), dtype=np.float32)
            vector.setflags(write=False)
            self._put(key, vector)
            return vector
        finally:
            if owner:
                with self._lock:
                    self._inflight.pop(key, None)
                pending.set()


_SHARED: dict[int, CachingEmbedder] = {}
_SHARED_LOCK = threading.Lock()


def shared_cache(embedder: Embedder) -> Embedder:
    """The process's one cache in front of this embedder (created on first use)."""
    if isinstance(embedder, CachingEmbedder):
        return embedder
    with _SHARED_LOCK:
        cached = _SHARED.get(id(embedder))
        if cached is None or cached._inner is not embedder:
            cached = _SHARED[id(embedder)] = CachingEmbedder(embedder)
        return cached
