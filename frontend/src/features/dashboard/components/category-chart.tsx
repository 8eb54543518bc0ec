import { Box, Flex, HStack, Stack, Text } from '@chakra-ui/react';
import { Cell, Pie, PieChart, ResponsiveContainer, Tooltip } from 'recharts';
import { useChartColors } from '../hooks/use-chart-colors';
import { formatCount, formatRate, labelOf } from '../lib/format';
import { CHART_HEIGHT, ChartFrame, tooltipStyle } from './chart-kit';
import { NoData } from './panel';

const ORDER = ['informational', 'service_action', 'safety_compliance'];

/** The window's AI decisions by triage category, as a donut with a legend of counts. */
export function CategoryChart({ mix }: { mix: Record<string, number> }) {
  const c = useChartColors();
  const keys = [...ORDER, ...Object.keys(mix).filter((k) => !ORDER.includes(k))];
  const data = keys
    .map((key, i) => ({
      key,
      name: labelOf(key),
      value: mix[key] ?? 0,
      fill: c.category[key] ?? c.series[(i + 3) % c.series.length],
    }))
    .filter((d) => d.value > 0);
  const total = data.reduce((a, d) => a + d.value, 0);
  if (total === 0) {
    return (
      <NoData height={CHART_HEIGHT}>Categories show once customers write in this window.</NoData>
    );
  }
  return (
    <ChartFrame label="Category mix">
      <Flex
        direction={{ base: 'column', sm: 'row', lg: 'column', '2xl': 'row' }}
        align="center"
        gap="4"
      >
        <Box position="relative" w="180px" h="180px" flexShrink={0}>
          <ResponsiveContainer
            width="100%"
            height="100%"
            initialDimension={{ width: 180, height: 180 }}
          >
            <PieChart>
              <Pie
                data={data}
                dataKey="value"
                nameKey="name"
                innerRadius="62%"
                outerRadius="100%"
                paddingAngle={data.length > 1 ? 2 : 0}
                stroke="none"
                animationDuration={400}
              >
                {data.map((d) => (
                  <Cell key={d.key} fill={d.fill} />
                ))}
              </Pie>
              <Tooltip {...tooltipStyle(c)} formatter={(value) => formatCount(Number(value))} />
            </PieChart>
          </ResponsiveContainer>
          <Stack
            position="absolute"
            inset="0"
            align="center"
            justify="center"
            gap="0"
            pointerEvents="none"
          >
            <Text fontSize="xl" fontWeight="semibold" lineHeight="1">
              {formatCount(total)}
            </Text>
            <Text fontSize="xs" color="fg.muted">
              messages
            </Text>
          </Stack>
        </Box>
        <Stack as="ul" listStyleType="none" gap="2" w="full" flex="1">
          {data.map((d) => (
            <HStack as="li" key={d.key} justify="space-between" fontSize="sm" gap="3">
              <HStack gap="2" minW="0">
                <Box
                  w="2.5"
                  h="2.5"
                  borderRadius="full"
                  flexShrink={0}
                  style={{ background: d.fill }}
                  aria-hidden
                />
                <Text lineClamp={1}>{d.name}</Text>
              </HStack>
              <HStack gap="2" fontVariantNumeric="tabular-nums">
                <Text fontWeight="medium">{formatCount(d.value)}</Text>
                <Text color="fg.muted" w="10" textAlign="right">
                  {formatRate(d.value / total)}
                </Text>
              </HStack>
            </HStack>
          ))}
        </Stack>
      </Flex>
    </ChartFrame>
  );
}
