"""The AI reply pipeline: a durable job per customer message, one stored outcome (the evidence)
per message, drafts for the approval queue, tickets, the compliance log; tenant threshold and
conversation priority.

Revision ID: 0003_pipeline
Revises: 0002_knowledge
Create Date: 2026-11-21

A customer message and its reply job are written by the same INSERT (a trigger), so a message
can never be stored without the job that answers it, whatever path stored it. Everything the
pipeline writes (outcomes, drafts, tickets, compliance records, AI messages) is written by the
service; staff of the tenant may read it. Customers read none of it, only the messages.
"""

from alembic import op

revision = "0003_pipeline"
down_revision = "0002_knowledge"
branch_labels = None
depends_on = None

TABLES = r"""
ALTER TABLE tenants
  ADD COLUMN confidence_threshold real NOT NULL DEFAULT 0.80
    CHECK (confidence_threshold >= 0 AND confidence_threshold <= 1);

ALTER TABLE conversations
  ADD COLUMN priority text NOT NULL DEFAULT 'normal'
    CHECK (priority IN ('normal', 'high', 'urgent'));

CREATE TABLE reply_jobs (
  message_id        uuid PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  tenant_id         uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  conversation_id   uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  status            text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'running', 'done')),
  attempts          integer NOT NULL DEFAULT 0,
  available_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- a worker holds a running job until then; past it, another worker takes it over
  lease_expires_at  timestamptz,
  last_error        text,
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at       timestamptz
);
CREATE INDEX reply_jobs_ready ON reply_jobs (available_at) WHERE status <> 'done';

CREATE TABLE ai_outcomes (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id         uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  conversation_id   uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  -- exactly one outcome per customer message, however often its job ran
  message_id        uuid NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
  decision          text NOT NULL
                    CHECK (decision IN ('auto_sent', 'draft', 'escalated', 'failed', 'skipped')),
  category          text NOT NULL
                    CHECK (category IN ('informational', 'service_action', 'safety_compliance')),
  triage            jsonb NOT NULL,
  retrieval         jsonb NOT NULL DEFAULT '[]'::jsonb,
  injection         jsonb NOT NULL DEFAULT '{}'::jsonb,
  provider          text,
  model             text,
  prompt_id         text,
  prompt_version    text,
  latency_ms        jsonb NOT NULL,
  input_tokens      integer NOT NULL DEFAULT 0,
  output_tokens     integer NOT NULL DEFAULT 0,
  cost_usd          double precision,
  confidence        real NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  confidence_parts  jsonb NOT NULL,
  threshold         real NOT NULL,
  decision_path     text[] NOT NULL,
  reply_message_id  uuid REFERENCES messages(id) ON DELETE SET NULL,
  error             text,
  attempts          integer NOT NULL DEFAULT 1,
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ai_outcomes_tenant_created ON ai_outcomes (tenant_id, created_at);
CREATE INDEX ai_outcomes_conversation ON ai_outcomes (conversation_id, created_at);

CREATE TABLE drafts (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id         uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  conversation_id   uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  message_id        uuid NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
  outcome_id        uuid REFERENCES ai_outcomes(id) ON DELETE SET NULL,
  status            text NOT NULL DEFAULT 'pending_review'
                    CHECK (status IN ('pending_review', 'approved', 'edited', 'rejected',
                                      'superseded')),
  priority          text NOT NULL DEFAULT 'normal'
                    CHECK (priority IN ('normal', 'high', 'urgent')),
  reason            text NOT NULL
                    CHECK (reason IN ('low_confidence', 'safety', 'injection', 'ai_failure',
                                      'no_answer')),
  category          text NOT NULL,
  confidence        real NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  text              text NOT NULL,
  citations         jsonb NOT NULL DEFAULT '[]'::jsonb,
  claimed_by        uuid REFERENCES users(id) ON DELETE SET NULL,
  claim_expires_at  timestamptz,
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX drafts_queue ON drafts (tenant_id, status, created_at);
CREATE INDEX drafts_conversation ON drafts (conversation_id);

CREATE TABLE tickets (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id         uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  conversation_id   uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  message_id        uuid NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
  reference         text NOT NULL,
  intent            text NOT NULL,
  fields            jsonb NOT NULL DEFAULT '{}'::jsonb,
  summary           text NOT NULL,
  adapter           text NOT NULL,
  status            text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'submitted', 'failed', 'closed')),
  external_id       text,
  error             text,
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (tenant_id, reference)
);
CREATE INDEX tickets_conversation ON tickets (conversation_id);

-- the safety log: what was reported, PII-redacted, and why it was routed to a person
CREATE TABLE compliance_records (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id         uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  conversation_id   uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  message_id        uuid NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
  kind              text NOT NULL,
  redacted_text     text NOT NULL,
  redactions        jsonb NOT NULL DEFAULT '{}'::jsonb,
  safety_score      real NOT NULL,
  decision_path     text[] NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX compliance_records_tenant ON compliance_records (tenant_id, created_at);
"""

