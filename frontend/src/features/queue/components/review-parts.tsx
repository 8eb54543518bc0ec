import { Badge, Box, Collapsible, HStack, Link, List, Stack, Text } from '@chakra-ui/react';
import type { ReactNode } from 'react';
import { LuChevronDown, LuExternalLink } from 'react-icons/lu';
import type { Outcome } from '../api/get-draft';
import { type Draft, percent } from '../lib/labels';

export function Section({
  title,
  aside,
  children,
}: {
  title: string;
  aside?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Stack gap="2" as="section" aria-label={title}>
      <HStack justify="space-between" gap="2">
        <Text
          as="h3"
          fontSize="xs"
          fontWeight="semibold"
          color="fg.muted"
          textTransform="uppercase"
          letterSpacing="wide"
        >
          {title}
        </Text>
        {aside}
      </HStack>
      {children}
    </Stack>
  );
}

export function Foldout({
  title,
  defaultOpen,
  children,
}: {
  title: ReactNode;
  defaultOpen: boolean;
  children: ReactNode;
}) {
  return (
    <Collapsible.Root defaultOpen={defaultOpen} borderWidth="1px" borderRadius="md">
      <Collapsible.Trigger
        w="full"
        px="3"
        py="2"
        display="flex"
        alignItems="center"
        justifyContent="space-between"
        fontSize="sm"
        fontWeight="medium"
        cursor="pointer"
        borderRadius="md"
        _hover={{ bg: 'bg.subtle' }}
      >
        {title}
        <Collapsible.Indicator
          transition="transform 0.2s"
          _open={{ transform: 'rotate(180deg)' }}
          color="fg.muted"
        >
          <LuChevronDown />
        </Collapsible.Indicator>
      </Collapsible.Trigger>
      <Collapsible.Content>
        <Box px="3" pb="3">
          {children}
        </Box>
      </Collapsible.Content>
    </Collapsible.Root>
  );
}

/** The passages the AI's draft rests on, numbered as the draft cites them ([1], [2] …). */
export function Citations({ citations }: { citations: Draft['citations'] }) {
  if (citations.length === 0) {
    return (
      <Text
        fontSize="sm"
        color="fg.muted"
        p="3"
        borderWidth="1px"
        borderStyle="dashed"
        borderRadius="md"
      >
        No sources. The AI found nothing in the knowledge base to cite for this question: check the
        facts yourself.
      </Text>
    );
  }
  return (
    <Stack gap="2" as="ol" listStyleType="none" aria-label="Cited passages">
      {citations.map((c) => (
        <Box
          as="li"
          key={`${c.number}-${c.chunk_id}`}
          borderWidth="1px"
          borderRadius="md"
          p="3"
          bg="bg.subtle"
          data-testid="citation"
        >
          <HStack gap="2" align="start" mb="1.5">
            <Badge
              colorPalette="brand"
              variant="solid"
              flexShrink={0}
              aria-label={`Source ${c.number}`}
            >
              {c.number}
            </Badge>
            <Box minW="0">
              {c.source_url ? (
                <Link
                  href={c.source_url}
                  target="_blank"
                  rel="noreferrer"
                  fontSize="sm"
                  fontWeight="semibold"
                  color="brand.fg"
                >
                  {c.title} <LuExternalLink aria-label="opens in a new tab" />
                </Link>
              ) : (
                <Text fontSize="sm" fontWeight="semibold">
                  {c.title}
                </Text>
              )}
              {c.section && (
                <Text fontSize="xs" color="fg.muted">
                  {c.section}
                </Text>
              )}
            </Box>
          </HStack>
          <Text
            as="blockquote"
            fontSize="sm"
            color="fg.muted"
            borderLeftWidth="2px"
            borderColor="border.emphasized"
            pl="2.5"
            whiteSpace="pre-wrap"
          >
            {c.quote}
          </Text>
        </Box>
      ))}
    </Stack>
  );
}

const DECISION: Record<Outcome['decision'], string> = {
  auto_sent: 'Sent automatically',
  draft: 'Held for review',
  escalated: 'Escalated to a person',
  failed: 'AI failed',
  skipped: 'Skipped',
};

/** How the AI reached its decision, step by step. */
export function DecisionPath({ outcome }: { outcome: Outcome | null }) {
  if (outcome === null) {
    return (
      <Text fontSize="sm" color="fg.muted">
        No record of the AI's decision is kept for this draft.
      </Text>
    );
  }
  const latency = outcome.latency_ms.total;
  return (
    <Stack gap="3">
      <HStack gap="2" flexWrap="wrap" fontSize="sm">
        <Badge variant="subtle" colorPalette={outcome.decision === 'failed' ? 'red' : 'gray'}>
          {DECISION[outcome.decision]}
        </Badge>
        <Text color="fg.muted">
          Confidence {percent(outcome.confidence)} · needs {percent(outcome.threshold)} to send on
          its own
        </Text>
      </HStack>
      <List.Root as="ol" gap="1.5" fontSize="sm" ps="5">
        {outcome.decision_path.map((step, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the steps are a fixed record
          <List.Item key={i}>{step}</List.Item>
        ))}
      </List.Root>
      {outcome.error && (
        <Text fontSize="sm" color="fg.error">
          Error: {outcome.error}
        </Text>
      )}
      <Text fontSize="xs" color="fg.subtle">
        {[
          outcome.provider,
          outcome.model,
          outcome.prompt_id && `${outcome.prompt_id} ${outcome.prompt_version ?? ''}`,
        ]
          .filter(Boolean)
          .join(' · ')}
        {latency !== undefined && ` · ${(latency / 1000).toFixed(1)} s`}
      </Text>
    </Stack>
  );
}
