"""Human in the loop: decisions on drafts (who, when, what was sent, the policy in force), claims,
conversation control (an agent takes over: the AI only suggests), and the per-tenant limits of
the lifecycle jobs (escalation, session expiry, retention).

Revision ID: 0004_hitl
Revises: 0003_pipeline
Create Date: 2026-11-21

Decisions are written by the service after its own role and tenant checks (a draft's decision
also inserts the reply, which customers' and agents' RLS rights do not cover); staff read.
"""

from alembic import op

revision = "0004_hitl"
down_revision = "0003_pipeline"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE drafts
  ADD COLUMN decided_by       uuid REFERENCES users(id) ON DELETE SET NULL,
  ADD COLUMN decided_at       timestamptz,
  ADD COLUMN decision_note    text CHECK (length(decision_note) <= 2000),
  ADD COLUMN sent_text        text,
  ADD COLUMN sent_message_id  uuid REFERENCES messages(id) ON DELETE SET NULL,
  ADD COLUMN policy           jsonb,
  ADD COLUMN escalated_at     timestamptz,
  -- "try again with a hint": the new draft names the one it replaces and the agent's hint
  ADD COLUMN retry_of         uuid REFERENCES drafts(id) ON DELETE SET NULL,
  ADD COLUMN hint             text CHECK (length(hint) <= 1000);
-- a message may now have several drafts (a rejected one and its retries), one pending at most
ALTER TABLE drafts DROP CONSTRAINT drafts_message_id_key;
CREATE INDEX drafts_message ON drafts (message_id);
CREATE UNIQUE INDEX drafts_one_pending_per_message ON drafts (message_id)
  WHERE status = 'pending_review';
CREATE INDEX drafts_pending_age ON drafts (created_at) WHERE status = 'pending_review';
ALTER TABLE drafts DROP CONSTRAINT drafts_reason_check;
ALTER TABLE drafts ADD CONSTRAINT drafts_reason_check
  CHECK (reason IN ('low_confidence', 'safety', 'injection', 'ai_failure', 'no_answer',
                    'human_control', 'agent_retry'));
-- a decided draft names its decider and time; a pending one has neither
ALTER TABLE drafts ADD CONSTRAINT drafts_decision_recorded
  CHECK ((status IN ('pending_review', 'superseded')) = (decided_at IS NULL));

ALTER TABLE conversations
  ADD COLUMN assigned_to  uuid REFERENCES users(id) ON DELETE SET NULL,
  ADD COLUMN ai_paused    boolean NOT NULL DEFAULT false;
CREATE INDEX conversations_live_activity ON conversations (last_message_at)
  WHERE status IN ('open', 'pending_human');

-- the request that stored a customer message travels with its reply job into the worker's logs
ALTER TABLE reply_jobs ADD COLUMN request_id text;
CREATE OR REPLACE FUNCTION app.enqueue_reply_job() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  INSERT INTO reply_jobs (message_id, tenant_id, conversation_id, request_id)
  VALUES (NEW.id, NEW.tenant_id, NEW.conversation_id,
          nullif(current_setting('app.request_id', true), ''));
  PERFORM pg_notify('contactcenter_reply_jobs', '');
  RETURN NEW;
END
$f$;

ALTER TABLE tenants
  ADD COLUMN escalation_after_s  integer NOT NULL DEFAULT 300
    CHECK (escalation_after_s BETWEEN 10 AND 86400),
  ADD COLUMN session_idle_s      integer NOT NULL DEFAULT 3600
    CHECK (session_idle_s BETWEEN 60 AND 2592000),
  ADD COLUMN retention_days      integer NOT NULL DEFAULT 365
    CHECK (retention_days BETWEEN 1 AND 3650);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE reply_jobs DROP COLUMN IF EXISTS request_id;
        ALTER TABLE tenants DROP COLUMN IF EXISTS retention_days,
          DROP COLUMN IF EXISTS session_idle_s, DROP COLUMN IF EXISTS escalation_after_s;
        DROP INDEX IF EXISTS conversations_live_activity;
        DROP INDEX IF EXISTS drafts_pending_age;
        DROP INDEX IF EXISTS drafts_one_pending_per_message;
        DROP INDEX IF EXISTS drafts_message;
        ALTER TABLE drafts DROP COLUMN IF EXISTS hint, DROP COLUMN IF EXISTS retry_of;
        ALTER TABLE drafts ADD CONSTRAINT drafts_message_id_key UNIQUE (message_id);
        ALTER TABLE drafts DROP COLUMN IF EXISTS escalated_at;
        ALTER TABLE conversations DROP COLUMN IF EXISTS ai_paused,
          DROP COLUMN IF EXISTS assigned_to;
        ALTER TABLE drafts DROP CONSTRAINT IF EXISTS drafts_decision_recorded;
        ALTER TABLE drafts DROP COLUMN IF EXISTS policy, DROP COLUMN IF EXISTS sent_message_id,
          DROP COLUMN IF EXISTS sent_text, DROP COLUMN IF EXISTS decision_note,
          DROP COLUMN IF EXISTS decided_at, DROP COLUMN IF EXISTS decided_by;
        """
    )
