"""Token-bucket rate limits on the API, answered with 429 and `Retry-After`.

Buckets: one per client (a signed-in user or widget session by its user id; anonymous callers
by IP address), one per tenant, and a tighter one for the messages a customer posts. The
caller's token is verified before it names a bucket, so nobody can drain someone else's bucket
with a forged token. Buckets live in this process: with N replicas each one enforces its own
share (a shared store would be the next step for strict global limits).
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from contactcenter.auth.principal import Principal, Role
from contactcenter.core.config import RateLimitSettings
from contactcenter.core.errors import AppError, ErrorCode
from contactcenter.core.handlers import problem_response

MAX_BUCKETS = 100_000
_MESSAGES = re.compile(r"^/api/v1/conversations/[^/]+/messages$")


def now() -> float:
    """The limiter's clock (tests move it forward)."""
    return time.monotonic()


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Many token buckets of one rate and burst, least recently used evicted beyond a bound."""

    def __init__(
        self, rate_per_s: float, burst: float, clock: Callable[[], float] | None = None
    ) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self._clock = clock or (lambda: now())
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """0.0 when a token was taken; otherwise the seconds until one is available."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(self.burst, now)
            self._buckets[key] = bucket
            if len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: RateLimitSettings) -> None:
        self.app = app
        self.settings = settings
        self.clients = TokenBuckets(settings.client_per_s, settings.client_burst)
        self.tenants = TokenBuckets(settings.tenant_per_s, settings.tenant_burst)
        self.messages = TokenBuckets(
            settings.customer_messages_per_min / 60.0, settings.customer_messages_burst
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/api/"):
            await self.app(scope, receive, send)
            return
        principal = await self._principal(scope)
        waits: list[float] = []
        if principal is not None:
            waits.append(self.clients.take(f"user:{principal.user_id}"))
            waits.append(self.tenants.take(f"tenant:{principal.tenant_id}"))
            if (
                principal.role is Role.customer
                and scope.get("method") == "POST"
                and _MESSAGES.match(scope["path"])
            ):
                waits.append(self.messages.take(f"messages:{principal.user_id}"))
        else:
            client = scope.get("client")
            waits.append(self.clients.take(f"ip:{client[0] if client else 'unknown'}"))
        wait = max(waits)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            response = problem_response(
                ErrorCode.rate_limited,
                f"too many requests; try again in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _principal(scope: Scope) -> Principal | None:
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"authorization", b"").decode("latin-1")
        if not raw.lower().startswith("bearer "):
            return None
        app = scope.get("app")
        verifier = getattr(getattr(app, "state", None), "verifier", None)
        if verifier is None:
            return None
        try:
            principal: Principal = await verifier.verify(raw[7:].strip())
        except AppError:
            return None  # the endpoint answers 401; the caller is limited by address meanwhile
        return principal
