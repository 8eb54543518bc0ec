"""Reviewer feedback and the threshold advisor, computed from stored outcomes and decisions.

Agents' decisions on drafts are labels: a draft approved unchanged was right as the AI wrote
it; an edit or a rejection says it was not. For a candidate threshold the advisor reports the
share of messages that would have been sent without review, and, among the reviewed drafts
that would have been sent, the share agents approved unchanged, with a Wilson lower bound so a
handful of reviews does not pass for evidence.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.analytics.schemas import (
    AgentLoad,
    BandRates,
    Dashboard,
    StageLatency,
    ThresholdAdvice,
    ThresholdOption,
)

CANDIDATES = tuple(round(0.50 + 0.05 * i, 2) for i in range(10))  # 0.50 .. 0.95
BANDS = 10


def wilson_lower(successes: int, n: int, z: float = 1.96) -> float | None:
    if n == 0:
        return None
    p = successes / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - margin) / (1 + z * z / n))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def threshold_advice(
    session: AsyncSession, tenant_id: UUID, window_days: int
) -> ThresholdAdvice:
    params = {"t": tenant_id, "days": window_days}
    answerable = [
        float(c)
        for c in (
            await session.execute(
                text(
                    "SELECT confidence FROM ai_outcomes WHERE tenant_id = :t "
                    "AND created_at >= now() - make_interval(days => :days) "
                    "AND decision IN ('auto_sent', 'draft') "
                    "AND category <> 'safety_compliance'"
                ),
                params,
            )
        ).scalars()
    ]
    reviewed = (
        await session.execute(
            text(
                "SELECT confidence, category, status FROM drafts WHERE tenant_id = :t "
                "AND decided_at >= now() - make_interval(days => :days) "
                "AND status IN ('approved', 'edited', 'rejected')"
            ),
            params,
        )
    ).all()
    current = (
        await session.execute(
            text("SELECT confidence_threshold FROM tenants WHERE id = :t"), {"t": tenant_id}
        )
    ).scalar_one()

    bands: list[BandRates] = []
    for category in sorted({r.category for r in reviewed}):
        for b in range(BANDS):
            low, high = b / BANDS, (b + 1) / BANDS
            inside = [
                r
                for r in reviewed
                if r.category == category
                and (low <= r.confidence < high or (b == BANDS - 1 and r.confidence >= 1.0))
            ]
            if not inside:
                continue
            counts = {
                s: sum(1 for r in inside if r.status == s)
                for s in ("approved", "edited", "rejected")
            }
            bands.append(
                BandRates(
                    category=category,
                    low=low,
                    high=high,
                    reviewed=len(inside),
                    approved=counts["approved"],
                    edited=counts["edited"],
                    rejected=counts["rejected"],
                    approve_rate=_rate(counts["approved"], len(inside)),
                    edit_rate=_rate(counts["edited"], len(inside)),
                    reject_rate=_rate(counts["rejected"], len(inside)),
                )
            )

    sendable = [r for r in reviewed if r.category != "safety_compliance"]
    options = []
    for threshold in CANDIDATES:
        above = [r for r in sendable if r.confidence >= threshold]
        approved = sum(1 for r in above if r.status == "approved")
        lower = wilson_lower(approved, len(above))
        options.append(
            ThresholdOption(
                threshold=threshold,
                predicted_auto_send_rate=round(
                    sum(1 for c in answerable if c >= threshold) / len(answerable), 4
                )
                if answerable
                else 0.0,
                predicted_approved_unchanged=_rate(approved, len(above)),
                approved_unchanged_lower_bound=round(lower, 4) if lower is not None else None,
                reviewed=len(above),
            )
        )
    return ThresholdAdvice(
        window_days=window_days,
        current_threshold=round(float(current), 4),
        answerable=len(answerable),
        reviewed=len(reviewed),
        bands=bands,
        options=options,
    )


FIRST_RESPONSE_TARGET_S = 60


async def dashboard(session: AsyncSession, tenant_id: UUID, window_minutes: int) -> Dashboard:
    now = datetime.now(UTC)
    p = {
        "t": tenant_id,
        "since": now - timedelta(minutes=window_minutes),
        "target": FIRST_RESPONSE_TARGET_S,
    }

    async def one(sql: str) -> Any:
        return (await session.execute(text(sql), p)).one()

    active, queue, oldest = await one(
        "SELECT (SELECT count(*) FROM conversations WHERE tenant_id = :t "
        "        AND status IN ('open', 'pending_human')), "
        "(SELECT count(*) FROM drafts WHERE tenant_id = :t AND status = 'pending_review'), "
        "(SELECT extract(epoch FROM now() - min(created_at)) FROM drafts "
        "  WHERE tenant_id = :t AND status = 'pending_review')"
    )
    decisions = {
        d: n
        for d, n in (
            await session.execute(
                text(
                    "SELECT decision, count(*) FROM ai_outcomes WHERE tenant_id = :t "
                    "AND created_at >= :since GROUP BY decision"
                ),
                p,
            )
        ).all()
    }
    replies = sum(decisions.values())
    reviews = {
        s: n
        for s, n in (
            await session.execute(
                text(
                    "SELECT status, count(*) FROM drafts WHERE tenant_id = :t "
                    "AND decided_at >= :since AND status IN ('approved', 'edited', 'rejected') "
                    "GROUP BY status"
                ),
                p,
            )
        ).all()
    }
    reviewed = sum(reviews.values())
    escalations = {"safety": decisions.get("escalated", 0)}
    for reason, n in (
        await session.execute(
            text(
                "SELECT reason, count(*) FROM drafts WHERE tenant_id = :t "
                "AND escalated_at >= :since GROUP BY reason"
            ),
            p,
        )
    ).all():
        escalations[f"waiting:{reason}"] = n
    latency: dict[str, StageLatency] = {}
    for stage in ("triage", "retrieve", "respond", "score", "total"):
        row = (
            await session.execute(
                text(
                    "SELECT percentile_cont(0.5) WITHIN GROUP "
                    "(ORDER BY (latency_ms ->> CAST(:stage AS text))::float), "
                    "percentile_cont(0.95) WITHIN GROUP "
                    "(ORDER BY (latency_ms ->> CAST(:stage AS text))::float) "
                    "FROM ai_outcomes WHERE tenant_id = :t AND created_at >= :since "
                    "AND jsonb_exists(latency_ms, CAST(:stage AS text))"
                ),
                {**p, "stage": stage},
            )
        ).one()
        latency[stage] = StageLatency(
            p50_ms=round(row[0], 2) if row[0] is not None else None,
            p95_ms=round(row[1], 2) if row[1] is not None else None,
        )
    histogram = [0] * BANDS
    for bucket, n in (
        await session.execute(
            text(
                "SELECT least(floor(confidence * 10)::int, 9), count(*) FROM ai_outcomes "
                "WHERE tenant_id = :t AND created_at >= :since GROUP BY 1"
            ),
            p,
        )
    ).all():
        histogram[int(bucket)] = n
    mix = {
        c: n
        for c, n in (
            await session.execute(
                text(
                    "SELECT category, count(*) FROM ai_outcomes WHERE tenant_id = :t "
                    "AND created_at >= :since GROUP BY category"
                ),
                p,
            )
        ).all()
    }
    late_drafts, waiting_customers = await one(
        "SELECT (SELECT count(*) FROM drafts d JOIN tenants t ON t.id = d.tenant_id "
        "  WHERE d.tenant_id = :t AND d.status = 'pending_review' "
        "  AND d.created_at < now() - make_interval(secs => t.escalation_after_s)), "
        "(SELECT count(*) FROM conversations c WHERE c.tenant_id = :t "
        "  AND c.status IN ('open', 'pending_human') "
        "  AND c.last_message_at < now() - make_interval(secs => :target) "
        "  AND (SELECT m.author_kind FROM messages m WHERE m.conversation_id = c.id "
        "       AND m.visibility = 'public' ORDER BY m.seq DESC LIMIT 1) = 'customer')"
    )
    agents = [
        AgentLoad(agent_id=str(agent), name=name, claimed_now=claimed, decided=decided)
        for agent, name, claimed, decided in (
            await session.execute(
                text(
                    "SELECT load.agent, coalesce(u.display_name, u.email), "
                    "sum(load.claimed)::int, sum(load.decided)::int FROM ("
                    "  SELECT claimed_by AS agent, 1 AS claimed, 0 AS decided FROM drafts "
                    "   WHERE tenant_id = :t AND status = 'pending_review' "
                    "     AND claimed_by IS NOT NULL AND claim_expires_at > now() "
                    "  UNION ALL "
                    "  SELECT decided_by, 0, 1 FROM drafts WHERE tenant_id = :t "
                    "    AND decided_at >= :since AND decided_by IS NOT NULL"
                    ") load LEFT JOIN users u ON u.id = load.agent "
                    "GROUP BY load.agent, u.display_name, u.email ORDER BY load.agent"
                ),
                p,
            )
        ).all()
    ]
    tokens, cost, conversations = await one(
        "SELECT coalesce(sum(input_tokens + output_tokens), 0), coalesce(sum(cost_usd), 0), "
        "count(DISTINCT conversation_id) FROM ai_outcomes WHERE tenant_id = :t "
        "AND created_at >= :since"
    )
    sent = decisions.get("auto_sent", 0)
    return Dashboard(
        window_minutes=window_minutes,
        generated_at=now.isoformat(timespec="seconds"),
        active_conversations=active,
        queue_depth=queue,
        oldest_pending_age_s=round(float(oldest), 1) if oldest is not None else None,
        replies=replies,
        auto_send_rate=_rate(sent, replies),
        decisions=decisions,
        reviews=reviews,
        approve_rate=_rate(reviews.get("approved", 0), reviewed),
        edit_rate=_rate(reviews.get("edited", 0), reviewed),
        reject_rate=_rate(reviews.get("rejected", 0), reviewed),
        escalations=escalations,
        latency=latency,
        confidence_histogram=histogram,
        category_mix=mix,
        sla_breaches={"drafts_past_limit": late_drafts, "customers_waiting": waiting_customers},
        agents=agents,
        llm_tokens=int(tokens),
        llm_cost_usd=round(float(cost), 6),
        cost_per_conversation_usd=round(float(cost) / conversations, 6) if conversations else None,
    )
