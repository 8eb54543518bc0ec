import type { ThresholdOption } from '../api/get-threshold-advice';

/**
 * The bar a threshold must clear to be recommended: with 95 % confidence (Wilson lower bound),
 * at least this share of the drafts it would have sent were approved unchanged by agents.
 */
export const TARGET_LOWER_BOUND = 0.8;

/**
 * The lowest candidate (the most replies sent without review) whose evidence clears the bar;
 * null when no candidate has enough reviews behind it.
 */
export function recommendThreshold(options: ThresholdOption[]): ThresholdOption | null {
  const clearing = options
    .filter(
      (o) =>
        o.approved_unchanged_lower_bound !== null &&
        o.approved_unchanged_lower_bound >= TARGET_LOWER_BOUND,
    )
    .sort((a, b) => a.threshold - b.threshold);
  return clearing[0] ?? null;
}