TRIGGERS = r"""
-- every customer message gets its reply job in the same statement: nothing can store one
-- without the other
CREATE OR REPLACE FUNCTION app.enqueue_reply_job() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  INSERT INTO reply_jobs (message_id, tenant_id, conversation_id)
  VALUES (NEW.id, NEW.tenant_id, NEW.conversation_id);
  PERFORM pg_notify('contactcenter_reply_jobs', '');
  RETURN NEW;
END
$f$;
REVOKE ALL ON FUNCTION app.enqueue_reply_job() FROM PUBLIC;

CREATE TRIGGER messages_enqueue_reply_job
  AFTER INSERT ON messages
  FOR EACH ROW WHEN (NEW.author_kind = 'customer')
  EXECUTE FUNCTION app.enqueue_reply_job();
"""

POLICIES = r"""
ALTER TABLE reply_jobs          ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_outcomes         ENABLE ROW LEVEL SECURITY;
ALTER TABLE drafts              ENABLE ROW LEVEL SECURITY;
ALTER TABLE tickets             ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_records  ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON reply_jobs, ai_outcomes, drafts, tickets, compliance_records
  FROM anon, authenticated;
GRANT ALL ON reply_jobs, ai_outcomes, drafts, tickets, compliance_records TO service_role;
GRANT SELECT ON ai_outcomes, drafts, tickets, compliance_records TO authenticated;
GRANT UPDATE (priority, updated_at) ON conversations TO authenticated;

CREATE POLICY ai_outcomes_staff_read ON ai_outcomes FOR SELECT TO authenticated
  USING (tenant_id = (SELECT app.tenant_id()) AND (SELECT app.is_staff()));
CREATE POLICY drafts_staff_read ON drafts FOR SELECT TO authenticated
  USING (tenant_id = (SELECT app.tenant_id()) AND (SELECT app.is_staff()));
CREATE POLICY tickets_staff_read ON tickets FOR SELECT TO authenticated
  USING (tenant_id = (SELECT app.tenant_id()) AND (SELECT app.is_staff()));
-- the safety log is for supervisors and admins
CREATE POLICY compliance_records_supervisor_read ON compliance_records FOR SELECT
  TO authenticated
  USING (tenant_id = (SELECT app.tenant_id())
         AND (SELECT app.user_role()) IN ('supervisor', 'admin'));
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(TRIGGERS)
    op.execute(POLICIES)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS messages_enqueue_reply_job ON messages")
    op.execute("DROP FUNCTION IF EXISTS app.enqueue_reply_job()")
    op.execute(
        "DROP TABLE IF EXISTS compliance_records, tickets, drafts, ai_outcomes, reply_jobs CASCADE"
    )
    op.execute("ALTER TABLE conversations DROP COLUMN IF EXISTS priority")
    op.execute("ALTER TABLE tenants DROP COLUMN IF EXISTS confidence_threshold")
