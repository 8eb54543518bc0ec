import {
  Box,
  Button,
  EmptyState,
  Flex,
  Grid,
  HStack,
  Skeleton,
  Stack,
  Text,
} from '@chakra-ui/react';
import { useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { LuInbox, LuMessageCircle, LuUser } from 'react-icons/lu';
import { Link as RouterLink, useSearchParams } from 'react-router-dom';
import { useRealtimeTopic, useResync } from '@/lib/realtime/react';
import { useSession } from '@/lib/session';
import { LoadError } from '@/components/load-error';
import { useNow } from '@/lib/use-now';
import { conversationKeys } from '../api/keys';
import { applyConversation, touchConversation, useConversations } from '../api/list-conversations';
import {
  ago,
  CHANNEL,
  type Conversation,
  type ConversationStatus,
  pageOf,
  STATUS,
  STATUS_FILTERS,
  shortId,
  titleOf,
} from '../lib/labels';
import { AiPausedBadge, PriorityBadge, StatusBadge } from './conversation-badges';

/** Every conversation of the tenant, most recent activity first, live. */
export function ConversationsPage() {
  const user = useSession((s) => s.user);
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const raw = params.get('status');
  const status = raw && raw in STATUS ? (raw as ConversationStatus) : undefined;
  const filters = useMemo(() => (status ? { status } : {}), [status]);
  const query = useConversations(filters);
  const items = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data]);
  const now = useNow(30_000);

  useRealtimeTopic(user ? `tenant:${user.tenant_id}:conversations` : null, (event) => {
    if (event.type === 'conversation.created' || event.type === 'conversation.updated') {
      applyConversation(queryClient, event.conversation);
    } else if (event.type === 'message.created') {
      touchConversation(queryClient, event.message.conversation_id, event.message.created_at);
    }
  });
  useResync(() => void queryClient.invalidateQueries({ queryKey: conversationKeys.lists() }));

  return (
    <Stack gap="4" maxW="6xl" mx="auto">
      <Flex
        gap="3"
        justify="space-between"
        align={{ base: 'start', md: 'center' }}
        direction={{ base: 'column', md: 'row' }}
      >
        <Text as="h1" fontSize="xl" fontWeight="semibold">
          Conversations
        </Text>
        <HStack
          gap="1"
          role="group"
          aria-label="Filter by status"
          bg="bg.muted"
          p="1"
          borderRadius="lg"
          overflowX="auto"
          maxW="full"
        >
          {STATUS_FILTERS.map((f) => {
            const active = (status ?? '') === f.value;
            return (
              <Button
                key={f.value || 'all'}
                size="xs"
                variant={active ? 'surface' : 'ghost'}
                bg={active ? 'surface' : undefined}
                aria-pressed={active}
                flexShrink={0}
                onClick={() => setParams(f.value ? { status: f.value } : {}, { replace: true })}
              >
                {f.label}
              </Button>
            );
          })}
        </HStack>
      </Flex>

      <Box bg="surface" borderWidth="1px" borderRadius="lg" overflow="hidden">
        {query.isPending ? (
          <Stack gap="0" aria-busy="true" aria-label="Loading conversations">
            {[0, 1, 2, 3, 4, 5].map((i) => (
              <HStack key={i} gap="4" px="4" py="3.5" borderBottomWidth="1px">
                <Skeleton w="9" h="9" borderRadius="full" />
                <Stack flex="1" gap="2">
                  <Skeleton h="4" w="40%" />
                  <Skeleton h="3" w="25%" />
                </Stack>
              </HStack>
            ))}
          </Stack>
        ) : query.isError ? (
          <LoadError
            what="the conversations"
            error={query.error}
            onRetry={() => void query.refetch()}
            borderRadius="0"
          />
        ) : items.length === 0 ? (
          <EmptyState.Root py="16">
            <EmptyState.Content>
              <EmptyState.Indicator>
                <LuInbox />
              </EmptyState.Indicator>
              <EmptyState.Title>
                {status
                  ? `No conversations are “${STATUS[status].label.toLowerCase()}”`
                  : 'No conversations yet'}
              </EmptyState.Title>
              <EmptyState.Description>
                Conversations appear here as soon as a customer writes.
              </EmptyState.Description>
            </EmptyState.Content>
          </EmptyState.Root>
        ) : (
          <Box as="ul" listStyleType="none" aria-label="Conversations">
            {items.map((c) => (
              <ConversationRow key={c.id} conversation={c} me={user?.id} now={now} />
            ))}
          </Box>
        )}
        {query.hasNextPage && (
          <Box p="3" textAlign="center" borderTopWidth="1px">
            <Button
              size="sm"
              variant="ghost"
              loading={query.isFetchingNextPage}
              onClick={() => void query.fetchNextPage()}
            >
              Load more
            </Button>
          </Box>
        )}
      </Box>
    </Stack>
  );
}

