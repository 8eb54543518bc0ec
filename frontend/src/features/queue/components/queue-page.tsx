import {
  Box,
  Button,
  EmptyState,
  Flex,
  HStack,
  Kbd,
  NativeSelect,
  Skeleton,
  Stack,
  Text,
} from '@chakra-ui/react';
import { type ReactNode, useCallback, useEffect, useMemo, useRef } from 'react';
import { LuCoffee, LuInbox, LuListChecks } from 'react-icons/lu';
import { useSearchParams } from 'react-router-dom';
import { PanelErrorBoundary } from '@/components/error-boundary';
import { useSession } from '@/lib/session';
import { LoadError } from '@/components/load-error';
import { useNow } from '@/lib/use-now';
import { type QueueFilters, useDrafts } from '../api/list-drafts';
import { useQueueLive } from '../hooks/use-queue-live';
import { isTyping } from '../lib/keys';
import {
  CATEGORY_LABEL,
  type Category,
  type Draft,
  PRIORITY_LABEL,
  type Priority,
} from '../lib/labels';
import { DraftReview } from './draft-review';
import { DraftRow } from './draft-row';

const CATEGORIES = Object.keys(CATEGORY_LABEL) as Category[];
const PRIORITIES = Object.keys(PRIORITY_LABEL) as Priority[];

