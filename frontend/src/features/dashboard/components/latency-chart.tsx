import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { Dashboard } from '../api/get-dashboard';
import { useChartColors } from '../hooks/use-chart-colors';
import { formatMs, labelOf } from '../lib/format';
import { axisProps, CHART_HEIGHT, ChartFrame, tooltipStyle } from './chart-kit';
import { NoData } from './panel';

const STAGES = ['triage', 'retrieve', 'respond', 'score', 'total'];

/** p50 and p95 of the AI's latency per pipeline stage, as grouped bars. */
export function LatencyChart({ latency }: { latency: Dashboard['latency'] }) {
  const c = useChartColors();
  const stages = [...STAGES, ...Object.keys(latency).filter((s) => !STAGES.includes(s))].filter(
    (s) => s in latency,
  );
  const data = stages.map((stage) => ({
    stage: labelOf(stage),
    p50: latency[stage]?.p50_ms ?? null,
    p95: latency[stage]?.p95_ms ?? null,
  }));
  if (data.every((d) => d.p50 === null && d.p95 === null)) {
    return (
      <NoData height={CHART_HEIGHT}>
        Latency shows once the AI answers a message in this window.
      </NoData>
    );
  }
  return (
    <ChartFrame label="AI latency per pipeline stage">
      <ResponsiveContainer
        width="100%"
        height={CHART_HEIGHT}
        initialDimension={{ width: 520, height: CHART_HEIGHT }}
      >
        <BarChart
          data={data}
          margin={{ top: 8, right: 8, left: 0, bottom: 0 }}
          barGap={2}
          barCategoryGap="22%"
        >
          <CartesianGrid vertical={false} stroke={c.grid} strokeDasharray="3 3" />
          <XAxis dataKey="stage" {...axisProps(c)} />
          <YAxis
            {...axisProps(c)}
            axisLine={false}
            width={60}
            tickFormatter={(v: number) => formatMs(v).replace(' ', '\u00a0')}
          />
          <Tooltip
            {...tooltipStyle(c)}
            cursor={{ fill: c.cursor }}
            formatter={(value) => formatMs(typeof value === 'number' ? value : null)}
          />
          <Legend iconType="circle" iconSize={8} wrapperStyle={{ fontSize: 12, color: c.muted }} />
          <Bar
            dataKey="p50"
            name="p50"
            fill={c.series[0]}
            radius={[4, 4, 0, 0]}
            maxBarSize={28}
            animationDuration={400}
          />
          <Bar
            dataKey="p95"
            name="p95"
            fill={c.series[1]}
            radius={[4, 4, 0, 0]}
            maxBarSize={28}
            animationDuration={400}
          />
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
