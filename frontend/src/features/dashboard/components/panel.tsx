import { Box, EmptyState, Flex, Heading, Skeleton, Stack, Text } from '@chakra-ui/react';
import type { ReactNode } from 'react';
import { LuChartNoAxesColumn } from 'react-icons/lu';
import { PanelErrorBoundary } from '@/components/error-boundary';

interface PanelProps {
  /** Heading of the panel; also names it in its error message. */
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  /** For the grid: columns spanned at desktop width. */
  colSpan?: { base?: number; md?: number; lg?: number; xl?: number };
  testId?: string;
}

/** A dashboard card with a heading; a failure inside it stays inside it. */
export function Panel({ title, description, actions, children, colSpan, testId }: PanelProps) {
  const headingId = `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <Box
      as="section"
      aria-labelledby={headingId}
      bg="surface"
      borderWidth="1px"
      borderColor="border.muted"
      borderRadius="xl"
      p={{ base: '4', md: '5' }}
      gridColumn={{
        base: `span ${colSpan?.base ?? 1}`,
        md: colSpan?.md ? `span ${colSpan.md}` : undefined,
        lg: colSpan?.lg ? `span ${colSpan.lg}` : undefined,
        xl: colSpan?.xl ? `span ${colSpan.xl}` : undefined,
      }}
      minW="0"
      data-testid={testId}
    >
      <Flex justify="space-between" align="start" gap="3" mb="4" wrap="wrap">
        <Stack gap="0.5" minW="0">
          <Heading as="h2" id={headingId} size="sm" fontWeight="semibold">
            {title}
          </Heading>
          {description && (
            <Text fontSize="xs" color="fg.muted">
              {description}
            </Text>
          )}
        </Stack>
        {actions}
      </Flex>
      <PanelErrorBoundary label={title.toLowerCase()}>{children}</PanelErrorBoundary>
    </Box>
  );
}

/** What a chart shows before there is anything to chart. */
export function NoData({ children, height = 220 }: { children?: ReactNode; height?: number }) {
  return (
    <EmptyState.Root size="sm" h={`${height}px`} display="grid" placeItems="center">
      <EmptyState.Content>
        <EmptyState.Indicator>
          <LuChartNoAxesColumn />
        </EmptyState.Indicator>
        <Stack textAlign="center" gap="1">
          <EmptyState.Title fontSize="sm">No data yet</EmptyState.Title>
          {children && (
            <EmptyState.Description fontSize="xs" maxW="xs">
              {children}
            </EmptyState.Description>
          )}
        </Stack>
      </EmptyState.Content>
    </EmptyState.Root>
  );
}

export function ChartSkeleton({ height = 220 }: { height?: number }) {
  return <Skeleton h={`${height}px`} borderRadius="md" aria-hidden />;
}

export { LoadError } from '@/components/load-error';
