import { Box, HStack, Stack, Text } from '@chakra-ui/react';
import { forwardRef } from 'react';
import { LuEye, LuUserCheck } from 'react-icons/lu';
import { age, claimedByOther, type Draft, percent, reasonLabel } from '../lib/labels';
import { CategoryBadge, PriorityBadge } from './queue-badges';

interface Props {
  draft: Draft;
  me: string | undefined;
  now: number;
  selected: boolean;
  /** The one row reached with Tab (roving focus). */
  focusable: boolean;
  onSelect: () => void;
}

/** One waiting draft: what it is about, how urgent, how old, how sure the AI was, who has it. */
export const DraftRow = forwardRef<HTMLDivElement, Props>(function DraftRow(
  { draft, me, now, selected, focusable, onSelect },
  ref,
) {
  const mine = draft.claimed_by !== null && draft.claimed_by === me;
  const other = !mine && claimedByOther(draft, me, now);
  const urgent = draft.priority === 'urgent';
  const preview = draft.text.trim() || 'The AI wrote no reply.';
  return (
    <Box
      ref={ref}
      role="option"
      aria-selected={selected}
      tabIndex={focusable ? 0 : -1}
      data-testid="draft-row"
      data-draft-id={draft.id}
      data-category={draft.category}
      data-priority={draft.priority}
      onClick={onSelect}
      onKeyDown={(event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          onSelect();
        }
      }}
      cursor="pointer"
      position="relative"
      px="4"
      py="3"
      borderBottomWidth="1px"
      borderLeftWidth="4px"
      borderLeftColor={urgent ? 'priority.urgent' : selected ? 'brand.solid' : 'transparent'}
      bg={selected ? 'brand.subtle' : urgent ? 'bg.error' : 'surface'}
      _hover={{ bg: selected ? 'brand.subtle' : 'bg.subtle' }}
      _focusVisible={{
        outline: '2px solid',
        outlineColor: 'brand.focusRing',
        outlineOffset: '-2px',
      }}
      transition="background 0.1s"
    >
      <Stack gap="1.5">
        <HStack gap="2" justify="space-between">
          <HStack gap="1.5" minW="0" flexWrap="wrap">
            <PriorityBadge priority={draft.priority} />
            <CategoryBadge category={draft.category} />
          </HStack>
          <Text
            as="span"
            fontSize="xs"
            color={urgent ? 'fg.error' : 'fg.muted'}
            fontWeight={urgent ? 'semibold' : 'normal'}
            flexShrink={0}
            title={new Date(draft.created_at).toLocaleString()}
          >
            {age(draft.created_at, now)}
          </Text>
        </HStack>
        <HStack gap="2" justify="space-between">
          <Text fontSize="sm" fontWeight="semibold" truncate>
            {reasonLabel(draft.reason)}
          </Text>
          <Text
            fontSize="xs"
            color="fg.muted"
            flexShrink={0}
            fontVariantNumeric="tabular-nums"
            title="How sure the AI is of its draft"
          >
            {percent(draft.confidence)} sure
          </Text>
        </HStack>
        {draft.question && (
          <Text fontSize="sm" color="fg" lineClamp={2} data-testid="draft-question">
            “{draft.question}”
          </Text>
        )}
        <Text fontSize="sm" color="fg.muted" lineClamp={draft.question ? 1 : 2}>
          <Text as="span" color="fg.subtle">
            AI:{' '}
          </Text>
          {preview}
        </Text>
        {(mine || other) && (
          <HStack
            gap="1"
            fontSize="xs"
            color={mine ? 'brand.fg' : 'fg.warning'}
            fontWeight="medium"
          >
            {mine ? <LuUserCheck aria-hidden /> : <LuEye aria-hidden />}
            <Text>{mine ? 'You are reviewing' : 'Being reviewed by a colleague'}</Text>
          </HStack>
        )}
      </Stack>
    </Box>
  );
});
