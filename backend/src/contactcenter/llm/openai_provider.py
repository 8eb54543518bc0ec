"""OpenAI Chat Completions adapter; also any OpenAI-compatible server (vLLM, Ollama) by base_url.

The SDK's own retries are off (``max_retries=0``): :mod:`.resilience` retries.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx2
import openai
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat
from pydantic import BaseModel

from .base import (
    LLMChunk,
    LLMError,
    LLMRequest,
    LLMResult,
    elapsed_ms,
    estimate_cost,
    parse_retry_after,
    parse_structured,
)


def strict_json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in OpenAI's strict dialect: every object closed, every key
    required, no ``default``/``title`` keywords."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items() if k not in ("default", "title")}
            if out.get("type") == "object" or "properties" in out:
                out["additionalProperties"] = False
                out["required"] = list(out.get("properties", {}))
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return cast(dict[str, Any], walk(copy.deepcopy(schema.model_json_schema())))


class OpenAIProvider:
    def __init__(
        self,
        api_key: str,
        model: str,
        *,
        base_url: str | None = None,
        http_client: httpx2.AsyncClient | None = None,
        name: str = "openai",
    ) -> None:
        self._name = name
        self._model = model
        self._secret = api_key
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, http_client=http_client, max_retries=0
        )

    @property
    def name(self) -> str:
        return self._name

    async def aclose(self) -> None:
        await self._client.close()

    # -- request shape -------------------------------------------------------------------

    def _messages(self, request: LLMRequest) -> list[ChatCompletionMessageParam]:
        return [
            cast(ChatCompletionMessageParam, {"role": m.role, "content": m.content})
            for m in request.messages
        ]

    def _response_format(self, request: LLMRequest) -> ResponseFormat | openai.Omit:
        schema = request.response_schema
        if schema is None:
            return openai.omit
        return {
            "type": "json_schema",
            "json_schema": {
                "name": schema.__name__[:64],
                "schema": strict_json_schema(schema),
                "strict": True,
            },
        }

    # -- calls ---------------------------------------------------------------------------

    async def complete(self, request: LLMRequest) -> LLMResult:
        model = request.model or self._model
        started = time.perf_counter()
        try:
            async with asyncio.timeout(request.timeout_s):
                response = await self._client.chat.completions.create(
                    model=model,
                    messages=self._messages(request),
                    temperature=request.temperature,
                    max_tokens=request.max_tokens,
                    response_format=self._response_format(request),
                    timeout=request.timeout_s,
                )
        except TimeoutError:
            raise LLMError(self._name, "timeout", "no answer in time") from None
        except openai.OpenAIError as exc:
            raise self._map_error(exc) from None
        if not response.choices:
            raise LLMError(self._name, "invalid_output", "no choices in the answer")
        message = response.choices[0].message
        if message.refusal:
            raise LLMError(self._name, "invalid_output", "the model refused")
        text = message.content or ""
        usage = response.usage
        in_tok = usage.prompt_tokens if usage else 0
        out_tok = usage.completion_tokens if usage else 0
        return LLMResult(
            text=text,
            parsed=parse_structured(self._name, request.response_schema, text),
            provider=self._name,
            model=response.model or model,
            input_tokens=in_tok,
            output_tokens=out_tok,
            cost_usd=estimate_cost(response.model or model, in_tok, out_tok),
            latency_ms=elapsed_ms(started),
            tags=request.tags,
        )

    async def stream(self, request: LLMRequest) -> AsyncIterator[LLMChunk | LLMResult]:
        model = request.model or self._model
        started = time.perf_counter()
        parts: list[str] = []
        in_tok = out_tok = 0
        finished = False
        answered_model = model
        try:
            async with asyncio.timeout(request.timeout_s):
                stream = await self._client.chat.completions.create(
                    model=model,
                    messages=self._messages(request),
                    temperature=request.temperature,
                    max_tokens=request.max_tokens,
                    response_format=self._response_format(request),
                    stream=True,
                    stream_options={"include_usage": True},
                    timeout=request.timeout_s,
                )
        except TimeoutError:
            raise LLMError(self._name, "timeout", "no answer in time") from None
        except openai.OpenAIError as exc:
            raise self._map_error(exc) from None
        iterator = stream.__aiter__()
        try:
            while True:
                try:
                    # an idle timeout per chunk: the generator never holds a timeout over a yield
                    async with asyncio.timeout(request.timeout_s):
                        chunk: ChatCompletionChunk = await iterator.__anext__()
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise self._stalled(parts) from None
                except (openai.OpenAIError, httpx2.HTTPError) as exc:
                    if parts:
                        raise LLMError(self._name, "stream_cut", "the stream broke") from None
                    if isinstance(exc, openai.OpenAIError):
                        raise self._map_error(exc) from None
                    raise LLMError(self._name, "unavailable", type(exc).__name__) from None
                answered_model = chunk.model or answered_model
                if chunk.usage is not None:
                    in_tok = chunk.usage.prompt_tokens
                    out_tok = chunk.usage.completion_tokens
                for choice in chunk.choices:
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        yield LLMChunk(delta=choice.delta.content)
                    if choice.finish_reason is not None:
                        finished = True
        finally:
            await stream.close()
        if not finished:
            raise LLMError(self._name, "stream_cut", "the stream ended before its final chunk")
        text = "".join(parts)
        yield LLMResult(
            text=text,
            parsed=parse_structured(self._name, request.response_schema, text),
            provider=self._name,
            model=answered_model,
            input_tokens=in_tok,
            output_tokens=out_tok,
            cost_usd=estimate_cost(answered_model, in_tok, out_tok),
            latency_ms=elapsed_ms(started),
            tags=request.tags,
        )

    # -- errors --------------------------------------------------------------------------

    def _stalled(self, parts: list[str]) -> LLMError:
        return LLMError(self._name, "stream_cut" if parts else "timeout", "the stream stalled")

    def _map_error(self, exc: openai.OpenAIError) -> LLMError:
        name = self._name
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(name, "timeout", "the request timed out")
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(name, "unavailable", "could not connect")
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            code = exc.code or ""
            etype = exc.type or ""
            detail = f"HTTP {status}" + (f" {code or etype}" if code or etype else "")
            retry_after = parse_retry_after(exc.response.headers)
            if status == 429:
                if "insufficient_quota" in (code, etype):
                    return LLMError(name, "quota", detail, status_code=status)
                return LLMError(
                    name, "rate_limited", detail, retry_after_s=retry_after, status_code=status
                )
            if status == 408:
                return LLMError(name, "timeout", detail, status_code=status)
            if status in (401, 403):
                return LLMError(name, "auth", detail, status_code=status)
            if status >= 500:
                return LLMError(
                    name, "server", detail, retry_after_s=retry_after, status_code=status
                )
            return LLMError(name, "bad_request", detail, status_code=status)
        if isinstance(exc, openai.APIResponseValidationError):
            return LLMError(name, "invalid_output", "the answer did not match the API schema")
        return LLMError(name, "unavailable", type(exc).__name__)
