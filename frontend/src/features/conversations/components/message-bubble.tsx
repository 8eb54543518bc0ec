import { Badge, Box, Button, HStack, Link, Popover, Portal, Stack, Text } from '@chakra-ui/react';
import { LuBot, LuExternalLink, LuInfo, LuStickyNote } from 'react-icons/lu';
import { type Citation, citationsOf, type Message, percent, timeOf } from '../lib/labels';

interface Props {
  message: Message;
  me: string | undefined;
}

const who = (message: Message, me: string | undefined) => {
  if (message.author_kind === 'customer') return 'Customer';
  if (message.author_kind === 'ai') {
    const approver = message.metadata.approved_by;
    if (typeof approver === 'string') {
      return `AI assistant · approved by ${approver === me ? 'you' : 'a colleague'}`;
    }
    return 'AI assistant';
  }
  if (message.author_kind === 'agent') return message.author_id === me ? 'You' : 'Agent';
  return 'System';
};

/** One message of the timeline: customer left, our side right, notes as yellow cards. */
export function MessageBubble({ message, me }: Props) {
  const time = timeOf(message.created_at);
  const common = {
    'data-testid': 'timeline-message',
    'data-author': message.author_kind,
    'data-visibility': message.visibility,
  };

  if (message.visibility === 'internal') {
    return (
      <Box
        {...common}
        as="article"
        aria-label="Internal note"
        bg="yellow.subtle"
        borderWidth="1px"
        borderColor="yellow.muted"
        borderRadius="md"
        px="3.5"
        py="2.5"
        mx={{ base: '0', md: '8' }}
      >
        <HStack
          gap="1.5"
          fontSize="xs"
          color="yellow.fg"
          fontWeight="semibold"
          mb="1"
          flexWrap="wrap"
          rowGap="0"
        >
          <LuStickyNote aria-hidden />
          <Text whiteSpace="nowrap">Internal note</Text>
          <Text fontWeight="normal">
            · {message.author_id === me ? 'you' : 'a colleague'} · {time} · customers never see it
          </Text>
        </HStack>
        <Text fontSize="sm" whiteSpace="pre-wrap">
          {message.text}
        </Text>
      </Box>
    );
  }

  if (message.author_kind === 'system') {
    return (
      <HStack {...common} as="article" justify="center" px="4" gap="1.5" color="fg.muted">
        <LuInfo aria-hidden style={{ flexShrink: 0 }} />
        <Text fontSize="xs" textAlign="center" maxW="lg">
          {message.text}{' '}
          <Text as="span" color="fg.subtle">
            · {time}
          </Text>
        </Text>
      </HStack>
    );
  }

  const ours = message.author_kind !== 'customer';
  const citations = citationsOf(message);
  const confidence = message.metadata.confidence;
  return (
    <Stack
      {...common}
      as="article"
      gap="1"
      align={ours ? 'end' : 'start'}
      ps={ours ? '10' : '0'}
      pe={ours ? '0' : '10'}
    >
      <HStack gap="1.5" fontSize="xs" color="fg.muted">
        {message.author_kind === 'ai' && <LuBot aria-hidden />}
        <Text fontWeight="medium" color="fg">
          {who(message, me)}
        </Text>
        <Text>{time}</Text>
        {typeof confidence === 'number' && (
          <Text title="AI confidence">· {percent(confidence)} sure</Text>
        )}
      </HStack>
      <Box
        maxW="2xl"
        px="3.5"
        py="2.5"
        borderRadius="xl"
        borderTopLeftRadius={ours ? 'xl' : 'sm'}
        borderTopRightRadius={ours ? 'sm' : 'xl'}
        bg={
          message.author_kind === 'customer'
            ? 'bg.muted'
            : message.author_kind === 'ai'
              ? 'brand.subtle'
              : 'bg.info'
        }
        borderWidth={message.author_kind === 'ai' ? '1px' : '0'}
        borderColor="brand.muted"
        fontSize="sm"
        whiteSpace="pre-wrap"
        wordBreak="break-word"
      >
        {message.text}
      </Box>
      {citations.length > 0 && (
        <HStack gap="1.5" flexWrap="wrap" justify={ours ? 'end' : 'start'} aria-label="Sources">
          {citations.map((c) => (
            <CitationChip key={`${c.number}-${c.chunk_id}`} citation={c} />
          ))}
        </HStack>
      )}
    </Stack>
  );
}

function CitationChip({ citation }: { citation: Citation }) {
  return (
    <Popover.Root positioning={{ placement: 'top' }} lazyMount>
      <Popover.Trigger asChild>
        <Button
          size="2xs"
          variant="outline"
          borderRadius="full"
          maxW="56"
          data-testid="citation-chip"
          aria-label={`Source ${citation.number}: ${citation.title}`}
        >
          <Badge size="xs" colorPalette="brand" variant="solid" borderRadius="full">
            {citation.number}
          </Badge>
          <Text truncate>{citation.title}</Text>
        </Button>
      </Popover.Trigger>
      <Portal>
        <Popover.Positioner>
          <Popover.Content maxW="sm">
            <Popover.Arrow />
            <Popover.Body>
              <Stack gap="1.5">
                <Text fontWeight="semibold" fontSize="sm">
                  [{citation.number}] {citation.title}
                </Text>
                {citation.section && (
                  <Text fontSize="xs" color="fg.muted">
                    {citation.section}
                  </Text>
                )}
                <Text fontSize="sm" color="fg.muted" borderLeftWidth="2px" pl="2">
                  {citation.quote}
                </Text>
                {citation.source_url && (
                  <Link
                    href={citation.source_url}
                    target="_blank"
                    rel="noreferrer"
                    fontSize="sm"
                    color="brand.fg"
                  >
                    Open the source <LuExternalLink aria-hidden />
                  </Link>
                )}
              </Stack>
            </Popover.Body>
          </Popover.Content>
        </Popover.Positioner>
      </Portal>
    </Popover.Root>
  );
}
