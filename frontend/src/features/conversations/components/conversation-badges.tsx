import { Badge } from '@chakra-ui/react';
import { LuPause } from 'react-icons/lu';
import { type Conversation, STATUS } from '../lib/labels';

export function StatusBadge({ status }: { status: Conversation['status'] }) {
  const { label, palette } = STATUS[status];
  return (
    <Badge colorPalette={palette} variant="subtle" data-status={status}>
      {label}
    </Badge>
  );
}

export function PriorityBadge({ priority }: { priority: Conversation['priority'] }) {
  if (priority === 'normal') return null;
  const urgent = priority === 'urgent';
  return (
    <Badge
      variant={urgent ? 'solid' : 'outline'}
      bg={urgent ? 'priority.urgent' : undefined}
      color={urgent ? 'fg.inverted' : 'priority.high'}
      borderColor="priority.high"
      data-priority={priority}
    >
      {urgent ? 'Urgent' : 'High priority'}
    </Badge>
  );
}

export function AiPausedBadge({ paused }: { paused: boolean }) {
  if (!paused) return null;
  return (
    <Badge colorPalette="purple" variant="subtle" gap="1">
      <LuPause aria-hidden /> AI paused
    </Badge>
  );
}
