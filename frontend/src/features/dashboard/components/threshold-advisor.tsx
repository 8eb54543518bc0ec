import {
  Badge,
  Box,
  Button,
  Dialog,
  Field,
  Grid,
  HStack,
  NativeSelect,
  Portal,
  Separator,
  Stack,
  Text,
} from '@chakra-ui/react';
import { useId, useState } from 'react';
import {
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceArea,
  ReferenceDot,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { ThresholdAdvice, ThresholdOption } from '../api/get-threshold-advice';
import { useUpdateThreshold } from '../api/update-threshold';
import { useChartColors } from '../hooks/use-chart-colors';
import { formatCount, formatRate, formatThreshold } from '../lib/format';
import { recommendThreshold, TARGET_LOWER_BOUND } from '../lib/recommend';
import { axisProps, CHART_HEIGHT, ChartFrame, LegendDot, tooltipStyle } from './chart-kit';
import { NoData } from './panel';

export const ADVICE_WINDOWS = [7, 30, 90] as const;

const same = (a: number, b: number) => Math.abs(a - b) < 1e-6;

/**
 * For each candidate threshold: the share of messages it would have sent without review and the
 * share of reviewed drafts above it agents approved unchanged; the current threshold marked, the
 * recommended one highlighted, and a way to apply one.
 */
export function ThresholdAdvisor({
  advice,
  currentThreshold,
}: {
  advice: ThresholdAdvice;
  currentThreshold: number;
}) {
  const recommended = recommendThreshold(advice.options);
  const [pending, setPending] = useState<number | null>(null);
  const hasEvidence = advice.answerable > 0 || advice.reviewed > 0;
  const current = advice.options.find((o) => same(o.threshold, currentThreshold));

  return (
    <Grid
      templateColumns={{ base: '1fr', lg: 'minmax(0, 2fr) minmax(280px, 1fr)' }}
      gap={{ base: '5', lg: '6' }}
    >
      <Box minW="0">
        {hasEvidence ? (
          <AdvisorChart
            options={advice.options}
            current={currentThreshold}
            recommended={recommended?.threshold ?? null}
          />
        ) : (
          <NoData height={CHART_HEIGHT + 30}>
            The advisor needs AI decisions and drafts reviewed by agents in the last{' '}
            {advice.window_days} days.
          </NoData>
        )}
      </Box>
      <Stack gap="4" fontSize="sm">
        <Stack gap="1">
          <Text
            fontSize="xs"
            color="fg.muted"
            fontWeight="medium"
            textTransform="uppercase"
            letterSpacing="wider"
          >
            Current threshold
          </Text>
          <HStack gap="2" align="baseline">
            <Text fontSize="2xl" fontWeight="semibold" data-testid="current-threshold">
              {formatThreshold(currentThreshold)}
            </Text>
            {current && hasEvidence && <OptionSummary option={current} />}
          </HStack>
        </Stack>
        <Separator />
        <Recommendation
          recommended={recommended}
          current={current}
          currentThreshold={currentThreshold}
          reviewed={advice.reviewed}
          windowDays={advice.window_days}
          onApply={setPending}
        />
        <Separator />
        <ManualChoice
          key={currentThreshold}
          options={advice.options}
          currentThreshold={currentThreshold}
          onApply={setPending}
        />
      </Stack>
      <ConfirmThreshold
        target={pending}
        currentThreshold={currentThreshold}
        option={advice.options.find((o) => pending !== null && same(o.threshold, pending))}
        current={current}
        windowDays={advice.window_days}
        onClose={() => setPending(null)}
      />
    </Grid>
  );
}

function OptionSummary({ option }: { option: ThresholdOption }) {
  return (
    <Text color="fg.muted" fontSize="xs">
      {formatRate(option.predicted_auto_send_rate)} auto-sent
      {option.predicted_approved_unchanged !== null &&
        ` · ${formatRate(option.predicted_approved_unchanged)} approved unchanged`}
    </Text>
  );
}

function Recommendation({
  recommended,
  current,
  currentThreshold,
  reviewed,
  windowDays,
  onApply,
}: {
  recommended: ThresholdOption | null;
  current: ThresholdOption | undefined;
  currentThreshold: number;
  reviewed: number;
  windowDays: number;
  onApply: (threshold: number) => void;
}) {
  if (recommended === null) {
    return (
      <Stack gap="1.5" data-testid="recommendation">
        <Text fontWeight="semibold">No recommendation yet</Text>
        <Text color="fg.muted" fontSize="xs">
          A threshold is recommended when, with 95% confidence, agents approved at least{' '}
          {formatRate(TARGET_LOWER_BOUND)} of the drafts it would have sent unchanged.{' '}
          {formatCount(reviewed)} draft{reviewed === 1 ? '' : 's'} reviewed in the last {windowDays}{' '}
          days so far.
        </Text>
      </Stack>
    );
  }
  const isCurrent = same(recommended.threshold, currentThreshold);
  const gain =
    current !== undefined
      ? recommended.predicted_auto_send_rate - current.predicted_auto_send_rate
      : null;
  return (
    <Stack gap="2" data-testid="recommendation">
      <HStack gap="2">
        <Text
          fontSize="xs"
          color="fg.muted"
          fontWeight="medium"
          textTransform="uppercase"
          letterSpacing="wider"
        >
          Recommended
        </Text>
        {isCurrent && (
          <Badge colorPalette="green" variant="subtle" size="sm">
            in use
          </Badge>
        )}
      </HStack>
      <HStack gap="2" align="baseline">
        <Text fontSize="2xl" fontWeight="semibold" color="brand.fg">
          {formatThreshold(recommended.threshold)}
        </Text>
        <OptionSummary option={recommended} />
      </HStack>
      <Text color="fg.muted" fontSize="xs">
        At least {formatRate(recommended.approved_unchanged_lower_bound)} approved unchanged with
        95% confidence, from {formatCount(recommended.reviewed)} reviewed draft
        {recommended.reviewed === 1 ? '' : 's'}
        {gain !== null && !isCurrent && Math.abs(gain) >= 0.005
          ? `; ${Math.round(Math.abs(gain) * 100)} points ${gain > 0 ? 'more' : 'fewer'} auto-sent than now.`
          : '.'}
      </Text>
      {!isCurrent && (
        <Button
          size="sm"
          colorPalette="brand"
          alignSelf="start"
          onClick={() => onApply(recommended.threshold)}
        >
          Apply {formatThreshold(recommended.threshold)}
        </Button>
      )}
    </Stack>
  );
}

function ManualChoice({
  options,
  currentThreshold,
  onApply,
}: {
  options: ThresholdOption[];
  currentThreshold: number;
  onApply: (threshold: number) => void;
}) {
  const id = useId();
  const [choice, setChoice] = useState('');
  const value = choice === '' ? null : Number(choice);
  return (
    <Field.Root>
      <Field.Label htmlFor={id} fontSize="xs" color="fg.muted">
        Or choose a threshold
      </Field.Label>
      <HStack gap="2" w="full">
        <NativeSelect.Root size="sm" flex="1">
          <NativeSelect.Field
            id={id}
            value={choice}
            onChange={(e) => setChoice(e.currentTarget.value)}
          >
            <option value="">Select…</option>
            {options.map((o) => (
              <option
                key={o.threshold}
                value={String(o.threshold)}
                disabled={same(o.threshold, currentThreshold)}
              >
                {formatThreshold(o.threshold)} — {formatRate(o.predicted_auto_send_rate)} auto-sent
                {o.predicted_approved_unchanged !== null
                  ? `, ${formatRate(o.predicted_approved_unchanged)} approved`
                  : ''}
                {same(o.threshold, currentThreshold) ? ' (current)' : ''}
              </option>
            ))}
          </NativeSelect.Field>
          <NativeSelect.Indicator />
        </NativeSelect.Root>
        <Button
          size="sm"
          variant="outline"
          disabled={value === null || same(value, currentThreshold)}
          onClick={() => value !== null && onApply(value)}
        >
          Apply…
        </Button>
      </HStack>
    </Field.Root>
  );
}

function ConfirmThreshold({
  target,
  currentThreshold,
  option,
  current,
  windowDays,
  onClose,
}: {
  target: number | null;
  currentThreshold: number;
  option: ThresholdOption | undefined;
  current: ThresholdOption | undefined;
  windowDays: number;
  onClose: () => void;
}) {
  const update = useUpdateThreshold();
  const lower = target !== null && target < currentThreshold;
  return (
    <Dialog.Root
      role="alertdialog"
      open={target !== null}
      onOpenChange={(e) => {
        if (!e.open && !update.isPending) onClose();
      }}
      placement="center"
    >
      <Portal>
        <Dialog.Backdrop />
        <Dialog.Positioner>
          <Dialog.Content mx="4">
            <Dialog.Header>
              <Dialog.Title>Change the confidence threshold?</Dialog.Title>
            </Dialog.Header>
            <Dialog.Body>
              <Stack gap="3" fontSize="sm">
                <Text>
                  From <b>{formatThreshold(currentThreshold)}</b> to{' '}
                  <b>{target === null ? '' : formatThreshold(target)}</b>. Replies the AI scores at{' '}
                  {target === null ? '' : formatThreshold(target)} or more will be sent to customers
                  without review; safety messages are always reviewed.
                </Text>
                {option && (
                  <Text color="fg.muted">
                    Over the last {windowDays} days it would have sent{' '}
                    {formatRate(option.predicted_auto_send_rate)} of answerable messages without
                    review
                    {current ? ` (now ${formatRate(current.predicted_auto_send_rate)})` : ''}
                    {option.predicted_approved_unchanged !== null
                      ? `; agents approved ${formatRate(option.predicted_approved_unchanged)} of the drafts above it unchanged.`
                      : '; no reviewed drafts above it yet to show how often it would be right.'}
                  </Text>
                )}
                {lower && (
                  <Text color="fg.warning">
                    A lower threshold sends more replies without a person checking them.
                  </Text>
                )}
              </Stack>
            </Dialog.Body>
            <Dialog.Footer>
              <Button variant="outline" onClick={onClose} disabled={update.isPending}>
                Cancel
              </Button>
              <Button
                colorPalette="brand"
                loading={update.isPending}
                onClick={() => {
                  if (target === null) return;
                  update.mutate(target, { onSuccess: onClose });
                }}
              >
                Set to {target === null ? '' : formatThreshold(target)}
              </Button>
            </Dialog.Footer>
          </Dialog.Content>
        </Dialog.Positioner>
      </Portal>
    </Dialog.Root>
  );
}

function AdvisorChart({
  options,
  current,
  recommended,
}: {
  options: ThresholdOption[];
  current: number;
  recommended: number | null;
}) {
  const c = useChartColors();
  const data = options.map((o) => ({
    threshold: o.threshold,
    autoSend: o.predicted_auto_send_rate,
    precision: o.predicted_approved_unchanged,
    lower: o.approved_unchanged_lower_bound,
    reviewed: o.reviewed,
  }));
  const rec = recommended === null ? undefined : data.find((d) => same(d.threshold, recommended));
  const thresholds = data.map((d) => d.threshold);
  const min = Math.min(...thresholds, current);
  const max = Math.max(...thresholds, current);
  return (
    <Stack gap="2">
      <ChartFrame label="Threshold advisor: auto-send rate and precision per threshold">
        <ResponsiveContainer
          width="100%"
          height={CHART_HEIGHT + 20}
          initialDimension={{ width: 640, height: CHART_HEIGHT + 20 }}
        >
          <ComposedChart data={data} margin={{ top: 22, right: 16, left: 0, bottom: 0 }}>
            <CartesianGrid stroke={c.grid} strokeDasharray="3 3" />
            <XAxis
              dataKey="threshold"
              type="number"
              domain={[min - 0.02, max + 0.02]}
              ticks={thresholds}
              tickFormatter={(v: number) => formatThreshold(v)}
              {...axisProps(c)}
            />
            <YAxis
              domain={[0, 1]}
              ticks={[0, 0.25, 0.5, 0.75, 1]}
              tickFormatter={(v: number) => formatRate(v)}
              {...axisProps(c)}
              axisLine={false}
              width={44}
            />
            <Tooltip
              {...tooltipStyle(c)}
              labelFormatter={(t) => `Threshold ${formatThreshold(Number(t))}`}
              formatter={(value, name) => [
                value === null || value === undefined ? '—' : formatRate(Number(value)),
                name,
              ]}
            />
            <ReferenceLine
              y={TARGET_LOWER_BOUND}
              stroke={c.subtle}
              strokeDasharray="2 4"
              label={{
                value: `bar ${formatRate(TARGET_LOWER_BOUND)}`,
                position: 'insideBottomLeft',
                fill: c.muted,
                fontSize: 11,
              }}
            />
            <ReferenceLine
              x={current}
              stroke={c.fg}
              strokeDasharray="4 3"
              label={{ value: 'current', position: 'top', fill: c.fg, fontSize: 11 }}
            />
            {rec && (
              <ReferenceArea
                x1={rec.threshold - 0.02}
                x2={rec.threshold + 0.02}
                fill={c.brandMuted}
                fillOpacity={0.7}
                stroke="none"
                ifOverflow="hidden"
                label={{
                  value: 'recommended',
                  position: 'insideTop',
                  fill: c.brandFg,
                  fontSize: 11,
                  fontWeight: 600,
                }}
              />
            )}
            <Line
              type="linear"
              dataKey="autoSend"
              name="Auto-send rate"
              stroke={c.series[0]}
              strokeWidth={2}
              dot={{ r: 3, fill: c.series[0] }}
              animationDuration={400}
            />
            <Line
              type="linear"
              dataKey="precision"
              name="Approved unchanged (precision)"
              stroke={c.series[2]}
              strokeWidth={2}
              dot={{ r: 3, fill: c.series[2] }}
              connectNulls
              animationDuration={400}
            />
            <Line
              type="linear"
              dataKey="lower"
              name="Precision, 95% lower bound"
              stroke={c.series[2]}
              strokeOpacity={0.55}
              strokeDasharray="5 4"
              dot={false}
              connectNulls
              animationDuration={400}
            />
            {rec && (
              <ReferenceDot
                x={rec.threshold}
                y={rec.autoSend}
                r={6}
                fill={c.brand}
                stroke={c.panel}
                strokeWidth={2}
              />
            )}
            {rec && rec.precision !== null && (
              <ReferenceDot
                x={rec.threshold}
                y={rec.precision}
                r={6}
                fill={c.brand}
                stroke={c.panel}
                strokeWidth={2}
              />
            )}
          </ComposedChart>
        </ResponsiveContainer>
      </ChartFrame>
      <HStack gap="4" fontSize="xs" color="fg.muted" wrap="wrap">
        <LegendDot color={c.series[0]} label="Auto-send rate" />
        <LegendDot
          color={c.series[2]}
          label="Approved unchanged (precision; dashed: 95% lower bound)"
        />
        {rec && (
          <LegendDot color={c.brandMuted} label={`Recommended ${formatThreshold(rec.threshold)}`} />
        )}
      </HStack>
    </Stack>
  );
}
