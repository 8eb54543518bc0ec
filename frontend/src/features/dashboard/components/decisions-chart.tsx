import { Box, Flex, HStack, Stack, Text } from '@chakra-ui/react';
import {
  Bar,
  BarChart,
  Cell,
  LabelList,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { Dashboard } from '../api/get-dashboard';
import { type ChartColors, useChartColors } from '../hooks/use-chart-colors';
import { formatCount, formatRate, labelOf } from '../lib/format';
import { axisProps, ChartFrame, LegendDot, tooltipStyle } from './chart-kit';
import { NoData } from './panel';

const DECISIONS = ['auto_sent', 'draft', 'escalated', 'failed', 'skipped'];
const REVIEWS = ['approved', 'edited', 'rejected'] as const;
const SHORT: Record<string, string> = {
  auto_sent: 'Auto-sent',
  draft: 'Drafted',
  escalated: 'Escalated',
  failed: 'AI failed',
  skipped: 'Skipped',
};

const decisionColour = (c: ChartColors, decision: string) =>
  ({
    auto_sent: c.series[0],
    draft: c.series[1],
    escalated: c.category.safety_compliance,
    failed: c.series[3],
    skipped: c.subtle,
  })[decision] ?? c.series[2];

const reviewColour = (c: ChartColors, status: string) =>
  ({ approved: c.series[0], edited: c.series[3], rejected: c.series[4] })[status] ?? c.subtle;

/** What the AI decided for the window's messages, and what reviewers did with its drafts. */
export function DecisionsChart({ decisions, reviews }: Pick<Dashboard, 'decisions' | 'reviews'>) {
  const c = useChartColors();
  const keys = [...DECISIONS, ...Object.keys(decisions).filter((d) => !DECISIONS.includes(d))];
  const data = keys
    .map((key) => ({
      key,
      name: SHORT[key] ?? labelOf(key),
      count: decisions[key] ?? 0,
      fill: decisionColour(c, key),
    }))
    .filter((d) => d.count > 0 || ['auto_sent', 'draft', 'escalated'].includes(d.key));
  const total = data.reduce((a, d) => a + d.count, 0);
  const reviewed = REVIEWS.reduce((a, s) => a + (reviews[s] ?? 0), 0);
  return (
    <Stack gap="4">
      {total === 0 ? (
        <NoData height={150}>Decisions show once the AI answers a message in this window.</NoData>
      ) : (
        <ChartFrame label="AI decisions">
          <ResponsiveContainer
            width="100%"
            height={data.length * 34 + 8}
            initialDimension={{ width: 360, height: data.length * 34 + 8 }}
          >
            <BarChart
              data={data}
              layout="vertical"
              margin={{ top: 4, right: 36, left: 0, bottom: 4 }}
              barCategoryGap="24%"
            >
              <XAxis type="number" hide allowDecimals={false} />
              <YAxis type="category" dataKey="name" {...axisProps(c)} axisLine={false} width={84} />
              <Tooltip
                {...tooltipStyle(c)}
                cursor={{ fill: c.cursor }}
                formatter={(value) => [
                  `${formatCount(Number(value))} (${formatRate(Number(value) / total)})`,
                  'Messages',
                ]}
              />
              <Bar dataKey="count" radius={[0, 4, 4, 0]} animationDuration={400} minPointSize={2}>
                {data.map((d) => (
                  <Cell key={d.key} fill={d.fill} />
                ))}
                <LabelList dataKey="count" position="right" fill={c.fg} fontSize={12} />
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        </ChartFrame>
      )}
      <Box>
        <Flex justify="space-between" fontSize="xs" color="fg.muted" mb="1.5">
          <Text fontWeight="medium">Reviewer decisions on drafts</Text>
          <Text>{reviewed === 0 ? 'none yet' : `${formatCount(reviewed)} reviewed`}</Text>
        </Flex>
        <Flex
          h="2.5"
          borderRadius="full"
          overflow="hidden"
          bg="bg.muted"
          role="img"
          aria-label={
            reviewed === 0
              ? 'No drafts reviewed yet'
              : REVIEWS.map((s) => `${reviews[s] ?? 0} ${s}`).join(', ')
          }
        >
          {REVIEWS.map((s) =>
            (reviews[s] ?? 0) > 0 ? (
              <Box
                key={s}
                h="full"
                style={{
                  width: `${((reviews[s] ?? 0) / reviewed) * 100}%`,
                  background: reviewColour(c, s),
                }}
                transition="width 0.4s ease"
              />
            ) : null,
          )}
        </Flex>
        <HStack gap="4" mt="2" fontSize="xs" color="fg.muted" wrap="wrap">
          {REVIEWS.map((s) => (
            <LegendDot
              key={s}
              color={reviewColour(c, s)}
              label={`${labelOf(s)} ${formatCount(reviews[s] ?? 0)}`}
            />
          ))}
        </HStack>
      </Box>
    </Stack>
  );
}
