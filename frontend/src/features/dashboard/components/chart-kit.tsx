import { Box, HStack, Text } from '@chakra-ui/react';
import type { CSSProperties, ReactNode } from 'react';
import type { ChartColors } from '../hooks/use-chart-colors';

/** Shared recharts styling from the theme's tokens. */
export const axisProps = (c: ChartColors) => ({
  stroke: c.grid,
  tick: { fill: c.muted, fontSize: 12 },
  tickLine: false,
  axisLine: { stroke: c.grid },
});

export const tooltipStyle = (
  c: ChartColors,
): { contentStyle: CSSProperties; labelStyle: CSSProperties; itemStyle: CSSProperties } => ({
  contentStyle: {
    background: c.panel,
    border: `1px solid ${c.border}`,
    borderRadius: 8,
    fontSize: 12,
    boxShadow: 'var(--chakra-shadows-md)',
    color: c.fg,
  },
  labelStyle: { color: c.fg, fontWeight: 600, marginBottom: 4 },
  itemStyle: { padding: 0 },
});

export const CHART_HEIGHT = 240;

/** A coloured dot and its label, for legends drawn outside the SVG. */
export function LegendDot({ color, label }: { color: string; label: ReactNode }) {
  return (
    <HStack gap="1.5" as="span">
      <svg width="8" height="8" aria-hidden="true">
        <circle cx="4" cy="4" r="4" fill={color} />
      </svg>
      <Text as="span">{label}</Text>
    </HStack>
  );
}

/** A chart's frame: names it for assistive technology and sets its text in the theme's sizes. */
export function ChartFrame({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box
      as="figure"
      role="figure"
      aria-label={label}
      m="0"
      css={{
        '& svg text': { fontSize: 'xs' },
        '& .recharts-legend-item-text': { fontSize: 'xs' },
        '& svg:focus, & svg *:focus': { outline: 'none' },
      }}
    >
      {children}
    </Box>
  );
}
