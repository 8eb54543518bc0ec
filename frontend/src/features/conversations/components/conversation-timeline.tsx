import { Box, Flex, HStack, Skeleton, Stack, Text } from '@chakra-ui/react';
import { useQueryClient } from '@tanstack/react-query';
import { Fragment, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { LuBot } from 'react-icons/lu';
import { useRealtimeTopic } from '@/lib/realtime/react';
import { useSession } from '@/lib/session';
import { LoadError } from '@/components/load-error';
import { useNow } from '@/lib/use-now';
import { touchConversation } from '../api/list-conversations';
import { appendMessage, useMessages } from '../api/list-messages';
import { dayLabel, type Message } from '../lib/labels';
import { MessageBubble } from './message-bubble';

interface Live {
  typing: boolean;
  /** The reply being streamed, per customer message it answers. */
  streaming: Record<string, string>;
}

/** A conversation's messages, oldest first, live: new messages, the AI typing and streaming. */
export function ConversationTimeline({ conversationId }: { conversationId: string }) {
  const queryClient = useQueryClient();
  const me = useSession((s) => s.user?.id);
  const query = useMessages(conversationId);
  const [live, setLive] = useState<Live>({ typing: false, streaming: {} });
  const now = useNow(60_000);

  // the API pages oldest first: load the rest right away so the newest messages are on screen
  const { hasNextPage, isFetchingNextPage, fetchNextPage, isError } = query;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && !isError) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, isError, fetchNextPage]);

  useRealtimeTopic(`conversation:${conversationId}`, (event) => {
    switch (event.type) {
      case 'message.created': {
        appendMessage(queryClient, event.message);
        touchConversation(queryClient, conversationId, event.message.created_at);
        const answered = event.message.metadata.in_reply_to;
        if (typeof answered === 'string') {
          setLive((s) => {
            const { [answered]: _done, ...rest } = s.streaming;
            return { ...s, streaming: rest };
          });
        }
        break;
      }
      case 'ai.typing':
        setLive((s) => ({
          typing: event.typing,
          streaming: event.typing ? s.streaming : {},
        }));
        break;
      case 'ai.reply.delta':
        setLive((s) => ({
          ...s,
          streaming: {
            ...s.streaming,
            [event.message_id]: (s.streaming[event.message_id] ?? '') + event.delta,
          },
        }));
        break;
      case 'ai.reply.withdrawn':
        setLive((s) => {
          const { [event.message_id]: _gone, ...rest } = s.streaming;
          return { ...s, streaming: rest };
        });
        break;
      default:
    }
  });

  const messages = useMemo(() => {
    const seen = new Set<string>();
    const all: Message[] = [];
    for (const page of query.data?.pages ?? []) {
      for (const m of page.items) {
        if (seen.has(m.id)) continue;
        seen.add(m.id);
        all.push(m);
      }
    }
    return all;
  }, [query.data]);

  // stay at the bottom while the reader is there
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const streamingText = Object.values(live.streaming).join('');
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll when the content grows
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [messages.length, live.typing, streamingText]);

  if (query.isPending) {
    return (
      <Stack gap="4" p="4" aria-busy="true" aria-label="Loading the conversation">
        <Skeleton h="12" w="60%" borderRadius="xl" />
        <Skeleton h="16" w="70%" alignSelf="end" borderRadius="xl" />
        <Skeleton h="10" w="50%" borderRadius="xl" />
      </Stack>
    );
  }
  if (query.isError) {
    return (
      <LoadError
        what="the messages"
        error={query.error}
        onRetry={() => void query.refetch()}
        m="3"
        w="auto"
      />
    );
  }

  const streams = Object.entries(live.streaming);
  return (
    <Flex direction="column" flex="1" minH="0" h="full">
      <Box
        ref={scroller}
        flex="1"
        minH="0"
        overflowY="auto"
        px={{ base: '2', md: '4' }}
        py="4"
        onScroll={(e) => {
          const el = e.currentTarget;
          atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        }}
        role="log"
        aria-label="Conversation"
        aria-live="polite"
      >
        <Stack gap="4">
          {messages.length === 0 && (
            <Text color="fg.muted" fontSize="sm" textAlign="center" py="6">
              No messages yet.
            </Text>
          )}
          {messages.map((message, i) => {
            const day = dayLabel(message.created_at, now);
            const newDay = i === 0 || dayLabel(messages[i - 1].created_at, now) !== day;
            return (
              <Fragment key={message.id}>
                {newDay && (
                  <HStack gap="3" color="fg.subtle" fontSize="xs" aria-hidden>
                    <Box flex="1" h="1px" bg="border" />
                    <Text>{day}</Text>
                    <Box flex="1" h="1px" bg="border" />
                  </HStack>
                )}
                <MessageBubble message={message} me={me} />
              </Fragment>
            );
          })}
          {streams.map(([id, text]) => (
            <Stack key={id} gap="1" align="end" ps="10" data-testid="streaming-reply">
              <HStack gap="1.5" fontSize="xs" color="fg.muted">
                <LuBot aria-hidden />
                <Text fontWeight="medium">AI assistant · writing</Text>
              </HStack>
              <Box
                maxW="2xl"
                px="3.5"
                py="2.5"
                borderRadius="xl"
                borderTopRightRadius="sm"
                bg="brand.subtle"
                borderWidth="1px"
                borderStyle="dashed"
                borderColor="brand.muted"
                fontSize="sm"
                whiteSpace="pre-wrap"
              >
                {text}
              </Box>
            </Stack>
          ))}
          {live.typing && streams.length === 0 && (
            <HStack gap="2" justify="end" color="fg.muted" fontSize="xs" role="status">
              <LuBot aria-hidden />
              <Text>The AI is writing a reply…</Text>
            </HStack>
          )}
        </Stack>
      </Box>
    </Flex>
  );
}
