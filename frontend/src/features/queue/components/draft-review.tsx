import {
  Alert,
  Box,
  Button,
  Field,
  Flex,
  Grid,
  HStack,
  IconButton,
  Kbd,
  Link,
  Skeleton,
  SkeletonText,
  Spinner,
  Stack,
  Text,
  Textarea,
} from '@chakra-ui/react';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { LuArrowLeft, LuLock, LuMessagesSquare, LuSparkles } from 'react-icons/lu';
import { Link as RouterLink } from 'react-router-dom';
import { toaster } from '@/components/toaster';
import { ApiError } from '@/lib/api';
import { useSession } from '@/lib/session';
import { LoadError } from '@/components/load-error';
import { useNow } from '@/lib/use-now';
import { type Decision, useDecideDraft, useRetryDraft } from '../api/decide-draft';
import { type DraftDetail, useDraft } from '../api/get-draft';
import { type ClaimState, useDraftClaim } from '../hooks/use-draft-claim';
import { isTyping } from '../lib/keys';
import { age, clockTime, type Draft, reasonLabel, STATUS_LABEL } from '../lib/labels';
import { CategoryBadge, ConfidenceMeter, PriorityBadge } from './queue-badges';
import { Citations, DecisionPath, Foldout, Section } from './review-parts';

interface Props {
  draftId: string;
  renderHistory: (conversationId: string) => ReactNode;
  onBack: () => void;
  /** The draft was decided here: move on. */
  onDone: (draftId: string) => void;
  /** Open another draft (the AI's new attempt). */
  onOpen: (draftId: string) => void;
}

/** Everything needed to decide one draft: the question, the history, the draft and its evidence. */
export function DraftReview(props: Props) {
  const detail = useDraft(props.draftId);
  if (detail.isPending) {
    return (
      <Stack p="6" gap="5" aria-busy="true" aria-label="Loading the draft">
        <Skeleton h="6" w="50%" />
        <SkeletonText noOfLines={3} />
        <Skeleton h="40" />
      </Stack>
    );
  }
  if (detail.isError) {
    return (
      <Stack p="6" gap="4">
        <BackButton onBack={props.onBack} />
        <LoadError
          what="the draft"
          gone="This draft no longer exists."
          error={detail.error}
          onRetry={() => void detail.refetch()}
        />
      </Stack>
    );
  }
  return <Review key={props.draftId} {...props} detail={detail.data} />;
}

function BackButton({ onBack }: { onBack: () => void }) {
  return (
    <IconButton
      aria-label="Back to the queue"
      variant="ghost"
      size="sm"
      display={{ base: 'inline-flex', md: 'none' }}
      onClick={onBack}
    >
      <LuArrowLeft />
    </IconButton>
  );
}

type Problem =
  | { kind: 'claimed'; until: string | null }
  | { kind: 'closed'; message: string }
  | { kind: 'error'; title: string; message: string };

const problemExtra = (error: ApiError, name: string) => {
  const value = (error.problem as Record<string, unknown> | null)?.[name];
  return typeof value === 'string' ? value : null;
};

