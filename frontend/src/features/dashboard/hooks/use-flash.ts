import { useEffect, useRef, useState } from 'react';

/**
 * True for a moment after `value` changes (a live update), not on the first render nor when
 * `scope` changes (another time window is not an update). `same` says which values count as
 * unchanged (default: identical).
 */
export function useFlash(
  value: unknown,
  scope: unknown,
  same: (a: unknown, b: unknown) => boolean = Object.is,
  durationMs = 1600,
): boolean {
  const previous = useRef({ value, scope });
  const sameRef = useRef(same);
  sameRef.current = same;
  const [flashing, setFlashing] = useState(false);
  useEffect(() => {
    const before = previous.current;
    previous.current = { value, scope };
    if (before.scope !== scope || sameRef.current(before.value, value)) return;
    setFlashing(true);
    const timer = setTimeout(() => setFlashing(false), durationMs);
    return () => clearTimeout(timer);
  }, [value, scope, durationMs]);
  return flashing;
}
