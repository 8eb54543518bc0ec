import { HStack, Stack } from '@chakra-ui/react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useChartColors } from '../hooks/use-chart-colors';
import { formatCount, formatThreshold } from '../lib/format';
import { axisProps, CHART_HEIGHT, ChartFrame, LegendDot, tooltipStyle } from './chart-kit';
import { NoData } from './panel';

const TICKS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** The confidence of the window's AI decisions in ten bins, with the tenant's threshold marked. */
export function ConfidenceChart({
  histogram,
  threshold,
}: {
  histogram: number[];
  threshold: number | undefined;
}) {
  const c = useChartColors();
  const data = histogram.map((count, i) => ({
    mid: i / 10 + 0.05,
    low: i / 10,
    high: (i + 1) / 10,
    count,
  }));
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) {
    return (
      <NoData height={CHART_HEIGHT}>
        The spread of the AI's confidence shows once it scores a reply in this window.
      </NoData>
    );
  }
  const above = (low: number) => threshold !== undefined && low + 1e-9 >= threshold;
  return (
    <Stack gap="2">
      <ChartFrame label="Confidence distribution">
        <ResponsiveContainer
          width="100%"
          height={CHART_HEIGHT - 28}
          initialDimension={{ width: 420, height: CHART_HEIGHT - 28 }}
        >
          <BarChart
            data={data}
            margin={{ top: 20, right: 12, left: 0, bottom: 0 }}
            barCategoryGap={2}
          >
            <CartesianGrid vertical={false} stroke={c.grid} strokeDasharray="3 3" />
            <XAxis
              dataKey="mid"
              type="number"
              domain={[0, 1]}
              ticks={TICKS}
              tickFormatter={(v: number) => v.toFixed(1)}
              {...axisProps(c)}
            />
            <YAxis allowDecimals={false} {...axisProps(c)} axisLine={false} width={36} />
            <Tooltip
              {...tooltipStyle(c)}
              cursor={{ fill: c.cursor }}
              labelFormatter={(mid) => {
                const low = Math.round((Number(mid) - 0.05) * 10) / 10;
                return `Confidence ${low.toFixed(1)}–${(low + 0.1).toFixed(1)}`;
              }}
              formatter={(value) => [formatCount(Number(value)), 'Replies']}
            />
            <Bar dataKey="count" name="Replies" radius={[3, 3, 0, 0]} animationDuration={400}>
              {data.map((d) => (
                <Cell key={d.low} fill={above(d.low) ? c.series[0] : c.series[1]} />
              ))}
            </Bar>
            {threshold !== undefined && (
              <ReferenceLine
                x={threshold}
                stroke={c.fg}
                strokeDasharray="4 3"
                label={{
                  value: `Threshold ${formatThreshold(threshold)}`,
                  position: 'top',
                  fill: c.fg,
                  fontSize: 11,
                }}
              />
            )}
          </BarChart>
        </ResponsiveContainer>
      </ChartFrame>
      <HStack gap="4" fontSize="xs" color="fg.muted" wrap="wrap">
        <LegendDot color={c.series[0]} label="At or above the threshold (sent unless safety)" />
        <LegendDot color={c.series[1]} label="Below: drafted for review" />
      </HStack>
    </Stack>
  );
}
