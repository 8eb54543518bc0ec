import { describe, expect, it } from 'vitest';
import { formatAgo, formatDuration, formatMs, formatRate, formatUsd, labelOf } from './format';

describe('format', () => {
  it('writes durations the way people read them', () => {
    expect(formatDuration(42.4)).toBe('42 s');
    expect(formatDuration(200)).toBe('3 min 20 s');
    expect(formatDuration(720)).toBe('12 min');
    expect(formatDuration(3900)).toBe('1 h 5 min');
    expect(formatDuration(2 * 86400 + 3 * 3600)).toBe('2 d 3 h');
  });

  it('writes rates, money, latency and ages', () => {
    expect(formatRate(0.756)).toBe('76%');
    expect(formatRate(null)).toBe('—');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.0042)).toBe('$0.0042');
    expect(formatUsd(12.5)).toBe('$12.50');
    expect(formatMs(4.25)).toBe('4.3 ms');
    expect(formatMs(1530)).toBe('1.5 s');
    expect(formatAgo(3400)).toBe('3 s ago');
    expect(formatAgo(125_000)).toBe('2 min ago');
  });

  it('names server keys', () => {
    expect(labelOf('safety_compliance')).toBe('Safety'); // as the queue names it
    expect(labelOf('waiting:low_confidence')).toBe('Waited too long (low confidence)');
    expect(labelOf('something_new')).toBe('Something new');
  });
});
