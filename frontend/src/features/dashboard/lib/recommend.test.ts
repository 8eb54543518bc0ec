import { describe, expect, it } from 'vitest';
import type { ThresholdOption } from '../api/get-threshold-advice';
import { recommendThreshold, TARGET_LOWER_BOUND } from './recommend';

const option = (threshold: number, lower: number | null): ThresholdOption => ({
  threshold,
  predicted_auto_send_rate: 1 - threshold,
  predicted_approved_unchanged: lower === null ? null : Math.min(1, lower + 0.1),
  approved_unchanged_lower_bound: lower,
  reviewed: lower === null ? 0 : 40,
});

describe('recommendThreshold', () => {
  it('picks the lowest threshold whose lower bound clears the bar (the most sent)', () => {
    const options = [
      option(0.6, 0.5),
      option(0.7, TARGET_LOWER_BOUND),
      option(0.8, 0.9),
      option(0.9, 0.95),
    ];
    expect(recommendThreshold(options)?.threshold).toBe(0.7);
  });

  it('recommends nothing without enough evidence', () => {
    expect(recommendThreshold([option(0.5, null), option(0.8, 0.6), option(0.9, null)])).toBeNull();
  });
});