/** The approval queue: waiting drafts on the left, the one under review on the right. */
export function QueuePage({
  renderHistory,
}: {
  renderHistory: (conversationId: string) => ReactNode;
}) {
  const user = useSession((s) => s.user);
  const [params, setParams] = useSearchParams();
  const selectedId = params.get('draft');
  const filters = useMemo<QueueFilters>(() => {
    const category = params.get('category') as Category | null;
    const priority = params.get('priority') as Priority | null;
    return {
      ...(category && CATEGORIES.includes(category) ? { category } : {}),
      ...(priority && PRIORITIES.includes(priority) ? { priority } : {}),
    };
  }, [params]);

  useQueueLive(user?.tenant_id);
  const drafts = useDrafts(filters);
  const items = useMemo(() => drafts.data?.pages.flatMap((p) => p.items) ?? [], [drafts.data]);
  const now = useNow();

  const setParam = useCallback(
    (name: string, value: string | null, replace = false) =>
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          if (value === null || value === '') next.delete(name);
          else next.set(name, value);
          return next;
        },
        { replace },
      ),
    [setParams],
  );
  const select = useCallback((id: string | null) => setParam('draft', id), [setParam]);

  // j/k move through the list from anywhere but a text field
  const rowRefs = useRef(new Map<string, HTMLDivElement>());
  const move = useCallback(
    (step: 1 | -1) => {
      if (items.length === 0) return;
      const at = items.findIndex((d) => d.id === selectedId);
      const next = at === -1 ? 0 : Math.min(items.length - 1, Math.max(0, at + step));
      setParam('draft', items[next].id, true);
    },
    [items, selectedId, setParam],
  );
  // keep the selected row in sight (keys, a new draft from "Ask AI again", moving on)
  useEffect(() => {
    if (selectedId) rowRefs.current.get(selectedId)?.scrollIntoView?.({ block: 'nearest' });
  }, [selectedId]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.metaKey || event.ctrlKey || event.altKey || isTyping(event.target)) return;
      if (event.key === 'j') move(1);
      else if (event.key === 'k') move(-1);
      else if (event.key === 'Escape' && selectedId) select(null);
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [move, select, selectedId]);

  // after a decision: on to the next draft in the list (or back to the list when none is left)
  const next = useCallback(
    (doneId: string) => {
      const at = items.findIndex((d) => d.id === doneId);
      const rest = items.filter((d) => d.id !== doneId);
      const following = rest[at === -1 ? 0 : Math.min(at, rest.length - 1)];
      setParam('draft', following?.id ?? null, true);
    },
    [items, setParam],
  );

  const filtered = filters.category !== undefined || filters.priority !== undefined;
  const urgentCount = items.filter((d) => d.priority === 'urgent').length;

  return (
    <Flex
      gap="4"
      h={{ base: 'auto', md: 'calc(100dvh - 6.5rem)' }}
      minH={{ md: '480px' }}
      direction="row"
    >
      <Flex
        as="section"
        aria-label="Approval queue"
        direction="column"
        w={{ base: 'full', md: '340px', xl: '380px' }}
        flexShrink={0}
        bg="surface"
        borderWidth="1px"
        borderRadius="lg"
        overflow="hidden"
        display={{ base: selectedId ? 'none' : 'flex', md: 'flex' }}
      >
        <Stack gap="3" px="4" pt="4" pb="3" borderBottomWidth="1px">
          <HStack justify="space-between" align="baseline">
            <Text as="h1" fontSize="lg" fontWeight="semibold">
              Approval queue
            </Text>
            {drafts.isSuccess && (
              <Text fontSize="sm" color="fg.muted" aria-live="polite">
                {items.length}
                {drafts.hasNextPage ? '+' : ''} waiting
                {urgentCount > 0 && (
                  <Text as="span" color="fg.error" fontWeight="semibold">
                    {' '}
                    · {urgentCount} urgent
                  </Text>
                )}
              </Text>
            )}
          </HStack>
          <HStack gap="2">
            <NativeSelect.Root size="sm" flex="1">
              <NativeSelect.Field
                aria-label="Category"
                value={filters.category ?? ''}
                onChange={(e) => setParam('category', e.target.value, true)}
              >
                <option value="">All categories</option>
                {CATEGORIES.map((c) => (
                  <option key={c} value={c}>
                    {CATEGORY_LABEL[c]}
                  </option>
                ))}
              </NativeSelect.Field>
              <NativeSelect.Indicator />
            </NativeSelect.Root>
            <NativeSelect.Root size="sm" flex="1">
              <NativeSelect.Field
                aria-label="Priority"
                value={filters.priority ?? ''}
                onChange={(e) => setParam('priority', e.target.value, true)}
              >
                <option value="">All priorities</option>
                {PRIORITIES.map((p) => (
                  <option key={p} value={p}>
                    {PRIORITY_LABEL[p]}
                  </option>
                ))}
              </NativeSelect.Field>
              <NativeSelect.Indicator />
            </NativeSelect.Root>
          </HStack>
        </Stack>

        <Box flex="1" overflowY="auto" minH="0">
          {drafts.isPending ? (
            <Stack gap="0" aria-busy="true" aria-label="Loading the queue">
              {[0, 1, 2, 3, 4].map((i) => (
                <Stack key={i} gap="2" px="4" py="3" borderBottomWidth="1px">
                  <Skeleton h="4" w="40%" />
                  <Skeleton h="4" w="90%" />
                  <Skeleton h="3" w="60%" />
                </Stack>
              ))}
            </Stack>
          ) : drafts.isError ? (
            <Box p="4">
              <LoadError
                what="the queue"
                error={drafts.error}
                onRetry={() => void drafts.refetch()}
              />
            </Box>
          ) : items.length === 0 ? (
            <EmptyState.Root size="sm" py="16">
              <EmptyState.Content>
                <EmptyState.Indicator>{filtered ? <LuInbox /> : <LuCoffee />}</EmptyState.Indicator>
                <EmptyState.Title>
                  {filtered ? 'Nothing matches' : 'All caught up'}
                </EmptyState.Title>
                <EmptyState.Description textAlign="center">
                  {filtered
                    ? 'No waiting draft has this category and priority.'
                    : 'New drafts appear here the moment the AI needs a person.'}
                </EmptyState.Description>
                {filtered && (
                  <Button
                    size="sm"
                    variant="outline"
                    onClick={() => setParams(new URLSearchParams(), { replace: true })}
                  >
                    Clear filters
                  </Button>
                )}
              </EmptyState.Content>
            </EmptyState.Root>
          ) : (
            <QueueList
              items={items}
              selectedId={selectedId}
              me={user?.id}
              now={now}
              onSelect={select}
              onMove={move}
              rowRefs={rowRefs.current}
            />
          )}
          {drafts.hasNextPage && (
            <Box p="3" textAlign="center">
              <Button
                size="sm"
                variant="ghost"
                loading={drafts.isFetchingNextPage}
                onClick={() => void drafts.fetchNextPage()}
              >
                Load more drafts
              </Button>
            </Box>
          )}
        </Box>
        <HStack
          gap="3"
          px="4"
          py="2"
          borderTopWidth="1px"
          fontSize="xs"
          color="fg.muted"
          display={{ base: 'none', md: 'flex' }}
          aria-label="Keyboard shortcuts"
        >
          <HStack gap="1">
            <Kbd size="sm">j</Kbd>
            <Kbd size="sm">k</Kbd>
            <Text>move</Text>
          </HStack>
          <HStack gap="1">
            <Kbd size="sm">a</Kbd>
            <Text>approve</Text>
          </HStack>
          <HStack gap="1">
            <Kbd size="sm">Esc</Kbd>
            <Text>close</Text>
          </HStack>
        </HStack>
      </Flex>

      <Box
        as="section"
        aria-label="Review"
        flex="1"
        minW="0"
        bg="surface"
        borderWidth="1px"
        borderRadius="lg"
        overflow="hidden"
        display={{ base: selectedId ? 'block' : 'none', md: 'block' }}
      >
        {selectedId ? (
          <PanelErrorBoundary label="the draft" key={selectedId}>
            <DraftReview
              draftId={selectedId}
              renderHistory={renderHistory}
              onBack={() => select(null)}
              onDone={next}
              onOpen={select}
            />
          </PanelErrorBoundary>
        ) : (
          <NothingSelected
            count={items.length}
            onStart={items.length > 0 ? () => select(items[0].id) : undefined}
          />
        )}
      </Box>
    </Flex>
  );
}

