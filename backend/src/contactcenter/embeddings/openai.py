"""OpenAI embeddings through the official SDK (text-embedding-3-small by default).

Passages are sent as "title\\n\\ntext" with no title mix: strong models place the title
themselves, and a second input per passage would double the cost. The SDK retries 408/409/429
and 5xx twice with backoff; what still fails surfaces as EmbeddingFailed, and a rejected key as
EmbedderUnavailable. The API key never appears in a message, and the SDK's own error (whose
text may quote the key) is not chained to ours.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx2
import numpy as np
import openai

from contactcenter.embeddings._common import EmbeddingFailed, l2_normalise
from contactcenter.embeddings.base import EmbedderInfo, EmbedderUnavailable, Passage, Vector

DEFAULT_MODEL = "text-embedding-3-small"
KNOWN_DIMS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
MAX_RETRIES = 2
_KEY_LIKE = re.compile(r"sk-[A-Za-z0-9_\-*]{6,}")


class OpenAIEmbedder:
    """Embeds through `POST /v1/embeddings`, `batch_size` inputs per request.

    `http_client` replaces the SDK's HTTP client (tests pass one with an httpx2.MockTransport).
    A model missing from KNOWN_DIMS is asked for one vector at start-up to learn its size."""

    def __init__(
        self,
        *,
        api_key: str | None,
        model: str | None = None,
        dimensions: int | None = None,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        batch_size: int = 32,
        http_client: httpx2.Client | None = None,
    ) -> None:
        if not api_key:
            raise EmbedderUnavailable(
                "EMBEDDING_PROVIDER=openai needs an API key: set OPENAI_API_KEY, "
                "or choose EMBEDDING_PROVIDER=offline"
            )
        self._model = model or DEFAULT_MODEL
        if dimensions is not None and self._model == "text-embedding-ada-002":
            raise EmbedderUnavailable(
                "text-embedding-ada-002 has a fixed size: unset EMBEDDING_DIMENSIONS, "
                "or use a text-embedding-3 model"
            )
        self._dimensions = dimensions
        self._batch_size = batch_size
        self._secret = api_key
        self._client = openai.OpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=MAX_RETRIES,
            http_client=http_client,
        )
        if dimensions is not None:
            dim = dimensions
        elif self._model in KNOWN_DIMS:
            dim = KNOWN_DIMS[self._model]
        else:
            dim = self._request(["dimension probe"]).shape[1]
        suffix = f":{dimensions}" if dimensions is not None else ""
        self._info = EmbedderInfo(
            model_id=f"openai:{self._model}{suffix}", dim=dim, provider="openai"
        )

    @property
    def info(self) -> EmbedderInfo:
        return self._info

    def embed_passages(self, passages: Sequence[Passage]) -> Vector:
        texts = [f"{p.title.strip()}\n\n{p.text}" if p.title.strip() else p.text for p in passages]
        return self._embed(texts)

    def embed_query(self, text: str) -> Vector:
        return self._embed([text]).reshape(self._info.dim)

    def _embed(self, texts: list[str]) -> Vector:
        out = np.zeros((len(texts), self._info.dim), dtype=np.float32)
        for start in range(0, len(texts), self._batch_size):
            rows = self._request(texts[start : start + self._batch_size])
            if rows.shape[1] != self._info.dim:
                raise EmbeddingFailed(
                    f"OpenAI returned {rows.shape[1]}-d vectors for {self._model}, expected "
                    f"{self._info.dim}",
                    retryable=False,
                )
            out[start : start + len(rows)] = rows
        return l2_normalise(out)

    def _request(self, texts: list[str]) -> Vector:
        """One API call; rows in input order. The API rejects empty strings: send a space."""
        inputs = [text if text.strip() else " " for text in texts]
        try:
            response = self._client.embeddings.create(
                model=self._model,
                input=inputs,
                dimensions=self._dimensions if self._dimensions is not None else openai.omit,
            )
        except openai.AuthenticationError as exc:
            raise EmbedderUnavailable(
                f"OpenAI rejected the API key (HTTP 401{_request_id(exc)}); check "
                "OPENAI_API_KEY, or choose EMBEDDING_PROVIDER=offline"
            ) from None  # the SDK's message may echo part of the key
        except openai.APIStatusError as exc:
            retryable = exc.status_code in (408, 409, 429) or exc.status_code >= 500
            raise EmbeddingFailed(
                f"OpenAI embeddings failed with HTTP {exc.status_code}{_request_id(exc)}: "
                f"{self._redact(exc.message)}",
                retryable=retryable,
                status_code=exc.status_code,
            ) from None  # status, request id and the redacted message say it all
        except openai.APIConnectionError as exc:  # includes APITimeoutError
            raise EmbeddingFailed(
                f"OpenAI embeddings unreachable ({type(exc).__name__}): {self._redact(str(exc))}",
                retryable=True,
            ) from exc
        except (openai.OpenAIError, ValueError) as exc:  # an answer the SDK could not read
            raise EmbeddingFailed(
                f"OpenAI embeddings answer unusable: {self._redact(str(exc))}", retryable=False
            ) from exc
        data = sorted(response.data, key=lambda item: item.index)
        if [item.index for item in data] != list(range(len(inputs))):
            raise EmbeddingFailed(
                f"OpenAI returned {len(data)} embeddings for {len(inputs)} inputs",
                retryable=False,
            )
        return np.asarray([item.embedding for item in data], dtype=np.float32)

    def _redact(self, message: str) -> str:
        return _KEY_LIKE.sub("sk-***", message.replace(self._secret, "***"))


def _request_id(exc: openai.APIStatusError) -> str:
    return f", request id {exc.request_id}" if exc.request_id else ""
