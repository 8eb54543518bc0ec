"""Anthropic Messages API adapter.

System messages go to the top-level ``system`` parameter; structured output is a single tool
whose input schema is the pydantic model's, forced with ``tool_choice``. SDK retries are off.
``request.temperature`` is not sent: anthropic 2.x's Messages API has no sampling parameters.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import anthropic
import httpx2
from anthropic.types import MessageParam, ToolChoiceToolParam, ToolParam
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

_TOOL_NAME = re.compile(r"[^a-zA-Z0-9_-]")


def _tool_name(schema: type[BaseModel]) -> str:
    return _TOOL_NAME.sub("_", schema.__name__)[:64] or "answer"


class AnthropicProvider:
    def __init__(
        self,
        api_key: str,
        model: str,
        *,
        base_url: str | None = None,
        http_client: httpx2.AsyncClient | None = None,
        name: str = "anthropic",
    ) -> None:
        self._name = name
        self._model = model
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, http_client=http_client, max_retries=0
        )

    @property
    def name(self) -> str:
        return self._name

    async def aclose(self) -> None:
        await self._client.close()

    # -- request shape -------------------------------------------------------------------

    def _params(self, request: LLMRequest) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        messages = [
            cast(MessageParam, {"role": m.role, "content": m.content})
            for m in request.messages
            if m.role != "system"
        ]
        params: dict[str, Any] = {
            "model": request.model or self._model,
            "messages": messages,
            "max_tokens": request.max_tokens,
            "timeout": request.timeout_s,
        }
        if system:
            params["system"] = system
        schema = request.response_schema
        if schema is not None:
            name = _tool_name(schema)
            tool: ToolParam = {
                "name": name,
                "description": f"Record the answer as {schema.__name__}.",
                "input_schema": cast(Any, schema.model_json_schema()),
            }
            choice: ToolChoiceToolParam = {"type": "tool", "name": name}
            params["tools"] = [tool]
            params["tool_choice"] = choice
        return params

    # -- calls ---------------------------------------------------------------------------

    async def complete(self, request: LLMRequest) -> LLMResult:
        params = self._params(request)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(request.timeout_s):
                message = await self._client.messages.create(**params)
        except TimeoutError:
            raise LLMError(self._name, "timeout", "no answer in time") from None
        except anthropic.AnthropicError as exc:
            raise self._map_error(exc) from None
        texts: list[str] = []
        tool_input: object = None
        for block in message.content:
            if block.type == "text":
                texts.append(block.text)
            elif block.type == "tool_use":
                tool_input = block.input
        schema = request.response_schema
        if schema is not None and tool_input is not None:
            text = json.dumps(tool_input, ensure_ascii=False)
        else:
            text = "".join(texts)
        model = message.model or params["model"]
        in_tok, out_tok = message.usage.input_tokens, message.usage.output_tokens
        return LLMResult(
            text=text,
            parsed=parse_structured(self._name, schema, text),
            provider=self._name,
            model=model,
            input_tokens=in_tok,
            output_tokens=out_tok,
            cost_usd=estimate_cost(model, in_tok, out_tok),
            latency_ms=elapsed_ms(started),
            tags=request.tags,
        )

    async def stream(self, request: LLMRequest) -> AsyncIterator[LLMChunk | LLMResult]:
        params = self._params(request)
        started = time.perf_counter()
        model = str(params["model"])
        parts: list[str] = []
        tool_parts: list[str] = []
        in_tok = out_tok = 0
        stopped = False
        try:
            async with asyncio.timeout(request.timeout_s):
                stream = await self._client.messages.create(**params, stream=True)
        except TimeoutError:
            raise LLMError(self._name, "timeout", "no answer in time") from None
        except anthropic.AnthropicError as exc:
            raise self._map_error(exc) from None
        iterator = stream.__aiter__()
        try:
            while True:
                try:
                    async with asyncio.timeout(request.timeout_s):
                        event = await iterator.__anext__()
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    if parts or tool_parts:
                        raise LLMError(self._name, "stream_cut", "the stream stalled") from None
                    raise LLMError(self._name, "timeout", "the stream stalled") from None
                except (anthropic.AnthropicError, httpx2.HTTPError) as exc:
                    if parts or tool_parts:
                        raise LLMError(self._name, "stream_cut", "the stream broke") from None
                    if isinstance(exc, anthropic.AnthropicError):
                        raise self._map_error(exc) from None
                    raise LLMError(self._name, "unavailable", type(exc).__name__) from None
                if event.type == "message_start":
                    model = event.message.model or model
                    in_tok = event.message.usage.input_tokens
                elif event.type == "content_block_delta":
                    if event.delta.type == "text_delta":
                        parts.append(event.delta.text)
                        yield LLMChunk(delta=event.delta.text)
                    elif event.delta.type == "input_json_delta":
                        tool_parts.append(event.delta.partial_json)
                        yield LLMChunk(delta=event.delta.partial_json)
                elif event.type == "message_delta":
                    out_tok = event.usage.output_tokens
                    if event.usage.input_tokens is not None:
                        in_tok = event.usage.input_tokens
                elif event.type == "message_stop":
                    stopped = True
        finally:
            await stream.close()
        if not stopped:
            raise LLMError(self._name, "stream_cut", "the stream ended before message_stop")
        schema = request.response_schema
        text = "".join(tool_parts) if schema is not None and tool_parts else "".join(parts)
        yield LLMResult(
            text=text,
            parsed=parse_structured(self._name, schema, text),
            provider=self._name,
            model=model,
            input_tokens=in_tok,
            output_tokens=out_tok,
            cost_usd=estimate_cost(model, in_tok, out_tok),
            latency_ms=elapsed_ms(started),
            tags=request.tags,
        )

    # -- errors --------------------------------------------------------------------------

    def _map_error(self, exc: anthropic.AnthropicError) -> LLMError:
        name = self._name
        if isinstance(exc, anthropic.APITimeoutError):
            return LLMError(name, "timeout", "the request timed out")
        if isinstance(exc, anthropic.APIConnectionError):
            return LLMError(name, "unavailable", "could not connect")
        if isinstance(exc, anthropic.APIStatusError):
            status = exc.status_code
            etype, emessage = _error_body(exc.body)
            detail = f"HTTP {status}" + (f" {etype}" if etype else "")
            retry_after = parse_retry_after(exc.response.headers)
            if status == 402 or (status == 400 and "credit balance" in emessage.lower()):
                return LLMError(name, "quota", detail, status_code=status)
            if status == 429 or etype == "rate_limit_error":
                return LLMError(
                    name, "rate_limited", detail, retry_after_s=retry_after, status_code=status
                )
            if status in (401, 403) or etype in ("authentication_error", "permission_error"):
                return LLMError(name, "auth", detail, status_code=status)
            if status == 408:
                return LLMError(name, "timeout", detail, status_code=status)
            if status >= 500 or etype in ("overloaded_error", "api_error"):
                # 529 overloaded and 5xx: transient
                return LLMError(
                    name, "server", detail, retry_after_s=retry_after, status_code=status
                )
            return LLMError(name, "bad_request", detail, status_code=status)
        if isinstance(exc, anthropic.APIResponseValidationError):
            return LLMError(name, "invalid_output", "the answer did not match the API schema")
        return LLMError(name, "unavailable", type(exc).__name__)


def _error_body(body: object) -> tuple[str, str]:
    """(error type, error message) from ``{"type": "error", "error": {...}}``; the message is
    only inspected, never passed on."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return str(inner.get("type") or ""), str(inner.get("message") or "")
    return "", ""
