import { Badge } from '@chakra-ui/react';
import { useConnectionStatus } from '@/lib/realtime/react';

const LABEL = {
  idle: ['Live', 'gray'],
  connecting: ['Connecting…', 'yellow'],
  open: ['Live', 'green'],
  reconnecting: ['Reconnecting…', 'orange'],
  closed: ['Offline', 'red'],
} as const;

export function ConnectionBadge() {
  const status = useConnectionStatus();
  const [label, palette] = LABEL[status];
  return (
    <Badge colorPalette={palette} variant="subtle" aria-live="polite" data-status={status}>
      ● {label}
    </Badge>
  );
}
