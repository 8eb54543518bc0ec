"""LLM adapters and resilience against the real HTTP shapes of OpenAI and Anthropic.

The SDKs are built on httpx2 (respx does not patch it): every client here gets
``httpx2.AsyncClient(transport=httpx2.MockTransport(handler))``.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx2
import pytest
from pydantic import BaseModel

from contactcenter.llm import (
    AllProvidersFailed,
    CallTags,
    ChatMessage,
    CircuitBreaker,
    FallbackChain,
    LLMChunk,
    LLMError,
    LLMRequest,
    LLMResult,
    RetryPolicy,
)
from contactcenter.llm.anthropic_provider import AnthropicProvider
from contactcenter.llm.openai_provider import OpenAIProvider

OPENAI_KEY = "sk-test-openai-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-test-0123456789abcdef"
Handler = Callable[[httpx2.Request], httpx2.Response | Awaitable[httpx2.Response]]


class Triage(BaseModel):
    intent: str
    urgent: bool


def _request(**overrides: Any) -> LLMRequest:
    fields: dict[str, Any] = {
        "messages": [
            ChatMessage(role="system", content="You are a pharmacy assistant."),
            ChatMessage(role="user", content="Is my order ready?"),
        ],
        "tags": CallTags(flow="draft", tenant_id="t1", prompt_id="draft_reply", prompt_version="3"),
        "timeout_s": 5.0,
    }
    fields.update(overrides)
    return LLMRequest(**fields)


def _client(handler: Handler) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.MockTransport(handler))


def _openai(handler: Handler, name: str = "openai") -> OpenAIProvider:
    return OpenAIProvider(OPENAI_KEY, "gpt-4o-mini", http_client=_client(handler), name=name)


def _anthropic(handler: Handler, name: str = "anthropic") -> AnthropicProvider:
    return AnthropicProvider(
        ANTHROPIC_KEY, "claude-haiku-4-5", http_client=_client(handler), name=name
    )


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _policy(sleep: FakeSleep, **kw: Any) -> RetryPolicy:
    return RetryPolicy(sleep=sleep, rng=random.Random(7), **kw)


# -- OpenAI wire shapes ------------------------------------------------------------------


def oa_completion(content: str, *, model: str = "gpt-4o-mini-2024-07-18") -> httpx2.Response:
    return httpx2.Response(
        200,
        json={
            "id": "chatcmpl-abc123",
            "object": "chat.completion",
            "created": 1_763_700_000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500},
            "system_fingerprint": "fp_0123",
        },
        headers={"x-request-id": "req_1"},
    )


def oa_error(status: int, err_type: str, code: str | None, **headers: str) -> httpx2.Response:
    return httpx2.Response(
        status,
        json={
            "error": {
                "message": f"Incorrect API key provided: {OPENAI_KEY}. See your dashboard.",
                "type": err_type,
                "param": None,
                "code": code,
            }
        },
        headers={k.replace("_", "-"): v for k, v in headers.items()},
    )


def _oa_chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    body = {
        "id": "chatcmpl-s1",
        "object": "chat.completion.chunk",
        "created": 1_763_700_000,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_0123",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        "usage": None,
    }
    return f"data: {json.dumps(body)}\n\n"


def oa_sse(tokens: list[str], *, complete: bool = True) -> httpx2.Response:
    lines = [_oa_chunk({"role": "assistant", "content": "", "refusal": None})]
    lines += [_oa_chunk({"content": t}) for t in tokens]
    if complete:
        lines.append(_oa_chunk({}, "stop"))
        usage = {
            "id": "chatcmpl-s1",
            "object": "chat.completion.chunk",
            "created": 1_763_700_000,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [],
            "usage": {"prompt_tokens": 20, "completion_tokens": len(tokens), "total_tokens": 0},
        }
        lines.append(f"data: {json.dumps(usage)}\n\n")
        lines.append("data: [DONE]\n\n")
    return httpx2.Response(
        200, content="".join(lines).encode(), headers={"content-type": "text/event-stream"}
    )


# -- Anthropic wire shapes ---------------------------------------------------------------


def an_message(content: list[dict[str, Any]], stop_reason: str = "end_turn") -> httpx2.Response:
    return httpx2.Response(
        200,
        json={
            "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5-20251001",
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": 2000, "output_tokens": 100},
        },
        headers={"request-id": "req_011"},
    )


def an_error(status: int, err_type: str, message: str, **headers: str) -> httpx2.Response:
    return httpx2.Response(
        status,
        json={"type": "error", "error": {"type": err_type, "message": message}},
        headers={k.replace("_", "-"): v for k, v in headers.items()},
    )


def _an_event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def an_sse(tokens: list[str], *, complete: bool = True) -> httpx2.Response:
    events = [
        _an_event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "model": "claude-haiku-4-5-20251001",
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 25, "output_tokens": 1},
                },
            },
        ),
        _an_event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        _an_event("ping", {"type": "ping"}),
    ]
    events += [
        _an_event(
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}},
        )
        for t in tokens
    ]
    if complete:
        events += [
            _an_event("content_block_stop", {"type": "content_block_stop", "index": 0}),
            _an_event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": 15},
                },
            ),
            _an_event("message_stop", {"type": "message_stop"}),
        ]
    return httpx2.Response(
        200, content="".join(events).encode(), headers={"content-type": "text/event-stream"}
    )


async def _collect(stream: AsyncIterator[LLMChunk | LLMResult]) -> list[LLMChunk | LLMResult]:
    return [item async for item in stream]


def _sequence(*responses: httpx2.Response) -> tuple[Handler, list[httpx2.Request]]:
    seen: list[httpx2.Request] = []
    queue = list(responses)

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler, seen


# -- OpenAI ------------------------------------------------------------------------------


async def test_openai_completion_records_usage_cost_and_tags() -> None:
    handler, seen = _sequence(oa_completion("Your order is ready."))
    result = await _openai(handler).complete(_request())

    assert result.text == "Your order is ready."
    assert result.provider == "openai"
    assert result.model == "gpt-4o-mini-2024-07-18"
    assert (result.input_tokens, result.output_tokens) == (1000, 500)
    assert result.cost_usd == pytest.approx(1000 * 0.15e-6 + 500 * 0.60e-6)
    assert result.latency_ms >= 0
    assert result.tags is not None and result.tags.prompt_id == "draft_reply"

    body = json.loads(seen[0].content)
    assert seen[0].url.path.endswith("/chat/completions")
    assert seen[0].headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"][0] == {"role": "system", "content": "You are a pharmacy assistant."}
    assert body["max_tokens"] == 1024
    assert "response_format" not in body


async def test_openai_unknown_model_costs_none() -> None:
    handler, _ = _sequence(oa_completion("hi", model="llama3.1:8b"))
    provider = OpenAIProvider(
        "ollama", "llama3.1:8b", base_url="http://localhost:11434/v1", http_client=_client(handler)
    )
    result = await provider.complete(_request())
    assert result.cost_usd is None


async def test_openai_structured_output_is_parsed_with_a_strict_schema() -> None:
    handler, seen = _sequence(oa_completion('{"intent": "order_status", "urgent": false}'))
    result = await _openai(handler).complete(_request(response_schema=Triage))

    assert result.parsed == Triage(intent="order_status", urgent=False)
    fmt = json.loads(seen[0].content)["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Triage"
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    assert fmt["json_schema"]["schema"]["required"] == ["intent", "urgent"]


async def test_openai_invalid_json_is_invalid_output() -> None:
    handler, _ = _sequence(oa_completion("Sure! intent: order_status"))
    with pytest.raises(LLMError) as info:
        await _openai(handler).complete(_request(response_schema=Triage))
    assert info.value.kind == "invalid_output"
    assert info.value.retryable is False


async def test_openai_streams_token_by_token() -> None:
    handler, seen = _sequence(oa_sse(["Your", " order", " is", " ready."]))
    items = await _collect(_openai(handler).stream(_request()))

    chunks = [i.delta for i in items if isinstance(i, LLMChunk)]
    assert chunks == ["Your", " order", " is", " ready."]
    final = items[-1]
    assert isinstance(final, LLMResult)
    assert final.text == "Your order is ready."
    assert (final.input_tokens, final.output_tokens) == (20, 4)
    assert final.cost_usd is not None
    body = json.loads(seen[0].content)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


async def test_openai_stream_without_final_chunk_is_stream_cut() -> None:
    handler, _ = _sequence(oa_sse(["Your", " order"], complete=False))
    items: list[LLMChunk | LLMResult] = []
    with pytest.raises(LLMError) as info:
        async for item in _openai(handler).stream(_request()):
            items.append(item)
    assert info.value.kind == "stream_cut"
    assert [i.delta for i in items if isinstance(i, LLMChunk)] == ["Your", " order"]


async def test_openai_connection_dropped_mid_stream_is_stream_cut() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield _oa_chunk({"role": "assistant", "content": "Your"}).encode()
        raise httpx2.RemoteProtocolError("peer closed connection without sending complete body")

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body(), headers={"content-type": "text/event-stream"})

    with pytest.raises(LLMError) as info:
        await _collect(_openai(handler).stream(_request()))
    assert info.value.kind == "stream_cut"


async def test_openai_429_waits_at_least_retry_after() -> None:
    handler, seen = _sequence(
        oa_error(429, "requests", "rate_limit_exceeded", retry_after="2"),
        oa_completion("ok"),
    )
    sleep = FakeSleep()
    chain = FallbackChain([_openai(handler)], _policy(sleep))
    result = await chain.complete(_request())

    assert result.text == "ok"
    assert result.attempts == 2
    assert len(seen) == 2
    assert len(sleep.delays) == 1 and sleep.delays[0] >= 2.0


async def test_openai_insufficient_quota_is_not_retried() -> None:
    handler, seen = _sequence(oa_error(429, "insufficient_quota", "insufficient_quota"))
    sleep = FakeSleep()
    chain = FallbackChain([_openai(handler)], _policy(sleep))
    with pytest.raises(AllProvidersFailed) as info:
        await chain.complete(_request())

    assert [e.kind for e in info.value.errors] == ["quota"]
    assert info.value.errors[0].retryable is False
    assert len(seen) == 1
    assert sleep.delays == []


async def test_openai_5xx_then_200_is_retried() -> None:
    handler, seen = _sequence(
        oa_error(503, "server_error", None),
        oa_error(500, "server_error", None),
        oa_completion("ok"),
    )
    sleep = FakeSleep()
    result = await FallbackChain([_openai(handler)], _policy(sleep)).complete(_request())

    assert result.text == "ok"
    assert result.attempts == 3
    assert len(seen) == 3
    assert len(sleep.delays) == 2
    assert all(0 <= d <= 4.0 for d in sleep.delays)


async def test_openai_transport_timeout_is_timeout() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out", request=request)

    with pytest.raises(LLMError) as info:
        await _openai(handler).complete(_request())
    assert info.value.kind == "timeout"
    assert info.value.retryable is True


async def test_slow_answer_hits_the_per_call_timeout() -> None:
    async def handler(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(5)
        return oa_completion("too late")

    sleep = FakeSleep()
    chain = FallbackChain([_openai(handler)], _policy(sleep, max_attempts=1))
    with pytest.raises(AllProvidersFailed) as info:
        await chain.complete(_request(timeout_s=0.05))
    assert [e.kind for e in info.value.errors] == ["timeout"]


@pytest.mark.parametrize("status", [401, 403])
async def test_openai_auth_error_never_leaks_the_key(status: int) -> None:
    handler, seen = _sequence(oa_error(status, "invalid_request_error", "invalid_api_key"))
    sleep = FakeSleep()
    chain = FallbackChain([_openai(handler)], _policy(sleep))
    with pytest.raises(AllProvidersFailed) as info:
        await chain.complete(_request())

    error = info.value.errors[0]
    assert error.kind == "auth"
    assert len(seen) == 1
    for text in (str(error), repr(error), error.detail, str(info.value), repr(info.value.args)):
        assert OPENAI_KEY not in text
        assert "sk-test" not in text
    assert error.__cause__ is None and error.__suppress_context__


@pytest.mark.parametrize(
    ("status", "kind"), [(400, "bad_request"), (404, "bad_request"), (408, "timeout")]
)
async def test_openai_status_mapping(status: int, kind: str) -> None:
    handler, _ = _sequence(oa_error(status, "invalid_request_error", None))
    with pytest.raises(LLMError) as info:
        await _openai(handler).complete(_request())
    assert info.value.kind == kind


# -- Anthropic ---------------------------------------------------------------------------


async def test_anthropic_request_shape_and_headers() -> None:
    handler, seen = _sequence(an_message([{"type": "text", "text": "Ready since 10:00."}]))
    result = await _anthropic(handler).complete(_request(max_tokens=300))

    assert result.text == "Ready since 10:00."
    assert result.provider == "anthropic"
    assert (result.input_tokens, result.output_tokens) == (2000, 100)
    assert result.cost_usd == pytest.approx(2000 * 1e-6 + 100 * 5e-6)

    sent = seen[0]
    assert sent.url.path.endswith("/v1/messages")
    # anthropic 2.x authenticates with a bearer token; 1.x used x-api-key
    assert (
        sent.headers.get("x-api-key") == ANTHROPIC_KEY
        or sent.headers.get("authorization") == f"Bearer {ANTHROPIC_KEY}"
    )
    assert sent.headers["anthropic-version"]
    body = json.loads(sent.content)
    assert body["system"] == "You are a pharmacy assistant."
    assert body["messages"] == [{"role": "user", "content": "Is my order ready?"}]
    assert body["max_tokens"] == 300
    assert "tools" not in body


async def test_anthropic_structured_output_forces_a_tool() -> None:
    handler, seen = _sequence(
        an_message(
            [
                {
                    "type": "tool_use",
                    "id": "toolu_01",
                    "name": "Triage",
                    "input": {"intent": "refund", "urgent": True},
                }
            ],
            stop_reason="tool_use",
        )
    )
    result = await _anthropic(handler).complete(_request(response_schema=Triage))

    assert result.parsed == Triage(intent="refund", urgent=True)
    body = json.loads(seen[0].content)
    assert body["tool_choice"] == {"type": "tool", "name": "Triage"}
    assert body["tools"][0]["name"] == "Triage"
    assert body["tools"][0]["input_schema"]["properties"].keys() == {"intent", "urgent"}


async def test_anthropic_tool_input_not_matching_schema_is_invalid_output() -> None:
    handler, _ = _sequence(
        an_message([{"type": "tool_use", "id": "t", "name": "Triage", "input": {"intent": 3}}])
    )
    with pytest.raises(LLMError) as info:
        await _anthropic(handler).complete(_request(response_schema=Triage))
    assert info.value.kind == "invalid_output"


async def test_anthropic_streams_events() -> None:
    handler, seen = _sequence(an_sse(["Hello", " there", "!"]))
    items = await _collect(_anthropic(handler).stream(_request()))

    assert [i.delta for i in items if isinstance(i, LLMChunk)] == ["Hello", " there", "!"]
    final = items[-1]
    assert isinstance(final, LLMResult)
    assert final.text == "Hello there!"
    assert (final.input_tokens, final.output_tokens) == (25, 15)
    assert json.loads(seen[0].content)["stream"] is True


async def test_anthropic_stream_without_message_stop_is_stream_cut() -> None:
    handler, _ = _sequence(an_sse(["Hello"], complete=False))
    with pytest.raises(LLMError) as info:
        await _collect(_anthropic(handler).stream(_request()))
    assert info.value.kind == "stream_cut"


@pytest.mark.parametrize(
    ("response", "kind", "retryable"),
    [
        (an_error(429, "rate_limit_error", "Number of requests exceeded"), "rate_limited", True),
        (an_error(529, "overloaded_error", "Overloaded"), "server", True),
        (an_error(500, "api_error", "Internal server error"), "server", True),
        (
            an_error(
                400,
                "invalid_request_error",
                "Your credit balance is too low to access the Anthropic API.",
            ),
            "quota",
            False,
        ),
        (an_error(400, "invalid_request_error", "max_tokens: required"), "bad_request", False),
        (
            an_error(401, "authentication_error", f"invalid x-api-key {ANTHROPIC_KEY}"),
            "auth",
            False,
        ),
    ],
)
async def test_anthropic_error_mapping(
    response: httpx2.Response, kind: str, retryable: bool
) -> None:
    handler, _ = _sequence(response)
    with pytest.raises(LLMError) as info:
        await _anthropic(handler).complete(_request())
    assert (info.value.kind, info.value.retryable) == (kind, retryable)
    assert ANTHROPIC_KEY not in str(info.value)


async def test_anthropic_429_retry_after_is_honoured() -> None:
    handler, seen = _sequence(
        an_error(429, "rate_limit_error", "slow down", retry_after="3"),
        an_message([{"type": "text", "text": "ok"}]),
    )
    sleep = FakeSleep()
    result = await FallbackChain([_anthropic(handler)], _policy(sleep)).complete(_request())
    assert result.text == "ok"
    assert sleep.delays and sleep.delays[0] >= 3.0
    assert len(seen) == 2


async def test_retry_after_beyond_the_cap_moves_on_without_sleeping() -> None:
    handler, seen = _sequence(an_error(429, "rate_limit_error", "slow", retry_after="60"))
    fallback, _ = _sequence(oa_completion("from openai"))
    sleep = FakeSleep()
    chain = FallbackChain([_anthropic(handler), _openai(fallback)], _policy(sleep))
    result = await chain.complete(_request())
    assert result.provider == "openai"
    assert sleep.delays == []
    assert len(seen) == 1


# -- circuit breaker ---------------------------------------------------------------------


def test_breaker_opens_after_threshold_and_half_opens_after_reset() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_after_s=30, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state == "closed"
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()

    clock.now += 29.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.state == "half_open"
    assert breaker.allow()  # the one trial call
    assert not breaker.allow()  # a second concurrent call is rejected
    breaker.record_failure()
    assert breaker.state == "open"  # the failed trial re-opens

    clock.now += 30
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow() and breaker.allow()


def test_breaker_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"


async def test_open_breaker_rejects_fast_and_recovers() -> None:
    clock = FakeClock()
    healthy = False

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        return oa_completion("back") if healthy else oa_error(500, "server_error", None)

    calls: list[httpx2.Request] = []
    breaker = CircuitBreaker(failure_threshold=2, reset_after_s=30, clock=clock)
    sleep = FakeSleep()
    chain = FallbackChain([_openai(handler)], _policy(sleep, max_attempts=1), {"openai": breaker})

    for _ in range(2):
        with pytest.raises(AllProvidersFailed):
            await chain.complete(_request())
    assert chain.states() == {"openai": "open"}
    assert len(calls) == 2

    with pytest.raises(AllProvidersFailed) as info:
        await chain.complete(_request())
    assert len(calls) == 2  # rejected without a request
    assert info.value.errors[0].kind == "unavailable"

    clock.now += 31
    assert chain.states() == {"openai": "half_open"}
    healthy = True
    result = await chain.complete(_request())
    assert result.text == "back"
    assert chain.states() == {"openai": "closed"}


async def test_bad_requests_do_not_open_the_breaker() -> None:
    handler, _ = _sequence(oa_error(400, "invalid_request_error", None))
    breaker = CircuitBreaker(failure_threshold=1, clock=FakeClock())
    chain = FallbackChain([_openai(handler)], _policy(FakeSleep()), {"openai": breaker})
    with pytest.raises(AllProvidersFailed):
        await chain.complete(_request())
    assert chain.states() == {"openai": "closed"}


# -- fallback chain ----------------------------------------------------------------------


async def test_fallback_to_the_second_provider_when_the_first_fails() -> None:
    primary, primary_seen = _sequence(oa_error(500, "server_error", None))
    secondary, secondary_seen = _sequence(an_message([{"type": "text", "text": "From Claude."}]))
    sleep = FakeSleep()
    chain = FallbackChain([_openai(primary), _anthropic(secondary)], _policy(sleep))
    result = await chain.complete(_request(model="gpt-4o"))

    assert result.provider == "anthropic"
    assert result.text == "From Claude."
    assert len(primary_seen) == 3  # retried to the limit first
    assert json.loads(primary_seen[0].content)["model"] == "gpt-4o"
    # the vendor-specific model override is not sent to the fallback
    assert json.loads(secondary_seen[0].content)["model"] == "claude-haiku-4-5"


async def test_all_providers_down_lists_each_error() -> None:
    first, _ = _sequence(oa_error(401, "invalid_request_error", "invalid_api_key"))
    second, _ = _sequence(an_error(529, "overloaded_error", "Overloaded"))
    sleep = FakeSleep()
    chain = FallbackChain([_openai(first), _anthropic(second)], _policy(sleep, max_attempts=2))
    with pytest.raises(AllProvidersFailed) as info:
        await chain.complete(_request())

    assert [(e.provider, e.kind) for e in info.value.errors] == [
        ("openai", "auth"),
        ("anthropic", "server"),
    ]
    assert "openai: auth" in str(info.value) and "anthropic: server" in str(info.value)
    assert isinstance(info.value, LLMError)


async def test_stream_falls_back_before_the_first_token() -> None:
    primary, _ = _sequence(oa_error(503, "server_error", None))
    secondary, _ = _sequence(an_sse(["Hi", "!"]))
    sleep = FakeSleep()
    chain = FallbackChain([_openai(primary), _anthropic(secondary)], _policy(sleep, max_attempts=1))
    items = await _collect(chain.stream(_request()))

    assert [i.delta for i in items if isinstance(i, LLMChunk)] == ["Hi", "!"]
    final = items[-1]
    assert isinstance(final, LLMResult) and final.provider == "anthropic"


async def test_stream_cut_after_tokens_does_not_fall_back() -> None:
    primary, _ = _sequence(oa_sse(["Your", " order"], complete=False))
    secondary, secondary_seen = _sequence(an_sse(["Hi"]))
    sleep = FakeSleep()
    chain = FallbackChain([_openai(primary), _anthropic(secondary)], _policy(sleep))
    received: list[str] = []
    with pytest.raises(LLMError) as info:
        async for item in chain.stream(_request()):
            if isinstance(item, LLMChunk):
                received.append(item.delta)

    assert info.value.kind == "stream_cut"
    assert received == ["Your", " order"]
    assert secondary_seen == []
    assert sleep.delays == []


async def test_stream_all_down_raises_all_providers_failed() -> None:
    primary, _ = _sequence(oa_error(429, "insufficient_quota", "insufficient_quota"))
    secondary, _ = _sequence(an_error(401, "authentication_error", "bad key"))
    chain = FallbackChain([_openai(primary), _anthropic(secondary)], _policy(FakeSleep()))
    with pytest.raises(AllProvidersFailed) as info:
        await _collect(chain.stream(_request()))
    assert [e.kind for e in info.value.errors] == ["quota", "auth"]


def test_retry_policy_backoff_is_capped_and_jittered() -> None:
    policy = RetryPolicy(max_attempts=10, base_s=0.25, max_s=4.0, rng=random.Random(1))
    delays = [policy.backoff(n) for n in range(1, 10)]
    assert all(0 <= d <= 4.0 for d in delays)
    assert RetryPolicy(jitter="none").backoff(10) == 4.0
    assert policy.delay(1, LLMError("x", "bad_request")) is None
    assert policy.delay(10, LLMError("x", "server")) is None
