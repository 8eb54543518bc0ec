import {
  Alert,
  Badge,
  Box,
  Collapsible,
  HStack,
  List,
  Skeleton,
  Stack,
  Text,
} from '@chakra-ui/react';
import { LuChevronDown } from 'react-icons/lu';
import { useOutcomes } from '../api/list-outcomes';
import { type Outcome, percent, timeOf } from '../lib/labels';

const DECISION: Record<Outcome['decision'], { label: string; palette: string }> = {
  auto_sent: { label: 'Sent automatically', palette: 'green' },
  draft: { label: 'Held for review', palette: 'blue' },
  escalated: { label: 'Escalated', palette: 'red' },
  failed: { label: 'AI failed', palette: 'red' },
  skipped: { label: 'Skipped', palette: 'gray' },
};

const CATEGORY: Record<Outcome['category'], string> = {
  informational: 'Information',
  service_action: 'Service request',
  safety_compliance: 'Safety',
};

/** The AI's decisions in this conversation, newest first, each with its reasoning. */
export function AiDecisions({ conversationId }: { conversationId: string }) {
  const outcomes = useOutcomes(conversationId, true);
  if (outcomes.isPending) {
    return (
      <Stack gap="3" p="3">
        <Skeleton h="16" />
        <Skeleton h="16" />
      </Stack>
    );
  }
  if (outcomes.isError) {
    return (
      <Alert.Root status="error" size="sm" role="alert">
        <Alert.Indicator />
        <Alert.Title>Could not load the AI's decisions: {outcomes.error.message}</Alert.Title>
      </Alert.Root>
    );
  }
  if (outcomes.data.length === 0) {
    return (
      <Text fontSize="sm" color="fg.muted" p="3">
        The AI has not answered in this conversation yet.
      </Text>
    );
  }
  const newestFirst = [...outcomes.data].reverse();
  return (
    <Stack gap="2" p="3">
      {newestFirst.map((o, i) => {
        const d = DECISION[o.decision];
        return (
          <Collapsible.Root
            key={o.id}
            defaultOpen={i === 0}
            borderWidth="1px"
            borderRadius="md"
            bg="surface"
          >
            <Collapsible.Trigger
              w="full"
              p="2.5"
              cursor="pointer"
              textAlign="left"
              borderRadius="md"
              _hover={{ bg: 'bg.subtle' }}
            >
              <HStack justify="space-between" gap="2">
                <HStack gap="1.5" flexWrap="wrap">
                  <Badge colorPalette={d.palette} variant="subtle">
                    {d.label}
                  </Badge>
                  <Text fontSize="xs" color="fg.muted">
                    {CATEGORY[o.category]} · {timeOf(o.created_at)}
                  </Text>
                </HStack>
                <Collapsible.Indicator
                  transition="transform 0.2s"
                  _open={{ transform: 'rotate(180deg)' }}
                  color="fg.muted"
                >
                  <LuChevronDown />
                </Collapsible.Indicator>
              </HStack>
              <Text fontSize="xs" color="fg.muted" mt="1">
                Confidence {percent(o.confidence)} (sends on its own from {percent(o.threshold)})
              </Text>
            </Collapsible.Trigger>
            <Collapsible.Content>
              <Box px="2.5" pb="2.5">
                <List.Root as="ol" gap="1" fontSize="xs" ps="4">
                  {o.decision_path.map((step, n) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: a fixed record
                    <List.Item key={n}>{step}</List.Item>
                  ))}
                </List.Root>
                {o.error && (
                  <Text fontSize="xs" color="fg.error" mt="2">
                    {o.error}
                  </Text>
                )}
                <Text fontSize="xs" color="fg.subtle" mt="2">
                  {[o.provider, o.model].filter(Boolean).join(' · ')}
                  {o.latency_ms.total !== undefined &&
                    ` · ${(o.latency_ms.total / 1000).toFixed(1)} s`}
                </Text>
              </Box>
            </Collapsible.Content>
          </Collapsible.Root>
        );
      })}
    </Stack>
  );
}
