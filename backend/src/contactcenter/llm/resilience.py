"""Retries, circuit breakers and a fallback chain over :class:`LLMProvider`.

- :class:`RetryPolicy`: retryable kinds only, full-jitter exponential backoff, never sooner than
  the provider's ``retry-after``; a ``retry-after`` longer than ``max_delay_s`` ends the retries
  for that provider at once (sleeping less than asked would only earn another 429).
- :class:`CircuitBreaker`: closed -> open after ``failure_threshold`` consecutive health
  failures; after ``reset_after_s`` one trial call (half-open); success closes, failure re-opens.
- :class:`FallbackChain`: itself an ``LLMProvider``; tries providers in order, skipping open
  breakers, and raises :class:`AllProvidersFailed` listing every provider's error.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import structlog

from contactcenter.observability import metrics

from .base import (
    HEALTH_KINDS,
    LLMChunk,
    LLMError,
    LLMProvider,
    LLMRequest,
    LLMResult,
)

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
BreakerState = Literal["closed", "open", "half_open"]


@dataclass
class RetryPolicy:
    max_attempts: int = 3
    base_s: float = 0.25
    max_s: float = 4.0
    jitter: Literal["full", "none"] = "full"
    max_delay_s: float = 10.0
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """Backoff after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_s, self.base_s * 2 ** (attempt - 1))
        return self.rng.uniform(0, ceiling) if self.jitter == "full" else ceiling

    def delay(self, attempt: int, error: LLMError) -> float | None:
        """Seconds to wait before the next attempt, or None when not to retry."""
        if not error.retryable or attempt >= self.max_attempts:
            return None
        wait = max(error.retry_after_s or 0.0, self.backoff(attempt))
        if wait > self.max_delay_s:
            return None
        return wait


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after_s: float = 30.0,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self._clock = clock
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._state == "open" and self._clock() - self._opened_at >= self.reset_after_s:
            return "half_open"
        return self._state

    def allow(self) -> bool:
        """May a call go through now? In half-open only one trial call is let through."""
        state = self.state
        if state == "closed":
            return True
        if state == "open":
            return False
        if self._state == "open":  # the reset time has passed: become half-open
            self._state = "half_open"
            self._trial_in_flight = False
        if self._trial_in_flight:
            return False
        self._trial_in_flight = True
        return True

    def record_success(self) -> None:
        self._state = "closed"
        self._failures = 0
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._trial_in_flight = False
        if self._state == "half_open":
            self._open()
            return
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._open()

    def release(self) -> None:
        """The call ended without a verdict (cancelled): let another trial through."""
        self._trial_in_flight = False

    def _open(self) -> None:
        self._state = "open"
        self._opened_at = self._clock()
        self._failures = 0


class AllProvidersFailed(LLMError):
    def __init__(self, errors: Sequence[LLMError]) -> None:
        self.errors = list(errors)
        summary = "; ".join(f"{e.provider}: {e.kind}" for e in self.errors) or "no providers"
        super().__init__("fallback", "unavailable", summary, retryable=False)


