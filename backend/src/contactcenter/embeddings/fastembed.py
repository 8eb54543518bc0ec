"""FastEmbed (ONNX Runtime) embedders: BAAI/bge-small-en-v1.5 by default, or any model FastEmbed
lists. The model comes from a local folder (EMBEDDING_FASTEMBED_MODEL_PATH), from FastEmbed's
cache, or is downloaded once from Hugging Face.

Offline with an empty cache, FastEmbed itself spends about 39 s in retries before failing; here
the cache is tried first without network, then one TCP connect to the hub (2 s at most) decides
between downloading and failing at once with what to do.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from fastembed import TextEmbedding
from loguru import logger

from contactcenter.embeddings._common import encode_by_length, l2_normalise, title_mixed
from contactcenter.embeddings.base import EmbedderInfo, EmbedderUnavailable, Passage, Vector

DEFAULT_MODEL = "BAAI/bge-small-en-v1.5"
HUB_PROBE_TIMEOUT_S = 2.0
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


class FastEmbedEmbedder:
    """A FastEmbed text model; passages get the same title mix as the offline embedder."""

    def __init__(
        self,
        *,
        model: str | None = None,
        cache_dir: Path | None = None,
        model_path: Path | None = None,
        batch_size: int = 32,
    ) -> None:
        self._name = model or DEFAULT_MODEL
        model_file = _model_file(self._name)
        if model_file is None:
            raise EmbedderUnavailable(
                f"FastEmbed does not know the model {self._name!r}; set EMBEDDING_MODEL to one "
                "of `fastembed.TextEmbedding.list_supported_models()`"
            )
        if model_path is not None:
            self._model = _load_folder(self._name, model_path, model_file, cache_dir)
        else:
            self._model = _load_cached_or_download(self._name, cache_dir)
        self._batch_size = batch_size
        self._info = EmbedderInfo(
            model_id=f"fastembed:{self._name}",
            dim=self._model.embedding_size,
            provider="fastembed",
        )

    @property
    def info(self) -> EmbedderInfo:
        return self._info

    def embed_passages(self, passages: Sequence[Passage]) -> Vector:
        return title_mixed(passages, encode=self._encode)

    def embed_query(self, text: str) -> Vector:
        rows = np.asarray(list(self._model.query_embed([text])), dtype=np.float32)
        return l2_normalise(rows).reshape(self._info.dim)

    def _encode(self, texts: list[str]) -> Vector:
        return encode_by_length(
            texts, dim=self._info.dim, batch_size=self._batch_size, encode_batch=self._encode_batch
        )

    def _encode_batch(self, texts: list[str]) -> Vector:
        rows = self._model.passage_embed(texts, batch_size=len(texts))
        return l2_normalise(np.asarray(list(rows), dtype=np.float32))


def _model_file(name: str) -> str | None:
    """The ONNX file FastEmbed loads for `name`, or None for a model it does not list."""
    for description in TextEmbedding.list_supported_models():
        if str(description["model"]).lower() == name.lower():
            return str(description["model_file"])
    return None


def _load_folder(name: str, folder: Path, model_file: str, cache_dir: Path | None) -> TextEmbedding:
    needed = [model_file, "tokenizer.json", "tokenizer_config.json"]
    missing = [file for file in needed if not (folder / file).is_file()]
    if missing:
        raise EmbedderUnavailable(
            f"EMBEDDING_FASTEMBED_MODEL_PATH={folder} lacks {', '.join(missing)}; point it at a "
            f"local ONNX export of {name}"
        )
    try:
        return TextEmbedding(
            name, cache_dir=_str(cache_dir), specific_model_path=str(folder), local_files_only=True
        )
    except Exception as exc:  # onnxruntime raises plain Exception subclasses
        raise EmbedderUnavailable(
            f"FastEmbed could not load {name} from {folder} ({exc}); re-export or re-download "
            "the model into that folder"
        ) from exc


def _load_cached_or_download(name: str, cache_dir: Path | None) -> TextEmbedding:
    cache = _str(cache_dir)
    try:
        with _quiet_fastembed():
            return TextEmbedding(name, cache_dir=cache, local_files_only=True)
    except ValueError:
        pass  # not cached yet
    if not _hub_reachable():
        where = cache or "FastEmbed's default cache (FASTEMBED_CACHE_PATH)"
        raise EmbedderUnavailable(
            f"FastEmbed has no local copy of {name} in {where} and Hugging Face is not "
            "reachable; run once with network access to download it, set "
            "EMBEDDING_FASTEMBED_MODEL_PATH to a local ONNX model folder, or use "
            "EMBEDDING_PROVIDER=offline"
        )
    try:
        return TextEmbedding(name, cache_dir=cache)
    except Exception as exc:  # download errors, or onnxruntime's plain Exception subclasses
        raise EmbedderUnavailable(
            f"FastEmbed could not download {name} ({exc}); retry, or set "
            "EMBEDDING_FASTEMBED_MODEL_PATH to a local ONNX model folder"
        ) from exc


def _str(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def _hub_reachable() -> bool:
    """One TCP connect to the Hugging Face endpoint, unless the environment says offline.
    Behind a proxy a direct connect proves nothing, so FastEmbed is left to try."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "TRUE", "YES", "ON"}:
        return False
    if any(os.environ.get(name) for name in _PROXY_VARIABLES):
        return True
    endpoint = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host = endpoint.hostname or "huggingface.co"
    port = endpoint.port or (80 if endpoint.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=HUB_PROBE_TIMEOUT_S).close()
    except OSError:
        return False
    return True


@contextmanager
def _quiet_fastembed() -> Iterator[None]:
    """Silence FastEmbed's error logs while probing its cache: a miss is expected."""
    logger.disable("fastembed")
    try:
        yield
    finally:
        logger.enable("fastembed")
