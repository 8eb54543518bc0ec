import {
  Alert,
  Box,
  Button,
  Flex,
  Grid,
  HStack,
  IconButton,
  Link,
  Skeleton,
  Stack,
  Text,
} from '@chakra-ui/react';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { LuArrowLeft, LuBot, LuCheck, LuHand, LuListTree, LuX } from 'react-icons/lu';
import { Link as RouterLink } from 'react-router-dom';
import { PanelErrorBoundary } from '@/components/error-boundary';
import { useRealtimeTopic } from '@/lib/realtime/react';
import { useSession } from '@/lib/session';
import { LoadError } from '@/components/load-error';
import { useNow } from '@/lib/use-now';
import { useControl } from '../api/control';
import { useConversation } from '../api/get-conversation';
import { conversationKeys } from '../api/keys';
import { applyConversation } from '../api/list-conversations';
import { useWaitingDraft } from '../api/waiting-draft';
import {
  ago,
  CHANNEL,
  type Conversation,
  dateTime,
  isClosed,
  pageOf,
  shortId,
  titleOf,
} from '../lib/labels';
import { AiDecisions } from './ai-decisions';
import { Composer } from './composer';
import { AiPausedBadge, PriorityBadge, StatusBadge } from './conversation-badges';
import { ConversationTimeline } from './conversation-timeline';

/** One conversation: who has it, the timeline, a composer, and the AI's decisions. */
export function ConversationPage({ conversationId }: { conversationId: string }) {
  const queryClient = useQueryClient();
  const query = useConversation(conversationId);
  // open beside the timeline on wide screens; on a phone it would push the composer down
  const [showDecisions, setShowDecisions] = useState(
    () => window.matchMedia?.('(min-width: 62em)').matches ?? true,
  );

  useRealtimeTopic(`conversation:${conversationId}`, (event) => {
    if (event.type === 'conversation.updated') {
      applyConversation(queryClient, event.conversation);
      void queryClient.invalidateQueries({
        queryKey: [...conversationKeys.detail(conversationId), 'waiting-draft'],
      });
    }
    if (event.type === 'message.created' && event.message.author_kind !== 'customer') {
      void queryClient.invalidateQueries({ queryKey: conversationKeys.outcomes(conversationId) });
      void queryClient.invalidateQueries({
        queryKey: [...conversationKeys.detail(conversationId), 'waiting-draft'],
      });
    }
  });

  if (query.isPending) {
    return (
      <Stack gap="4" maxW="7xl" mx="auto" aria-busy="true" aria-label="Loading the conversation">
        <Skeleton h="20" borderRadius="lg" />
        <Skeleton h="96" borderRadius="lg" />
      </Stack>
    );
  }
  if (query.isError) {
    return (
      <Stack gap="4" maxW="3xl" mx="auto">
        <BackLink />
        <LoadError
          what="the conversation"
          gone="This conversation does not exist."
          error={query.error}
          onRetry={() => void query.refetch()}
        />
      </Stack>
    );
  }

  const conversation = query.data;
  return (
    <Stack gap="4" maxW="7xl" mx="auto" h={{ lg: 'calc(100dvh - 6.5rem)' }}>
      <Header
        conversation={conversation}
        showDecisions={showDecisions}
        onToggleDecisions={() => setShowDecisions((v) => !v)}
      />
      <WaitingDraft conversation={conversation} />
      <Grid
        templateColumns={{ base: '1fr', lg: showDecisions ? 'minmax(0, 1fr) 340px' : '1fr' }}
        gap="4"
        flex="1"
        minH="0"
      >
        <Flex
          direction="column"
          bg="surface"
          borderWidth="1px"
          borderRadius="lg"
          overflow="hidden"
          minH="0"
          h={{ base: '70dvh', lg: 'auto' }}
        >
          <PanelErrorBoundary label="the messages">
            <ConversationTimeline conversationId={conversation.id} />
          </PanelErrorBoundary>
          <Composer conversation={conversation} />
        </Flex>
        {showDecisions && (
          <Flex
            as="aside"
            aria-label="AI decisions"
            direction="column"
            bg="bg.subtle"
            borderWidth="1px"
            borderRadius="lg"
            minH="0"
            overflow="hidden"
          >
            <HStack justify="space-between" px="3" py="2" borderBottomWidth="1px" bg="surface">
              <HStack gap="1.5">
                <LuListTree aria-hidden />
                <Text fontWeight="semibold" fontSize="sm">
                  AI decisions
                </Text>
              </HStack>
              <IconButton
                aria-label="Hide AI decisions"
                size="xs"
                variant="ghost"
                onClick={() => setShowDecisions(false)}
              >
                <LuX />
              </IconButton>
            </HStack>
            <Box flex="1" overflowY="auto" minH="0">
              <PanelErrorBoundary label="the AI's decisions">
                <AiDecisions conversationId={conversation.id} />
              </PanelErrorBoundary>
            </Box>
          </Flex>
        )}
      </Grid>
    </Stack>
  );
}

