import { SimpleGrid, Text } from '@chakra-ui/react';
import {
  LuCircleCheck,
  LuCircleDollarSign,
  LuCircleX,
  LuClockAlert,
  LuInbox,
  LuMessagesSquare,
  LuPencil,
  LuSend,
  LuSiren,
  LuTimer,
} from 'react-icons/lu';
import { useNow } from '@/lib/use-now';
import type { Dashboard } from '../api/get-dashboard';
import type { TenantPolicy } from '../api/get-policy';
import {
  formatCount,
  formatDuration,
  formatRate,
  formatTokens,
  formatUsd,
  labelOf,
} from '../lib/format';
import { Breakdown, KpiTile, TileSkeleton } from './kpi-tile';

const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

const GRID = { base: 1, sm: 2, md: 3, xl: 5 } as const;

interface Props {
  data: Dashboard;
  policy: TenantPolicy | undefined;
  /** When the figures arrived (ms), for the waiting time that keeps counting between updates. */
  updatedAt: number;
}

export function KpiTiles({ data, policy, updatedAt }: Props) {
  const scope = data.window_minutes;
  const reviewed = sum(data.reviews);
  const escalations = sum(data.escalations);
  const breaches = sum(data.sla_breaches);
  const sent = data.decisions.auto_sent ?? 0;
  const reviewHelp = (status: string) =>
    reviewed === 0
      ? 'No drafts reviewed yet'
      : `${formatCount(data.reviews[status] ?? 0)} of ${formatCount(reviewed)} reviewed`;

  return (
    <SimpleGrid columns={GRID} gap="3" as="section" aria-label="Key figures">
      <KpiTile
        tileKey="active_conversations"
        label="Active conversations"
        value={data.active_conversations}
        display={formatCount(data.active_conversations)}
        icon={<LuMessagesSquare />}
        help="Open or waiting for a person, now"
        scope={scope}
      />
      <KpiTile
        tileKey="queue_depth"
        label="Queue depth"
        value={data.queue_depth}
        display={formatCount(data.queue_depth)}
        icon={<LuInbox />}
        help={
          data.queue_depth === 0 ? 'No drafts waiting for review' : 'Drafts waiting for review, now'
        }
        scope={scope}
      />
      <OldestPendingTile
        ageS={data.oldest_pending_age_s}
        generatedAt={data.generated_at}
        updatedAt={updatedAt}
        limitS={policy?.escalation_after_s}
        scope={scope}
      />
      <KpiTile
        tileKey="auto_send_rate"
        label="Auto-send rate"
        value={data.auto_send_rate}
        display={formatRate(data.auto_send_rate ?? 0)}
        icon={<LuSend />}
        help={
          data.replies === 0
            ? 'No AI replies yet'
            : `${formatCount(sent)} of ${formatCount(data.replies)} replies sent without review`
        }
        scope={scope}
      />
      <KpiTile
        tileKey="approve_rate"
        label="Approved"
        value={data.approve_rate}
        display={formatRate(data.approve_rate ?? 0)}
        icon={<LuCircleCheck />}
        help={reviewHelp('approved')}
        scope={scope}
      />
      <KpiTile
        tileKey="edit_rate"
        label="Edited"
        value={data.edit_rate}
        display={formatRate(data.edit_rate ?? 0)}
        icon={<LuPencil />}
        help={reviewHelp('edited')}
        scope={scope}
      />
      <KpiTile
        tileKey="reject_rate"
        label="Rejected"
        value={data.reject_rate}
        display={formatRate(data.reject_rate ?? 0)}
        icon={<LuCircleX />}
        help={reviewHelp('rejected')}
        tone={(data.reject_rate ?? 0) >= 0.25 && reviewed >= 4 ? 'warning' : 'normal'}
        scope={scope}
      />
      <KpiTile
        tileKey="escalations"
        label="Escalations"
        value={escalations}
        display={formatCount(escalations)}
        icon={<LuSiren />}
        help={
          <Breakdown
            items={Object.entries(data.escalations).map(([k, n]) => [labelOf(k), n])}
            empty="None in this window"
          />
        }
        tone={escalations > 0 ? 'danger' : 'normal'}
        scope={scope}
      />
      <KpiTile
        tileKey="sla_breaches"
        label="SLA breaches"
        value={breaches}
        display={formatCount(breaches)}
        icon={<LuClockAlert />}
        help={
          <Breakdown
            items={[
              ['Drafts past the limit', data.sla_breaches.drafts_past_limit ?? 0],
              ['Customers left waiting', data.sla_breaches.customers_waiting ?? 0],
            ]}
            empty="No breaches right now"
          />
        }
        tone={breaches > 0 ? 'warning' : 'normal'}
        scope={scope}
      />
      <KpiTile
        tileKey="cost_per_conversation"
        label="Cost / conversation"
        value={data.cost_per_conversation_usd}
        display={formatUsd(data.cost_per_conversation_usd ?? 0)}
        icon={<LuCircleDollarSign />}
        help={
          <Text>
            {formatTokens(data.llm_tokens)} LLM tokens · {formatUsd(data.llm_cost_usd)} total
          </Text>
        }
        scope={scope}
      />
    </SimpleGrid>
  );
}

/** Drafted at (epoch seconds): the same draft stays the oldest while this stays put. */
const sameDraft = (a: unknown, b: unknown) =>
  (a === null && b === null) ||
  (typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) < 3);

/** The oldest waiting draft's age, counting up between updates; warns past the limit. */
function OldestPendingTile({
  ageS,
  generatedAt,
  updatedAt,
  limitS,
  scope,
}: {
  ageS: number | null;
  generatedAt: string;
  updatedAt: number;
  limitS: number | undefined;
  scope: unknown;
}) {
  const now = useNow(1000);
  const age = ageS === null ? null : ageS + Math.max(0, (now - updatedAt) / 1000);
  const late = age !== null && limitS !== undefined && age > limitS;
  const draftedAt = ageS === null ? null : Date.parse(generatedAt) / 1000 - ageS;
  return (
    <KpiTile
      tileKey="oldest_pending"
      label="Oldest waiting draft"
      value={ageS}
      display={formatDuration(age ?? 0)}
      icon={<LuTimer />}
      help={
        age === null
          ? 'Nothing waiting'
          : limitS === undefined
            ? 'Since it was drafted'
            : late
              ? `Past the ${formatDuration(limitS)} escalation limit`
              : `Escalates after ${formatDuration(limitS)}`
      }
      tone={late ? 'warning' : 'normal'}
      scope={scope}
      identity={draftedAt}
      sameIdentity={sameDraft}
    />
  );
}

export function KpiTilesSkeleton() {
  return (
    <SimpleGrid columns={GRID} gap="3" aria-busy="true" aria-label="Loading key figures">
      {Array.from({ length: 10 }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
        <TileSkeleton key={i} />
      ))}
    </SimpleGrid>
  );
}
