import { Box, HStack, Spinner, Text } from '@chakra-ui/react';
import { useConnectionStatus } from '@/lib/realtime/react';
import { useNow } from '@/lib/use-now';
import { formatAgo } from '../lib/format';

const STATE = {
  idle: { label: 'Connecting…', colour: 'fg.subtle', pulse: false },
  connecting: { label: 'Connecting…', colour: 'fg.warning', pulse: false },
  open: { label: 'Live', colour: 'fg.success', pulse: true },
  reconnecting: { label: 'Reconnecting…', colour: 'fg.warning', pulse: false },
  closed: { label: 'Offline', colour: 'fg.error', pulse: false },
} as const;

/** "Live · updated 3 s ago", ticking every second. */
export function LiveIndicator({ updatedAt, fetching }: { updatedAt: number; fetching: boolean }) {
  const status = useConnectionStatus();
  const now = useNow(1000);
  const state = STATE[status];
  return (
    <HStack
      gap="2"
      fontSize="sm"
      color="fg.muted"
      data-testid="live-indicator"
      data-status={status}
    >
      <Box position="relative" w="2.5" h="2.5" aria-hidden>
        {state.pulse && (
          <Box
            position="absolute"
            inset="0"
            borderRadius="full"
            bg={state.colour}
            opacity={0.5}
            animation="ping 1.6s cubic-bezier(0, 0, 0.2, 1) infinite"
          />
        )}
        <Box position="absolute" inset="0" borderRadius="full" bg={state.colour} />
      </Box>
      <Text>
        <Text as="span" fontWeight="medium" color="fg">
          {state.label}
        </Text>
        {updatedAt > 0 && <> · updated {formatAgo(now - updatedAt)}</>}
      </Text>
      {fetching && <Spinner size="xs" color="fg.subtle" aria-label="Refreshing" />}
    </HStack>
  );
}
