import {
  Alert,
  Box,
  Button,
  Flex,
  Grid,
  Heading,
  NativeSelect,
  Stack,
  Text,
} from '@chakra-ui/react';
import { useSearchParams } from 'react-router-dom';
import { type Dashboard, useDashboard } from '../api/get-dashboard';
import { type TenantPolicy, useTenantPolicy } from '../api/get-policy';
import { useThresholdAdvice } from '../api/get-threshold-advice';
import { useDashboardWindow, type WindowOption } from '../hooks/use-dashboard-window';
import { useLiveDashboard } from '../hooks/use-live-dashboard';
import { AgentLoadTable } from './agent-load-table';
import { CategoryChart } from './category-chart';
import { CHART_HEIGHT } from './chart-kit';
import { ConfidenceChart } from './confidence-chart';
import { DecisionsChart } from './decisions-chart';
import { KpiTiles, KpiTilesSkeleton } from './kpi-tiles';
import { LatencyChart } from './latency-chart';
import { LiveIndicator } from './live-indicator';
import { ChartSkeleton, LoadError, Panel } from './panel';
import { ADVICE_WINDOWS, ThresholdAdvisor } from './threshold-advisor';
import { WindowSelector } from './window-selector';

const GRID = { base: '1fr', md: 'repeat(2, minmax(0, 1fr))', lg: 'repeat(12, minmax(0, 1fr))' };

/** The supervisor's live view of the floor: key figures, AI behaviour, agents, the threshold. */
export function DashboardPage() {
  const [win, setWindow] = useDashboardWindow();
  const dashboard = useDashboard(win.minutes);
  const policy = useTenantPolicy();
  useLiveDashboard(win.minutes);

  return (
    <Stack gap="5" maxW="1600px" mx="auto">
      <Flex
        justify="space-between"
        align={{ base: 'stretch', md: 'end' }}
        gap="3"
        direction={{ base: 'column', md: 'row' }}
      >
        <Stack gap="1">
          <Heading as="h1" size="lg">
            Live dashboard
          </Heading>
          <LiveIndicator updatedAt={dashboard.dataUpdatedAt} fetching={dashboard.isFetching} />
        </Stack>
        <WindowSelector value={win.value} onChange={setWindow} />
      </Flex>

      {dashboard.data === undefined ? (
        dashboard.error ? (
          <LoadError
            what="the dashboard"
            error={dashboard.error}
            onRetry={() => void dashboard.refetch()}
          />
        ) : (
          <DashboardSkeleton />
        )
      ) : (
        <>
          {dashboard.error && !dashboard.isFetching && (
            <Alert.Root status="warning" borderRadius="md" role="alert">
              <Alert.Indicator />
              <Alert.Content>
                <Alert.Title>
                  The latest figures could not be loaded; showing earlier ones.
                </Alert.Title>
                <Alert.Description>{dashboard.error.message}</Alert.Description>
              </Alert.Content>
              <Button size="xs" variant="outline" onClick={() => void dashboard.refetch()}>
                Try again
              </Button>
            </Alert.Root>
          )}
          <Box
            opacity={dashboard.isPlaceholderData ? 0.55 : 1}
            transition="opacity 0.2s"
            aria-busy={dashboard.isPlaceholderData}
          >
            <DashboardBody
              data={dashboard.data}
              policy={policy.data}
              win={win}
              updatedAt={dashboard.dataUpdatedAt}
            />
          </Box>
        </>
      )}

      <AdvisorPanel policy={policy.data} />
    </Stack>
  );
}

function DashboardBody({
  data,
  policy,
  win,
  updatedAt,
}: {
  data: Dashboard;
  policy: TenantPolicy | undefined;
  win: WindowOption;
  updatedAt: number;
}) {
  const scope = win.description;
  return (
    <Stack gap="4">
      <KpiTiles data={data} policy={policy} updatedAt={updatedAt} />
      <Grid templateColumns={GRID} gap="4">
        <Panel
          title="AI latency by stage"
          description={`p50 and p95, ${scope}`}
          colSpan={{ md: 2, lg: 7 }}
        >
          <LatencyChart latency={data.latency} />
        </Panel>
        <Panel
          title="Confidence distribution"
          description={`AI replies by confidence, ${scope}`}
          colSpan={{ md: 2, lg: 5 }}
        >
          <ConfidenceChart
            histogram={data.confidence_histogram}
            threshold={policy?.confidence_threshold}
          />
        </Panel>
        <Panel
          title="Category mix"
          description={`Customer messages by triage category, ${scope}`}
          colSpan={{ lg: 4 }}
        >
          <CategoryChart mix={data.category_mix} />
        </Panel>
        <Panel
          title="Decisions"
          description={`What the AI did, and what reviewers did, ${scope}`}
          colSpan={{ lg: 4 }}
        >
          <DecisionsChart decisions={data.decisions} reviews={data.reviews} />
        </Panel>
        <Panel
          title="Agent load"
          description={`Drafts claimed now and decided, ${scope}`}
          colSpan={{ md: 2, lg: 4 }}
        >
          <AgentLoadTable agents={data.agents} />
        </Panel>
      </Grid>
    </Stack>
  );
}

function AdvisorPanel({ policy }: { policy: TenantPolicy | undefined }) {
  const [params, setParams] = useSearchParams();
  const parsed = Number(params.get('advice_days'));
  const days = (ADVICE_WINDOWS as readonly number[]).includes(parsed) ? parsed : 30;
  const advice = useThresholdAdvice(days);
  return (
    <Panel
      title="Threshold advisor"
      description={`What each confidence threshold would have done, from the last ${days} days of AI decisions and reviews`}
      actions={
        <NativeSelect.Root size="xs" w="auto">
          <NativeSelect.Field
            aria-label="Advisor window"
            value={String(days)}
            onChange={(e) => {
              const value = e.currentTarget.value;
              setParams(
                (previous) => {
                  const next = new URLSearchParams(previous);
                  next.set('advice_days', value);
                  return next;
                },
                { replace: true },
              );
            }}
          >
            {ADVICE_WINDOWS.map((d) => (
              <option key={d} value={d}>
                Last {d} days
              </option>
            ))}
          </NativeSelect.Field>
          <NativeSelect.Indicator />
        </NativeSelect.Root>
      }
      testId="threshold-advisor"
    >
      {advice.data ? (
        <Box opacity={advice.isPlaceholderData ? 0.55 : 1} transition="opacity 0.2s">
          <ThresholdAdvisor
            advice={advice.data}
            currentThreshold={policy?.confidence_threshold ?? advice.data.current_threshold}
          />
        </Box>
      ) : advice.error ? (
        <LoadError
          what="the threshold advice"
          error={advice.error}
          onRetry={() => void advice.refetch()}
        />
      ) : (
        <ChartSkeleton height={CHART_HEIGHT + 30} />
      )}
    </Panel>
  );
}

function DashboardSkeleton() {
  return (
    <Stack gap="4" aria-busy="true">
      <KpiTilesSkeleton />
      <Grid templateColumns={GRID} gap="4">
        {[7, 5, 4, 4, 4].map((span, i) => (
          <Box
            // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
            key={i}
            gridColumn={{ md: span > 4 ? 'span 2' : undefined, lg: `span ${span}` }}
            bg="surface"
            borderWidth="1px"
            borderColor="border.muted"
            borderRadius="xl"
            p="5"
          >
            <Text srOnly>Loading…</Text>
            <ChartSkeleton height={CHART_HEIGHT} />
          </Box>
        ))}
      </Grid>
    </Stack>
  );
}
