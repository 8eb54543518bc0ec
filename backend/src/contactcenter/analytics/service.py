"""Reviewer feedback and the threshold advisor, computed from stored outcomes and decisions.

Agents' decisions on drafts are labels: a draft approved unchanged was right as the AI wrote
it; an edit or a rejection says it was not. For a candidate threshold the advisor reports the
share of messages that would have been sent without review, and, among the reviewed drafts
that would have been sent, the share agents approved unchanged, with a Wilson lower bound so a
handful of reviews does not pass for evidence.
"""

from __future__ import annotations

import math
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.analytics.schemas import BandRates, ThresholdAdvice, ThresholdOption

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
