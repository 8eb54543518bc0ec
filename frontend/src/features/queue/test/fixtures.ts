import type { Schemas } from '@/lib/api';

export { ME, signIn } from '@/test/session';

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

export function draft(
  overrides: Partial<Schemas['DraftOut']> & { id: string },
): Schemas['DraftOut'] {
  return {
    conversation_id: `conv-${overrides.id}`,
    message_id: `msg-${overrides.id}`,
    status: 'pending_review',
    priority: 'normal',
    reason: 'low_confidence',
    category: 'informational',
    confidence: 0.62,
    text: `Draft text of ${overrides.id}`,
    citations: [],
    claimed_by: null,
    claim_expires_at: null,
    created_at: minutesAgo(10),
    decided_by: null,
    decided_at: null,
    retry_of: null,
    hint: null,
    escalated_at: null,
    decision_note: null,
    sent_text: null,
    ...overrides,
  };
}

export const ago = minutesAgo;

export function detail(d: Schemas['DraftOut'], question = 'Can I return opened medicine?') {
  return {
    draft: d,
    question,
    history: [],
    outcome: {
      id: `out-${d.id}`,
      conversation_id: d.conversation_id,
      message_id: d.message_id,
      decision: 'draft',
      category: d.category,
      triage: {},
      retrieval: [],
      injection: {},
      provider: 'offline',
      model: 'test-model',
      prompt_id: 'grounded',
      prompt_version: 'v1',
      latency_ms: { total: 1200 },
      input_tokens: 0,
      output_tokens: 0,
      cost_usd: null,
      confidence: d.confidence,
      confidence_parts: {},
      threshold: 0.8,
      decision_path: [
        'triage: informational (0.57)',
        'retrieval: 5 passages',
        'confidence 0.62 vs threshold 0.80',
      ],
      reply_message_id: null,
      error: null,
      attempts: 1,
      created_at: d.created_at,
    },
  };
}
