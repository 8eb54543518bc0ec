import { useSearchParams } from 'react-router-dom';

export const WINDOWS = [
  { value: '15m', label: '15 min', minutes: 15, description: 'last 15 minutes' },
  { value: '1h', label: '1 hour', minutes: 60, description: 'last hour' },
  { value: '24h', label: '24 hours', minutes: 24 * 60, description: 'last 24 hours' },
  { value: '7d', label: '7 days', minutes: 7 * 24 * 60, description: 'last 7 days' },
] as const;

export type WindowOption = (typeof WINDOWS)[number];
export type WindowValue = WindowOption['value'];

const DEFAULT: WindowOption = WINDOWS[1];

/** The dashboard's time window, kept in the URL (`?window=15m|1h|24h|7d`, default 1h). */
export function useDashboardWindow(): [WindowOption, (value: WindowValue) => void] {
  const [params, setParams] = useSearchParams();
  const current = WINDOWS.find((w) => w.value === params.get('window')) ?? DEFAULT;
  const setWindow = (value: WindowValue) =>
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        next.set('window', value);
        return next;
      },
      { replace: true },
    );
  return [current, setWindow];
}