function Review({
  detail,
  renderHistory,
  onBack,
  onDone,
  onOpen,
}: Props & { detail: DraftDetail }) {
  const { draft, question, history, outcome } = detail;
  const me = useSession((s) => s.user?.id);
  const now = useNow();
  const claim = useDraftClaim(draft);
  const decide = useDecideDraft(draft.id);
  const retry = useRetryDraft(draft.id);
  const [text, setText] = useState(draft.text);
  const [mode, setMode] = useState<'reply' | 'reject' | 'retry'>('reply');
  const [reason, setReason] = useState('');
  const [hint, setHint] = useState('');
  const [showErrors, setShowErrors] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const decidedHere = useRef<Decision['action'] | null>(null);

  const pending = draft.status === 'pending_review';
  const taken = claim.kind === 'taken' || problem?.kind === 'claimed';
  const busy = decide.isPending || retry.isPending;
  const canAct = pending && !taken && claim.kind !== 'claiming' && !busy;
  const changed = text !== draft.text;
  const blank = text.trim() === '';

  const fail = (title: string) => (error: Error) => {
    if (error instanceof ApiError && error.code === 'draft_claimed') {
      setProblem({ kind: 'claimed', until: problemExtra(error, 'claim_expires_at') });
    } else if (error instanceof ApiError && error.code === 'draft_decided') {
      // the draft's own state says who decided; the server's answer is refetched
      setProblem(null);
    } else if (error instanceof ApiError && error.code === 'conversation_closed') {
      setProblem({ kind: 'closed', message: error.message });
    } else {
      setProblem({ kind: 'error', title, message: error.message });
    }
  };

  const run = (decision: Decision) => {
    setProblem(null);
    decidedHere.current = decision.action;
    decide.mutate(decision, {
      onSuccess: () => {
        if (decision.action === 'reject') {
          setMode('reply');
          return;
        }
        toaster.create({
          type: 'success',
          title: decision.action === 'approve' ? 'Reply sent' : 'Edited reply sent',
          description: 'The customer has your answer.',
        });
        onDone(draft.id);
      },
      onError: (error) => {
        decidedHere.current = null;
        if (error instanceof ApiError && error.code === 'draft_decided') onDraftGone(error);
        fail(
          decision.action === 'reject'
            ? 'Could not reject the draft.'
            : 'Could not send the reply.',
        )(error);
      },
    });
  };

  const onDraftGone = (error: ApiError) => {
    const by = problemExtra(error, 'decided_by');
    toaster.create({
      type: 'info',
      title: 'Already decided',
      description: `${by === me ? 'You' : 'A colleague'} already handled this draft.`,
    });
  };

  const approve = () => {
    if (!canAct || changed || blank) return;
    run({ action: 'approve' });
  };
  const sendEdited = () => {
    if (!canAct || blank) return;
    run({ action: 'edit', text });
  };
  const reject = () => {
    setShowErrors(true);
    if (!reason.trim()) return;
    run({ action: 'reject', reason: reason.trim() });
  };
  const askAgain = () => {
    setShowErrors(true);
    if (!hint.trim()) return;
    setProblem(null);
    retry.mutate(
      { hint: hint.trim(), rejectFirst: pending },
      {
        onSuccess: (fresh) => {
          toaster.create({
            type: 'success',
            title: 'The AI wrote a new draft',
            description: 'Review it now.',
          });
          onOpen(fresh.id);
        },
        onError: fail('The AI could not try again.'),
      },
    );
  };

  // a: approve, from anywhere but a text field
  const approveRef = useRef(approve);
  approveRef.current = approve;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'a' || event.metaKey || event.ctrlKey || event.altKey) return;
      if (isTyping(event.target)) return;
      event.preventDefault();
      approveRef.current();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const openMode = (next: 'reject' | 'retry') => {
    setShowErrors(false);
    setMode((current) => (current === next ? 'reply' : next));
  };

  return (
    <Flex direction="column" h="full" data-testid="draft-review" data-draft-id={draft.id}>
      <HStack
        px={{ base: '3', md: '5' }}
        py="3"
        borderBottomWidth="1px"
        gap="2"
        flexWrap="wrap"
        bg={draft.priority === 'urgent' ? 'bg.error' : undefined}
      >
        <BackButton onBack={onBack} />
        <PriorityBadge priority={draft.priority} />
        <CategoryBadge category={draft.category} />
        <Text fontSize="sm" color="fg.muted">
          {reasonLabel(draft.reason)} · waiting {age(draft.created_at, now)}
        </Text>
        <Box flex="1" />
        <ClaimChip claim={claim} taken={taken} pending={pending} />
        <Link asChild fontSize="sm" color="brand.fg">
          <RouterLink to={`/agent/conversations/${draft.conversation_id}`}>
            <LuMessagesSquare aria-hidden /> Open conversation
          </RouterLink>
        </Link>
      </HStack>

      <Box flex="1" overflowY="auto" px={{ base: '3', md: '5' }} py="4">
        <Stack gap="5" maxW="6xl">
          <Notices
            draft={draft}
            me={me}
            claim={claim}
            problem={problem}
            decidedHere={decidedHere.current}
            onNext={() => onDone(draft.id)}
            onRetry={() => openMode('retry')}
          />

          <Foldout
            title={
              <Text as="span">
                Conversation so far{' '}
                <Text as="span" color="fg.muted" fontWeight="normal">
                  ({history.length === 0 ? 'first message' : `${history.length} earlier`})
                </Text>
              </Text>
            }
            defaultOpen={history.length > 0}
          >
            <Flex direction="column" maxH="260px" minH="0">
              {renderHistory(draft.conversation_id)}
            </Flex>
          </Foldout>

          <Section title="Customer's message">
            <Box
              bg="bg.muted"
              borderRadius="lg"
              borderTopLeftRadius="sm"
              px="4"
              py="3"
              fontSize="md"
              whiteSpace="pre-wrap"
              data-testid="draft-question"
            >
              {question}
            </Box>
          </Section>

          <Grid
            templateColumns={{ base: '1fr', xl: 'minmax(0, 1fr) 340px' }}
            gap="5"
            alignItems="start"
          >
            <Section
              title={changed ? 'Your reply (edited)' : 'AI draft'}
              aside={
                <HStack gap="2" fontSize="xs" color="fg.muted">
                  <Text>Confidence</Text>
                  <ConfidenceMeter value={draft.confidence} threshold={outcome?.threshold} />
                </HStack>
              }
            >
              {draft.hint && (
                <Text fontSize="sm" color="fg.muted">
                  <LuSparkles style={{ display: 'inline', verticalAlign: '-2px' }} aria-hidden />{' '}
                  Written again with the hint “{draft.hint}”.
                </Text>
              )}
              <Field.Root invalid={changed && blank} disabled={!pending || taken}>
                <Textarea
                  aria-label="Reply to send"
                  value={text}
                  onChange={(e) => setText(e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) {
                      e.preventDefault();
                      if (changed) sendEdited();
                      else approve();
                    }
                  }}
                  autoresize
                  minH="36"
                  maxH="60vh"
                  maxLength={4000}
                  fontSize="md"
                  lineHeight="tall"
                  placeholder="The AI wrote nothing: write the reply yourself."
                  bg={changed ? 'bg.warning' : 'surface'}
                  readOnly={!pending || taken}
                />
                <Field.HelperText>
                  {changed
                    ? 'Edited: your version goes to the customer as your reply. Keep [n] markers to keep the sources.'
                    : blank
                      ? 'The AI could not write a reply. Write one, then send it.'
                      : 'Edit the text to change what the customer gets.'}
                  {text.length > 3500 && ` ${text.length}/4000 characters.`}
                </Field.HelperText>
              </Field.Root>

              {pending && !taken && (
                <Actions
                  changed={changed}
                  blank={blank}
                  canAct={canAct}
                  sending={decide.isPending && decide.variables?.action !== 'reject'}
                  mode={mode}
                  onApprove={approve}
                  onSendEdited={sendEdited}
                  onUndo={() => setText(draft.text)}
                  onMode={openMode}
                />
              )}

              {mode === 'reject' && pending && !taken && (
                <Stack gap="2" p="3" borderWidth="1px" borderRadius="md" bg="bg.subtle">
                  <Field.Root required invalid={showErrors && !reason.trim()}>
                    <Field.Label>Why reject this draft?</Field.Label>
                    <Textarea
                      aria-label="Reason for rejecting"
                      value={reason}
                      onChange={(e) => setReason(e.target.value)}
                      placeholder="For example: wrong opening hours for the Sunday branch"
                      maxLength={2000}
                      rows={2}
                      autoFocus
                      bg="surface"
                    />
                    <Field.ErrorText>Say why: the reason is kept with the draft.</Field.ErrorText>
                    <Field.HelperText>
                      Nothing is sent to the customer. You can reply yourself or ask the AI again
                      afterwards.
                    </Field.HelperText>
                  </Field.Root>
                  <HStack gap="2">
                    <Button
                      size="sm"
                      colorPalette="red"
                      onClick={reject}
                      loading={decide.isPending && decide.variables?.action === 'reject'}
                      disabled={busy}
                    >
                      Reject draft
                    </Button>
                    <Button size="sm" variant="ghost" onClick={() => setMode('reply')}>
                      Cancel
                    </Button>
                  </HStack>
                </Stack>
              )}

              {mode === 'retry' && (pending ? !taken : draft.status === 'rejected') && (
                <Stack gap="2" p="3" borderWidth="1px" borderRadius="md" bg="bg.subtle">
                  <Field.Root required invalid={showErrors && !hint.trim()}>
                    <Field.Label>What should the AI do differently?</Field.Label>
                    <Textarea
                      aria-label="Hint for the AI"
                      value={hint}
                      onChange={(e) => setHint(e.target.value)}
                      placeholder="For example: the customer asks about the Sunday opening hours"
                      maxLength={1000}
                      rows={2}
                      autoFocus
                      bg="surface"
                    />
                    <Field.ErrorText>Give the AI a hint to work with.</Field.ErrorText>
                    <Field.HelperText>
                      {pending ? 'This draft is rejected with your hint as the reason; ' : ''}
                      the AI writes a new draft for you to review. Nothing is sent yet.
                    </Field.HelperText>
                  </Field.Root>
                  <HStack gap="2">
                    <Button
                      size="sm"
                      colorPalette="brand"
                      onClick={askAgain}
                      loading={retry.isPending}
                    >
                      <LuSparkles /> Write a new draft
                    </Button>
                    <Button size="sm" variant="ghost" onClick={() => setMode('reply')}>
                      Cancel
                    </Button>
                  </HStack>
                </Stack>
              )}
            </Section>

            <Section title={`Sources (${draft.citations.length})`}>
              <Citations citations={draft.citations} />
            </Section>
          </Grid>

          <Foldout title="Why the AI needs you" defaultOpen>
            <DecisionPath outcome={outcome} />
          </Foldout>
        </Stack>
      </Box>
    </Flex>
  );
}