function ConversationRow({
  conversation: c,
  me,
  now,
}: {
  conversation: Conversation;
  me: string | undefined;
  now: number;
}) {
  const urgent = c.priority === 'urgent';
  const assigned =
    c.assigned_to === null ? 'Unassigned' : c.assigned_to === me ? 'You' : 'A colleague';
  return (
    <Box
      as="li"
      borderBottomWidth="1px"
      _last={{ borderBottomWidth: 0 }}
      data-testid="conversation-row"
      data-priority={c.priority}
    >
      <RouterLink to={`/agent/conversations/${c.id}`} style={{ display: 'block' }}>
        <Grid
          templateColumns={{ base: 'auto 1fr auto', md: 'auto minmax(0, 1fr) 150px 130px' }}
          gap={{ base: '3', md: '4' }}
          alignItems="center"
          px="4"
          py="3"
          borderLeftWidth="4px"
          borderLeftColor={
            urgent ? 'priority.urgent' : c.priority === 'high' ? 'priority.high' : 'transparent'
          }
          bg={urgent ? 'bg.error' : undefined}
          _hover={{ bg: 'bg.subtle' }}
        >
          <Box
            w="9"
            h="9"
            borderRadius="full"
            bg={c.status === 'pending_human' ? 'orange.subtle' : 'bg.muted'}
            color={c.status === 'pending_human' ? 'orange.fg' : 'fg.muted'}
            display="grid"
            placeItems="center"
            aria-hidden
          >
            <LuMessageCircle />
          </Box>
          <Stack gap="1" minW="0">
            <HStack gap="2" minW="0">
              <Text fontWeight="medium" truncate>
                {titleOf(c)}
              </Text>
              <Text
                fontSize="xs"
                color="fg.subtle"
                flexShrink={0}
                display={{ base: 'none', sm: 'block' }}
              >
                #{shortId(c.id)}
              </Text>
            </HStack>
            <HStack gap="1.5" flexWrap="wrap">
              <PriorityBadge priority={c.priority} />
              <StatusBadge status={c.status} />
              <AiPausedBadge paused={c.ai_paused} />
              <Text fontSize="xs" color="fg.muted" display={{ base: 'block', md: 'none' }}>
                {assigned}
              </Text>
            </HStack>
          </Stack>
          <HStack
            gap="1.5"
            fontSize="sm"
            color={c.assigned_to ? 'fg' : 'fg.muted'}
            display={{ base: 'none', md: 'flex' }}
          >
            <LuUser aria-hidden />
            <Text truncate>{assigned}</Text>
          </HStack>
          <Stack gap="0" textAlign="right">
            <Text
              fontSize="sm"
              color="fg.muted"
              title={new Date(c.last_message_at).toLocaleString()}
            >
              {ago(c.last_message_at, now)}
            </Text>
            <Text fontSize="xs" color="fg.subtle" display={{ base: 'none', md: 'block' }}>
              {CHANNEL[c.channel] ?? c.channel}
              {pageOf(c) ? ` · ${pageOf(c)}` : ''}
            </Text>
          </Stack>
        </Grid>
      </RouterLink>
    </Box>
  );
}