class FallbackChain:
    """Providers in order of preference; ``request.model`` is honoured by the first only
    (model names are vendor-specific), the others use their own default model."""

    def __init__(
        self,
        providers: Sequence[LLMProvider],
        retry: RetryPolicy | None = None,
        breakers: Mapping[str, CircuitBreaker] | None = None,
        *,
        name: str = "fallback",
    ) -> None:
        if not providers:
            raise ValueError("FallbackChain needs at least one provider")
        self._name = name
        self._providers = list(providers)
        self._retry = retry or RetryPolicy()
        given = dict(breakers or {})
        self._breakers = {p.name: given.get(p.name) or CircuitBreaker() for p in providers}

    @property
    def name(self) -> str:
        return self._name

    def states(self) -> dict[str, str]:
        return {name: breaker.state for name, breaker in self._breakers.items()}

    def _request_for(self, index: int, request: LLMRequest) -> LLMRequest:
        if index == 0 or request.model is None:
            return request
        return request.model_copy(update={"model": None})

    def _record(self, breaker: CircuitBreaker, error: LLMError | None) -> None:
        if error is None or error.kind not in HEALTH_KINDS:
            breaker.record_success()  # the provider answered
        else:
            breaker.record_failure()

    async def complete(self, request: LLMRequest) -> LLMResult:
        errors: list[LLMError] = []
        for index, provider in enumerate(self._providers):
            try:
                result = await self._complete_one(provider, self._request_for(index, request))
            except LLMError as exc:
                errors.append(exc)
                continue
            _log_call(request, result=result)
            return result
        failure = AllProvidersFailed(errors)
        _log_call(request, error=failure)
        raise failure

    async def _complete_one(self, provider: LLMProvider, request: LLMRequest) -> LLMResult:
        breaker = self._breakers[provider.name]
        attempt = 0
        while True:
            if not breaker.allow():
                metrics.llm_errors.labels(provider.name, "circuit_open").inc()
                raise LLMError(provider.name, "unavailable", "circuit open")
            attempt += 1
            try:
                async with asyncio.timeout(request.timeout_s):
                    result = await provider.complete(request)
            except TimeoutError:
                error: LLMError = LLMError(provider.name, "timeout", "no answer in time")
            except LLMError as exc:
                error = exc
            except BaseException:
                breaker.release()
                raise
            else:
                self._record(breaker, None)
                return result.model_copy(update={"attempts": attempt})
            self._record(breaker, error)
            _log_attempt(request, provider.name, attempt, error)
            wait = self._retry.delay(attempt, error)
            if wait is None:
                raise error
            await self._retry.sleep(wait)

    async def stream(self, request: LLMRequest) -> AsyncIterator[LLMChunk | LLMResult]:
        """Falls back only while nothing has reached the caller; after the first token a
        failure surfaces as ``stream_cut``. Streams are not retried once started."""
        errors: list[LLMError] = []
        for index, provider in enumerate(self._providers):
            breaker = self._breakers[provider.name]
            sub_request = self._request_for(index, request)
            attempt = 0
            while True:
                if not breaker.allow():
                    metrics.llm_errors.labels(provider.name, "circuit_open").inc()
                    errors.append(LLMError(provider.name, "unavailable", "circuit open"))
                    break
                attempt += 1
                yielded = False
                error: LLMError | None = None
                iterator = provider.stream(sub_request).__aiter__()
                try:
                    while True:
                        try:
                            async with asyncio.timeout(request.timeout_s):
                                item = await iterator.__anext__()
                        except StopAsyncIteration:
                            break
                        except TimeoutError:
                            raise LLMError(
                                provider.name,
                                "stream_cut" if yielded else "timeout",
                                "the stream stalled",
                            ) from None
                        if isinstance(item, LLMResult):
                            item = item.model_copy(update={"attempts": attempt})
                            self._record(breaker, None)
                            _log_call(request, result=item)
                            yield item
                            return
                        yielded = True
                        yield item
                    raise LLMError(provider.name, "stream_cut", "no final result")
                except LLMError as exc:
                    error = exc
                except BaseException:
                    breaker.release()
                    raise
                finally:
                    aclose = getattr(iterator, "aclose", None)
                    if aclose is not None:
                        await aclose()
                self._record(breaker, error)
                _log_attempt(request, provider.name, attempt, error)
                if yielded:
                    cut = LLMError(provider.name, "stream_cut", error.kind, retryable=False)
                    _log_call(request, error=cut)
                    raise cut
                wait = self._retry.delay(attempt, error)
                if wait is None:
                    errors.append(error)
                    break
                await self._retry.sleep(wait)
        failure = AllProvidersFailed(errors)
        _log_call(request, error=failure)
        raise failure


def _tags(request: LLMRequest) -> dict[str, object]:
    t = request.tags
    return {
        "flow": t.flow,
        "tenant_id": t.tenant_id,
        "prompt_id": t.prompt_id,
        "prompt_version": t.prompt_version,
    }


def _log_attempt(request: LLMRequest, provider: str, attempt: int, error: LLMError) -> None:
    metrics.llm_errors.labels(provider, error.kind).inc()
    log.warning(
        "llm.attempt_failed",
        provider=provider,
        attempt=attempt,
        kind=error.kind,
        retryable=error.retryable,
        status_code=error.status_code,
        **_tags(request),
    )


def _log_call(
    request: LLMRequest, *, result: LLMResult | None = None, error: LLMError | None = None
) -> None:
    if result is not None:
        log.info(
            "llm.call",
            outcome="ok",
            provider=result.provider,
            model=result.model,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            cost_usd=result.cost_usd,
            latency_ms=result.latency_ms,
            attempts=result.attempts,
            **_tags(request),
        )
    elif error is not None:
        log.warning("llm.call", outcome=error.kind, error=str(error), **_tags(request))