function Actions({
  changed,
  blank,
  canAct,
  sending,
  mode,
  onApprove,
  onSendEdited,
  onUndo,
  onMode,
}: {
  changed: boolean;
  blank: boolean;
  canAct: boolean;
  sending: boolean;
  mode: 'reply' | 'reject' | 'retry';
  onApprove: () => void;
  onSendEdited: () => void;
  onUndo: () => void;
  onMode: (mode: 'reject' | 'retry') => void;
}) {
  return (
    <Flex gap="2" flexWrap="wrap" align="center">
      {changed ? (
        <>
          <Button
            colorPalette="brand"
            onClick={onSendEdited}
            disabled={!canAct || blank}
            loading={sending}
          >
            Send edited
          </Button>
          <Button variant="ghost" onClick={onUndo} disabled={!canAct}>
            Undo edits
          </Button>
        </>
      ) : (
        <Button
          colorPalette="brand"
          onClick={onApprove}
          disabled={!canAct || blank}
          loading={sending}
          aria-keyshortcuts="a"
        >
          Approve and send
        </Button>
      )}
      <Button
        variant={mode === 'reject' ? 'subtle' : 'outline'}
        colorPalette="red"
        onClick={() => onMode('reject')}
        disabled={!canAct}
        aria-expanded={mode === 'reject'}
      >
        Reject
      </Button>
      <Button
        variant={mode === 'retry' ? 'subtle' : 'outline'}
        onClick={() => onMode('retry')}
        disabled={!canAct}
        aria-expanded={mode === 'retry'}
      >
        <LuSparkles /> Ask AI again
      </Button>
      <Text fontSize="xs" color="fg.subtle" display={{ base: 'none', lg: 'block' }} ms="auto">
        {changed ? (
          <>
            <Kbd size="sm">Ctrl</Kbd> <Kbd size="sm">Enter</Kbd> send
          </>
        ) : (
          <>
            <Kbd size="sm">a</Kbd> approve
          </>
        )}
      </Text>
    </Flex>
  );
}

