import { Box, Flex, HStack, Skeleton, Stack, Text } from '@chakra-ui/react';
import type { ReactNode } from 'react';
import { useFlash } from '../hooks/use-flash';

export type TileTone = 'normal' | 'warning' | 'danger';

export interface KpiTileProps {
  /** data-testid="tile-<key>" for end-to-end tests. */
  tileKey: string;
  label: string;
  /**
   * The raw figure (data-value); null when the server has none (no replies to divide, nothing
   * waiting): shown as a muted zero, data-value "0" and data-empty="true".
   */
  value: number | null;
  /** The figure as shown. */
  display: string;
  icon: ReactNode;
  help?: ReactNode;
  tone?: TileTone;
  /** Changes of scope (another time window) are not live updates: no highlight. */
  scope: unknown;
  /** What a live update must change to highlight the tile (default: the value). */
  identity?: unknown;
  /** When two identities count as the same (default: identical). */
  sameIdentity?: (a: unknown, b: unknown) => boolean;
}

const TONE = {
  normal: { value: 'fg', icon: 'brand.fg', iconBg: 'brand.subtle', border: 'border.muted' },
  warning: {
    value: 'fg.warning',
    icon: 'fg.warning',
    iconBg: 'bg.warning',
    border: 'border.warning',
  },
  danger: { value: 'fg.error', icon: 'fg.error', iconBg: 'bg.error', border: 'border.error' },
} as const;

/** One key figure; briefly highlighted when a live update changes it. */
export function KpiTile({
  tileKey,
  label,
  value,
  display,
  icon,
  help,
  tone = 'normal',
  scope,
  identity = value,
  sameIdentity,
}: KpiTileProps) {
  const changed = useFlash(identity, scope, sameIdentity);
  const colours = TONE[tone];
  return (
    <Box
      role="group"
      aria-label={label}
      data-testid={`tile-${tileKey}`}
      data-value={String(value ?? 0)}
      data-empty={value === null ? 'true' : undefined}
      data-tone={tone}
      data-changed={changed ? 'true' : undefined}
      bg={changed ? 'brand.subtle' : 'surface'}
      borderWidth="1px"
      borderColor={changed ? 'brand.emphasized' : colours.border}
      borderRadius="xl"
      px="4"
      py="3.5"
      transition="background-color 0.6s ease, border-color 0.6s ease"
      minW="0"
    >
      <Flex justify="space-between" align="start" gap="2">
        <Text
          fontSize="xs"
          fontWeight="medium"
          color="fg.muted"
          textTransform="uppercase"
          letterSpacing="wider"
          lineClamp={1}
        >
          {label}
        </Text>
        <Box
          aria-hidden
          flexShrink={0}
          w="7"
          h="7"
          borderRadius="md"
          display="grid"
          placeItems="center"
          bg={colours.iconBg}
          color={colours.icon}
          fontSize="sm"
        >
          {icon}
        </Box>
      </Flex>
      <Text
        mt="0.5"
        fontSize="2xl"
        fontWeight="semibold"
        lineHeight="short"
        color={value === null ? 'fg.subtle' : colours.value}
        fontVariantNumeric="tabular-nums"
        aria-live="off"
      >
        {display}
      </Text>
      {help && (
        <Box mt="1" fontSize="xs" color="fg.muted" minH="4">
          {help}
        </Box>
      )}
    </Box>
  );
}

/** A breakdown under a tile's figure: "Safety 2 · Waited too long 1". */
export function Breakdown({ items, empty }: { items: [string, number][]; empty: string }) {
  const shown = items.filter(([, n]) => n > 0);
  if (shown.length === 0) return <Text>{empty}</Text>;
  return (
    <Stack as="ul" gap="0" listStyleType="none">
      {shown.map(([label, n]) => (
        <HStack as="li" key={label} justify="space-between" gap="2">
          <Text lineClamp={1}>{label}</Text>
          <Text fontWeight="medium" color="fg" fontVariantNumeric="tabular-nums">
            {n}
          </Text>
        </HStack>
      ))}
    </Stack>
  );
}

export function TileSkeleton() {
  return (
    <Box
      bg="surface"
      borderWidth="1px"
      borderColor="border.muted"
      borderRadius="xl"
      px="4"
      py="3.5"
    >
      <Skeleton h="3" w="60%" />
      <Skeleton h="7" w="40%" mt="2" />
      <Skeleton h="3" w="80%" mt="2" />
    </Box>
  );
}
