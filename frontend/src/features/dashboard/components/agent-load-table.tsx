import { Badge, Box, EmptyState, HStack, Progress, Table, Text } from '@chakra-ui/react';
import { LuUsers } from 'react-icons/lu';
import { useSession } from '@/lib/session';
import type { Dashboard } from '../api/get-dashboard';
import { formatCount, formatRate } from '../lib/format';

type AgentLoad = Dashboard['agents'][number];

/** Per agent: drafts claimed now and decisions taken in the window. */
export function AgentLoadTable({ agents }: { agents: AgentLoad[] }) {
  const me = useSession((s) => s.user);
  if (agents.length === 0) {
    return (
      <EmptyState.Root size="sm" py="8">
        <EmptyState.Content>
          <EmptyState.Indicator>
            <LuUsers />
          </EmptyState.Indicator>
          <EmptyState.Title fontSize="sm">No agent activity yet</EmptyState.Title>
          <EmptyState.Description fontSize="xs">
            Agents show here once they claim or decide a draft in this window.
          </EmptyState.Description>
        </EmptyState.Content>
      </EmptyState.Root>
    );
  }
  const rows = [...agents].sort((a, b) => b.decided - a.decided || b.claimed_now - a.claimed_now);
  const decidedTotal = rows.reduce((a, r) => a + r.decided, 0);
  return (
    <Box overflowX="auto">
      <Table.Root
        size="sm"
        variant="line"
        aria-label="Load per agent"
        css={{ '& th': { whiteSpace: 'nowrap' } }}
      >
        <Table.Header>
          <Table.Row>
            <Table.ColumnHeader>Agent</Table.ColumnHeader>
            <Table.ColumnHeader textAlign="end">Claimed now</Table.ColumnHeader>
            <Table.ColumnHeader textAlign="end">Decided</Table.ColumnHeader>
            <Table.ColumnHeader minW="28">Share</Table.ColumnHeader>
          </Table.Row>
        </Table.Header>
        <Table.Body>
          {rows.map((row) => {
            const share = decidedTotal === 0 ? 0 : row.decided / decidedTotal;
            const isMe = me?.id === row.agent_id;
            return (
              <Table.Row key={row.agent_id}>
                <Table.Cell>
                  <HStack gap="2">
                    {isMe || row.name ? (
                      <Text fontWeight="medium" title={row.agent_id}>
                        {row.name ?? me?.display_name ?? 'You'}
                      </Text>
                    ) : (
                      <Text fontFamily="mono" fontSize="xs" title={row.agent_id}>
                        {row.agent_id.slice(0, 8)}
                      </Text>
                    )}
                    {isMe && (
                      <Badge size="xs" variant="subtle">
                        you
                      </Badge>
                    )}
                  </HStack>
                </Table.Cell>
                <Table.Cell textAlign="end" fontVariantNumeric="tabular-nums">
                  {row.claimed_now > 0 ? (
                    <Badge colorPalette="blue" variant="subtle">
                      {formatCount(row.claimed_now)}
                    </Badge>
                  ) : (
                    <Text color="fg.muted">0</Text>
                  )}
                </Table.Cell>
                <Table.Cell textAlign="end" fontVariantNumeric="tabular-nums" fontWeight="medium">
                  {formatCount(row.decided)}
                </Table.Cell>
                <Table.Cell>
                  <HStack gap="2">
                    <Progress.Root
                      value={share * 100}
                      size="xs"
                      flex="1"
                      colorPalette="brand"
                      aria-label={`Share of decisions: ${formatRate(share)}`}
                    >
                      <Progress.Track>
                        <Progress.Range />
                      </Progress.Track>
                    </Progress.Root>
                    <Text fontSize="xs" color="fg.muted" w="9" textAlign="end">
                      {formatRate(share)}
                    </Text>
                  </HStack>
                </Table.Cell>
              </Table.Row>
            );
          })}
        </Table.Body>
      </Table.Root>
    </Box>
  );
}