function ClaimChip({
  claim,
  taken,
  pending,
}: {
  claim: ClaimState;
  taken: boolean;
  pending: boolean;
}) {
  if (!pending) return null;
  if (taken) {
    return (
      <HStack gap="1" fontSize="xs" color="fg.warning" fontWeight="medium">
        <LuLock aria-hidden /> Read-only
      </HStack>
    );
  }
  if (claim.kind === 'claiming') {
    return (
      <HStack gap="1.5" fontSize="xs" color="fg.muted">
        <Spinner size="xs" /> Claiming…
      </HStack>
    );
  }
  if (claim.kind === 'mine') {
    return (
      <Text
        fontSize="xs"
        color="brand.fg"
        fontWeight="medium"
        title="Colleagues see that you are on it"
      >
        You are reviewing
      </Text>
    );
  }
  return null;
}

function Notices({
  draft,
  me,
  claim,
  problem,
  decidedHere,
  onNext,
  onRetry,
}: {
  draft: Draft;
  me: string | undefined;
  claim: ClaimState;
  problem: Problem | null;
  decidedHere: Decision['action'] | null;
  onNext: () => void;
  onRetry: () => void;
}) {
  if (draft.status !== 'pending_review') {
    const byMe = draft.decided_by !== null && draft.decided_by === me;
    const who = draft.decided_by === null ? 'Someone' : byMe ? 'You' : 'A colleague';
    const when = draft.decided_at ? ` at ${clockTime(draft.decided_at)}` : '';
    const superseded = draft.status === 'superseded';
    const rejectedHere = byMe && draft.status === 'rejected' && decidedHere === 'reject';
    return (
      <Alert.Root status={rejectedHere ? 'info' : 'neutral'} role="status">
        <Alert.Indicator />
        <Stack gap="2" flex="1">
          <Alert.Title>
            {superseded
              ? 'This draft was superseded: the conversation was resolved or a newer draft replaced it.'
              : `${who} ${STATUS_LABEL[draft.status]} this draft${when}.`}
          </Alert.Title>
          {draft.status === 'rejected' && (
            <Alert.Description>
              Nothing was sent to the customer
              {draft.decision_note ? ` (reason: “${draft.decision_note}”)` : ''}. Reply yourself in
              the conversation, or ask the AI to try again with a hint.
            </Alert.Description>
          )}
          <HStack gap="2" flexWrap="wrap">
            <Button size="xs" colorPalette="brand" onClick={onNext}>
              Next draft
            </Button>
            {draft.status === 'rejected' && (
              <Button size="xs" variant="outline" onClick={onRetry}>
                <LuSparkles /> Ask AI again
              </Button>
            )}
          </HStack>
        </Stack>
      </Alert.Root>
    );
  }
  if (claim.kind === 'taken' || problem?.kind === 'claimed') {
    const until =
      problem?.kind === 'claimed' ? problem.until : claim.kind === 'taken' ? claim.until : null;
    return (
      <Alert.Root status="warning" role="alert">
        <Alert.Indicator>
          <LuLock />
        </Alert.Indicator>
        <Stack gap="1" flex="1">
          <Alert.Title>A colleague is reviewing this draft.</Alert.Title>
          <Alert.Description>
            You can read it but not change it
            {until ? `; their lock runs until ${clockTime(until)} unless they finish first` : ''}.
            It opens for you as soon as they let go.
          </Alert.Description>
          <Button size="xs" variant="outline" alignSelf="start" onClick={onNext}>
            Next draft
          </Button>
        </Stack>
      </Alert.Root>
    );
  }
  if (problem?.kind === 'closed') {
    return (
      <Alert.Root status="warning" role="alert">
        <Alert.Indicator />
        <Stack gap="1" flex="1">
          <Alert.Title>The conversation is closed.</Alert.Title>
          <Alert.Description>{problem.message}</Alert.Description>
        </Stack>
      </Alert.Root>
    );
  }
  if (problem?.kind === 'error') {
    return (
      <Alert.Root status="error" role="alert">
        <Alert.Indicator />
        <Stack gap="1" flex="1">
          <Alert.Title>{problem.title}</Alert.Title>
          <Alert.Description>{problem.message}</Alert.Description>
        </Stack>
      </Alert.Root>
    );
  }
  if (claim.kind === 'failed') {
    return (
      <Alert.Root status="warning" role="alert">
        <Alert.Indicator />
        <Stack gap="1" flex="1">
          <Alert.Title>Could not reserve this draft for you.</Alert.Title>
          <Alert.Description>
            {claim.message} A colleague might open it at the same time; the first decision wins.
          </Alert.Description>
        </Stack>
      </Alert.Root>
    );
  }
  return null;
}
