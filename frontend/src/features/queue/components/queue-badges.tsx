import { Badge, Box, HStack } from '@chakra-ui/react';
import { CATEGORY_LABEL, type Category, PRIORITY_LABEL, type Priority } from '../lib/labels';

export function CategoryBadge({ category }: { category: Category }) {
  return (
    <Badge variant="subtle" bg="bg.muted" color="fg" gap="1.5" data-category={category}>
      <Box w="2" h="2" borderRadius="full" bg={`category.${category}`} aria-hidden />
      {CATEGORY_LABEL[category]}
    </Badge>
  );
}

export function PriorityBadge({ priority }: { priority: Priority }) {
  if (priority === 'normal') return null;
  return (
    <Badge
      variant={priority === 'urgent' ? 'solid' : 'outline'}
      bg={priority === 'urgent' ? 'priority.urgent' : undefined}
      color={priority === 'urgent' ? 'fg.inverted' : 'priority.high'}
      borderColor="priority.high"
      data-priority={priority}
    >
      {PRIORITY_LABEL[priority]}
    </Badge>
  );
}

/** A small meter of the AI's confidence. */
export function ConfidenceMeter({ value, threshold }: { value: number; threshold?: number }) {
  const pct = Math.round(value * 100);
  const low = threshold !== undefined ? value < threshold : value < 0.5;
  return (
    <HStack gap="2" minW="0">
      <Box
        w="14"
        h="1.5"
        bg="bg.emphasized"
        borderRadius="full"
        overflow="hidden"
        aria-hidden
        flexShrink={0}
      >
        <Box h="full" w={`${pct}%`} bg={low ? 'orange.solid' : 'brand.solid'} />
      </Box>
      <Box as="span" fontSize="xs" color="fg.muted" fontVariantNumeric="tabular-nums">
        {pct}%
      </Box>
    </HStack>
  );
}