function QueueList({
  items,
  selectedId,
  me,
  now,
  onSelect,
  onMove,
  rowRefs,
}: {
  items: Draft[];
  selectedId: string | null;
  me: string | undefined;
  now: number;
  onSelect: (id: string) => void;
  onMove: (step: 1 | -1) => void;
  rowRefs: Map<string, HTMLDivElement>;
}) {
  const hasSelected = items.some((d) => d.id === selectedId);
  return (
    <Box
      role="listbox"
      aria-label="Drafts waiting for review"
      onKeyDown={(event) => {
        if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
          event.preventDefault();
          onMove(event.key === 'ArrowDown' ? 1 : -1);
        }
      }}
    >
      {items.map((draft, index) => (
        <DraftRow
          key={draft.id}
          ref={(node) => {
            if (node) rowRefs.set(draft.id, node);
            else rowRefs.delete(draft.id);
          }}
          draft={draft}
          me={me}
          now={now}
          selected={draft.id === selectedId}
          focusable={hasSelected ? draft.id === selectedId : index === 0}
          onSelect={() => onSelect(draft.id)}
        />
      ))}
    </Box>
  );
}

function NothingSelected({ count, onStart }: { count: number; onStart?: () => void }) {
  return (
    <EmptyState.Root h="full" display="flex" alignItems="center" justifyContent="center">
      <EmptyState.Content>
        <EmptyState.Indicator>
          <LuListChecks />
        </EmptyState.Indicator>
        <EmptyState.Title>
          {count > 0 ? 'Pick a draft to review' : 'Nothing to review'}
        </EmptyState.Title>
        <EmptyState.Description textAlign="center" maxW="sm">
          {count > 0
            ? 'Open a draft to check the AI’s reply against its sources, then approve, edit or reject it.'
            : 'When the AI is unsure, or a message needs a person, its draft lands in the queue.'}
        </EmptyState.Description>
        {onStart && (
          <HStack gap="2">
            <Button size="sm" colorPalette="brand" onClick={onStart}>
              Start with the first draft
            </Button>
            <Text fontSize="xs" color="fg.muted">
              or press <Kbd size="sm">j</Kbd>
            </Text>
          </HStack>
        )}
      </EmptyState.Content>
    </EmptyState.Root>
  );
}