/** A draft of this conversation waits in the approval queue: one click to review it. */
function WaitingDraft({ conversation }: { conversation: Conversation }) {
  const draft = useWaitingDraft(conversation.id, !isClosed(conversation));
  if (!draft.data || isClosed(conversation)) return null;
  const urgent = draft.data.priority === 'urgent';
  return (
    <Alert.Root
      status={urgent ? 'error' : 'info'}
      py="2.5"
      alignItems="center"
      data-testid="waiting-draft"
    >
      <Alert.Indicator />
      <Alert.Title flex="1" fontWeight="medium">
        {conversation.ai_paused
          ? 'The AI suggested a reply for you.'
          : 'The AI drafted a reply that waits for review.'}
      </Alert.Title>
      <Button asChild size="xs" colorPalette={urgent ? 'red' : 'brand'}>
        <RouterLink to={`/agent?draft=${draft.data.id}`}>Review the draft</RouterLink>
      </Button>
    </Alert.Root>
  );
}

function BackLink() {
  return (
    <Link asChild fontSize="sm" color="fg.muted" alignSelf="start">
      <RouterLink to="/agent/conversations">
        <LuArrowLeft aria-hidden /> All conversations
      </RouterLink>
    </Link>
  );
}

function Header({
  conversation: c,
  showDecisions,
  onToggleDecisions,
}: {
  conversation: Conversation;
  showDecisions: boolean;
  onToggleDecisions: () => void;
}) {
  const me = useSession((s) => s.user?.id);
  const now = useNow(30_000);
  const takeover = useControl(c.id, 'takeover');
  const handback = useControl(c.id, 'handback');
  const resolve = useControl(c.id, 'resolve');
  const closed = isClosed(c);
  const busy = takeover.isPending || handback.isPending || resolve.isPending;
  const assigned =
    c.assigned_to === null ? 'Unassigned' : c.assigned_to === me ? 'You' : 'A colleague';

  return (
    <Box
      as="header"
      bg="surface"
      borderWidth="1px"
      borderRadius="lg"
      px={{ base: '3', md: '5' }}
      py="3"
      borderTopWidth={c.priority === 'urgent' ? '4px' : '1px'}
      borderTopColor={c.priority === 'urgent' ? 'priority.urgent' : undefined}
      data-testid="conversation-header"
    >
      <Flex
        gap="3"
        direction={{ base: 'column', md: 'row' }}
        justify="space-between"
        align={{ md: 'center' }}
      >
        <Stack gap="1.5" minW="0">
          <BackLink />
          <HStack gap="2" minW="0">
            <Text as="h1" fontSize="lg" fontWeight="semibold" truncate>
              {titleOf(c)}
            </Text>
            <Text fontSize="sm" color="fg.subtle" flexShrink={0}>
              #{shortId(c.id)}
            </Text>
          </HStack>
          <HStack gap="1.5" flexWrap="wrap" fontSize="xs" color="fg.muted">
            <PriorityBadge priority={c.priority} />
            <StatusBadge status={c.status} />
            <AiPausedBadge paused={c.ai_paused} />
            <Text>
              {CHANNEL[c.channel] ?? c.channel}
              {pageOf(c) ? ` on ${pageOf(c)}` : ''} · started {dateTime(c.created_at)} · active{' '}
              {ago(c.last_message_at, now)} ·{' '}
              {assigned === 'Unassigned' ? 'unassigned' : `with ${assigned.toLowerCase()}`}
            </Text>
          </HStack>
        </Stack>
        <HStack gap="2" flexWrap="wrap" flexShrink={0}>
          {!closed &&
            (c.ai_paused ? (
              <Button
                size="sm"
                variant="outline"
                onClick={() => handback.mutate()}
                loading={handback.isPending}
                disabled={busy}
              >
                <LuBot /> Hand back to AI
              </Button>
            ) : (
              <Button
                size="sm"
                colorPalette="brand"
                onClick={() => takeover.mutate()}
                loading={takeover.isPending}
                disabled={busy}
              >
                <LuHand /> Take over
              </Button>
            ))}
          {!closed && (
            <Button
              size="sm"
              variant="outline"
              onClick={() => resolve.mutate()}
              loading={resolve.isPending}
              disabled={busy}
            >
              <LuCheck /> Resolve
            </Button>
          )}
          <Button
            size="sm"
            variant={showDecisions ? 'subtle' : 'ghost'}
            onClick={onToggleDecisions}
            aria-pressed={showDecisions}
          >
            <LuListTree /> AI decisions
          </Button>
        </HStack>
      </Flex>
    </Box>
  );
}
