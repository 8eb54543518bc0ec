import { Alert, Box, Button, HStack, SegmentGroup, Stack, Text, Textarea } from '@chakra-ui/react';
import { LuLock, LuSend, LuStickyNote } from 'react-icons/lu';
import { type ComposerMode, useSend } from '../api/send';
import { useComposerStore } from '../hooks/composer-store';
import { type Conversation, isClosed } from '../lib/labels';

/** Reply to the customer as yourself, or leave an internal note for colleagues. */
export function Composer({ conversation }: { conversation: Conversation }) {
  const id = conversation.id;
  const closed = isClosed(conversation);
  const stored = useComposerStore((s) => s.mode[id]);
  const mode: ComposerMode = closed ? 'note' : (stored ?? 'reply');
  const key = `${id}:${mode}`;
  const text = useComposerStore((s) => s.drafts[key] ?? '');
  const setText = useComposerStore((s) => s.setText);
  const setMode = useComposerStore((s) => s.setMode);
  const send = useSend(id);
  const note = mode === 'note';
  const blank = text.trim() === '';

  const submit = () => {
    if (blank || send.isPending) return;
    send.mutate({ mode, text: text.trim() }, { onSuccess: () => setText(key, '') });
  };

  return (
    <Stack
      gap="2"
      p="3"
      borderTopWidth="1px"
      bg={note ? 'yellow.subtle' : 'surface'}
      transition="background 0.15s"
    >
      <HStack justify="space-between" gap="2" flexWrap="wrap">
        <SegmentGroup.Root
          size="sm"
          value={mode}
          onValueChange={(e) => {
            if (e.value) setMode(id, e.value as ComposerMode);
          }}
          aria-label="Message type"
        >
          <SegmentGroup.Indicator />
          <SegmentGroup.Items
            items={[
              { value: 'reply', label: 'Reply', disabled: closed },
              { value: 'note', label: 'Internal note' },
            ]}
          />
        </SegmentGroup.Root>
        <Text fontSize="xs" color={note ? 'yellow.fg' : 'fg.muted'}>
          {note ? (
            <>
              <LuLock style={{ display: 'inline', verticalAlign: '-2px' }} aria-hidden /> Only staff
              see notes
            </>
          ) : conversation.ai_paused ? (
            'You are answering: the AI only suggests drafts.'
          ) : (
            'The AI is still answering here. Take over to pause it.'
          )}
        </Text>
      </HStack>
      {send.isError && (
        <Alert.Root status="error" size="sm" role="alert">
          <Alert.Indicator />
          <Alert.Title>
            {note ? 'The note was not saved' : 'The reply was not sent'}: {send.error.message}
          </Alert.Title>
        </Alert.Root>
      )}
      <Box position="relative">
        <Textarea
          aria-label={note ? 'Note for colleagues' : 'Reply to the customer'}
          placeholder={
            note
              ? 'Write a note for your colleagues…'
              : closed
                ? 'This conversation is closed.'
                : 'Write your reply to the customer…'
          }
          value={text}
          onChange={(e) => setText(key, e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) {
              e.preventDefault();
              submit();
            }
          }}
          autoresize
          minH="20"
          maxH="48"
          maxLength={4000}
          bg="surface"
          borderColor={note ? 'yellow.emphasized' : undefined}
        />
      </Box>
      <HStack justify="space-between">
        <Text fontSize="xs" color="fg.subtle" display={{ base: 'none', md: 'block' }}>
          Ctrl + Enter to {note ? 'save' : 'send'}
          {closed && ' · Resolved: replies are closed, notes still work'}
        </Text>
        <Button
          size="sm"
          colorPalette={note ? 'yellow' : 'brand'}
          onClick={submit}
          disabled={blank}
          loading={send.isPending}
          ms="auto"
        >
          {note ? <LuStickyNote /> : <LuSend />}
          {note ? 'Add note' : 'Send reply'}
        </Button>
      </HStack>
    </Stack>
  );
}
