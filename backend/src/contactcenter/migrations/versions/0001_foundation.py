"""Foundation: tenants, users, sessions, conversations, messages, audit; Supabase roles and RLS.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-21

The same SQL runs on the embedded PostgreSQL and on Supabase. On Supabase the `anon`,
`authenticated` and `service_role` roles and `auth.uid()` / `auth.jwt()` already exist and are
left alone; elsewhere they are created here.
"""

from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

ROLES_AND_AUTH_HELPERS = r"""
DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
  -- the application's login role must be able to `SET ROLE` into each of them
  IF NOT pg_has_role(current_user, 'anon', 'MEMBER') THEN
    EXECUTE format('GRANT anon TO %I', current_user);
  END IF;
  IF NOT pg_has_role(current_user, 'authenticated', 'MEMBER') THEN
    EXECUTE format('GRANT authenticated TO %I', current_user);
  END IF;
  IF NOT pg_has_role(current_user, 'service_role', 'MEMBER') THEN
    EXECUTE format('GRANT service_role TO %I', current_user);
  END IF;
END
$do$;

CREATE SCHEMA IF NOT EXISTS auth;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;

DO $do$
BEGIN
  IF to_regprocedure('auth.jwt()') IS NULL THEN
    CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $f$
      SELECT coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
      )::jsonb
    $f$;
  END IF;
  IF to_regprocedure('auth.uid()') IS NULL THEN
    CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $f$
      SELECT coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
      )::uuid
    $f$;
  END IF;
  IF to_regprocedure('auth.role()') IS NULL THEN
    CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $f$
      SELECT coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
      )::text
    $f$;
  END IF;
END
$do$;
"""

APP_HELPERS = r"""
CREATE SCHEMA IF NOT EXISTS app;
GRANT USAGE ON SCHEMA app TO anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION app.tenant_id() RETURNS uuid LANGUAGE sql STABLE AS $f$
  SELECT nullif(auth.jwt() -> 'app_metadata' ->> 'tenant_id', '')::uuid
$f$;

CREATE OR REPLACE FUNCTION app.user_role() RETURNS text LANGUAGE sql STABLE AS $f$
  SELECT auth.jwt() -> 'app_metadata' ->> 'role'
$f$;

CREATE OR REPLACE FUNCTION app.is_staff() RETURNS boolean LANGUAGE sql STABLE AS $f$
  SELECT coalesce(app.user_role() IN ('agent', 'supervisor', 'admin'), false)
$f$;
"""

TABLES = r"""
CREATE TABLE tenants (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  role             text NOT NULL CHECK (role IN ('customer', 'agent', 'supervisor', 'admin')),
  email            text CHECK (email IS NULL OR length(email) <= 320),
  display_name     text,
  is_anonymous     boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_sign_in_at  timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX users_tenant_role_idx ON users (tenant_id, role);

-- password hashes live apart from profiles so that no policy can ever expose them
CREATE TABLE credentials (
  user_id        uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  password_hash  text NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth_sessions (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  refresh_token_hash  text NOT NULL UNIQUE,
  created_at          timestamptz NOT NULL DEFAULT now(),
  refreshed_at        timestamptz NOT NULL DEFAULT now(),
  revoked_at          timestamptz,
  user_agent          text
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id);

CREATE TABLE conversations (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  customer_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  channel          text NOT NULL DEFAULT 'web'
                   CHECK (channel IN ('web', 'whatsapp', 'telegram', 'teams', 'line', 'wechat',
                                      'email', 'api')),
  status           text NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'pending_human', 'resolved', 'expired')),
  subject          text,
  metadata         jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  last_message_at  timestamptz NOT NULL DEFAULT now(),
  closed_at        timestamptz
);
CREATE INDEX conversations_tenant_activity_idx
  ON conversations (tenant_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_tenant_status_activity_idx
  ON conversations (tenant_id, status, last_message_at DESC, id DESC);
CREATE INDEX conversations_customer_idx ON conversations (customer_id, last_message_at DESC);

CREATE TABLE messages (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq                bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  conversation_id    uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  author_kind        text NOT NULL CHECK (author_kind IN ('customer', 'ai', 'agent', 'system')),
  author_id          uuid REFERENCES users (id) ON DELETE SET NULL,
  visibility         text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'internal')),
  text               text NOT NULL CHECK (length(text) > 0),
  metadata           jsonb NOT NULL DEFAULT '{}'::jsonb,
  client_message_id  text CHECK (client_message_id IS NULL OR length(client_message_id) <= 100),
  created_at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX messages_conversation_seq_idx ON messages (conversation_id, seq);
CREATE INDEX messages_tenant_created_idx ON messages (tenant_id, created_at);
CREATE UNIQUE INDEX messages_client_message_key
  ON messages (conversation_id, client_message_id) WHERE client_message_id IS NOT NULL;

CREATE TABLE audit_events (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  actor_id         uuid,
  actor_kind       text NOT NULL
                   CHECK (actor_kind IN ('customer', 'agent', 'supervisor', 'admin', 'ai',
                                         'system')),
  action           text NOT NULL,
  subject_type     text NOT NULL,
  subject_id       uuid NOT NULL,
  conversation_id  uuid,
  before           jsonb,
  after            jsonb,
  request_id       text,
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_events_subject_idx ON audit_events (tenant_id, subject_type, subject_id, id);
CREATE INDEX audit_events_conversation_idx ON audit_events (conversation_id, id)
  WHERE conversation_id IS NOT NULL;
"""

TRIGGERS = r"""
-- audit events are append-only; a retention purge sets app.allow_audit_purge for its transaction
CREATE OR REPLACE FUNCTION app.audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $f$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('app.allow_audit_purge', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$f$;
CREATE TRIGGER audit_events_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION app.audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION app.audit_events_append_only();

-- a new message moves its conversation's activity clock (customers have no UPDATE right)
CREATE OR REPLACE FUNCTION app.touch_conversation() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  UPDATE conversations
     SET last_message_at = NEW.created_at, updated_at = now()
   WHERE id = NEW.conversation_id AND last_message_at < NEW.created_at;
  RETURN NEW;
END
$f$;
REVOKE ALL ON FUNCTION app.touch_conversation() FROM PUBLIC;
CREATE TRIGGER messages_touch_conversation
  AFTER INSERT ON messages
  FOR EACH ROW EXECUTE FUNCTION app.touch_conversation();
"""

POLICIES = r"""
ALTER TABLE tenants       ENABLE ROW LEVEL SECURITY;
ALTER TABLE users         ENABLE ROW LEVEL SECURITY;
ALTER TABLE credentials   ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages      ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events  ENABLE ROW LEVEL SECURITY;

-- Supabase grants everything in `public` to anon/authenticated by default: take it back and
-- grant exactly what the policies below are written for.
REVOKE ALL ON tenants, users, credentials, auth_sessions, conversations, messages, audit_events
  FROM anon, authenticated;
-- column lists: a caller may only write what the product lets them choose; timestamps, sequence
-- numbers and message metadata are set by the database or by the service itself
GRANT SELECT ON tenants TO authenticated;
GRANT SELECT ON users TO authenticated;
GRANT INSERT (id, tenant_id, role, email, display_name, is_anonymous) ON users TO authenticated;
GRANT SELECT ON conversations TO authenticated;
GRANT INSERT (tenant_id, customer_id, channel, subject, metadata) ON conversations
  TO authenticated;
GRANT UPDATE (status, subject, metadata, updated_at, closed_at) ON conversations
  TO authenticated;
GRANT SELECT ON messages TO authenticated;
GRANT INSERT (tenant_id, conversation_id, author_kind, author_id, visibility, text,
              client_message_id) ON messages TO authenticated;
GRANT SELECT ON audit_events TO authenticated;
GRANT INSERT (tenant_id, actor_id, actor_kind, action, subject_type, subject_id, conversation_id,
              before, after, request_id) ON audit_events TO authenticated;
GRANT ALL ON tenants, users, credentials, auth_sessions, conversations, messages, audit_events
  TO service_role;

CREATE POLICY tenants_read_own ON tenants FOR SELECT TO authenticated
  USING (id = (SELECT app.tenant_id()));

CREATE POLICY users_read ON users FOR SELECT TO authenticated
  USING (tenant_id = (SELECT app.tenant_id())
         AND ((SELECT app.is_staff()) OR id = (SELECT auth.uid())));
CREATE POLICY users_provision_self ON users FOR INSERT TO authenticated
  WITH CHECK (id = (SELECT auth.uid())
              AND tenant_id = (SELECT app.tenant_id())
              AND role = (SELECT app.user_role())
              AND is_anonymous = coalesce(((SELECT auth.jwt()) ->> 'is_anonymous')::boolean, false)
              AND (email IS NULL
                   OR lower(email) = lower(nullif((SELECT auth.jwt()) ->> 'email', ''))));

CREATE POLICY conversations_read ON conversations FOR SELECT TO authenticated
  USING (tenant_id = (SELECT app.tenant_id())
         AND ((SELECT app.is_staff()) OR customer_id = (SELECT auth.uid())));
CREATE POLICY conversations_customer_open ON conversations FOR INSERT TO authenticated
  WITH CHECK (tenant_id = (SELECT app.tenant_id())
              AND customer_id = (SELECT auth.uid())
              AND (SELECT app.user_role()) = 'customer'
              AND channel = 'web');
CREATE POLICY conversations_staff_update ON conversations FOR UPDATE TO authenticated
  USING (tenant_id = (SELECT app.tenant_id()) AND (SELECT app.is_staff()))
  WITH CHECK (tenant_id = (SELECT app.tenant_id()) AND (SELECT app.is_staff()));

CREATE POLICY messages_read ON messages FOR SELECT TO authenticated
  USING (tenant_id = (SELECT app.tenant_id())
         AND ((SELECT app.is_staff())
              OR (visibility = 'public'
                  AND EXISTS (SELECT 1 FROM conversations c
                               WHERE c.id = messages.conversation_id
                                 AND c.customer_id = (SELECT auth.uid())))));
CREATE POLICY messages_write ON messages FOR INSERT TO authenticated
  WITH CHECK (tenant_id = (SELECT app.tenant_id())
              AND author_id = (SELECT auth.uid())
              AND (
                ((SELECT app.user_role()) = 'customer'
                 AND author_kind = 'customer' AND visibility = 'public'
                 AND EXISTS (SELECT 1 FROM conversations c
                              WHERE c.id = messages.conversation_id
                                AND c.tenant_id = messages.tenant_id
                                AND c.customer_id = (SELECT auth.uid())))
                OR ((SELECT app.is_staff())
                    AND author_kind = 'agent'
                    AND EXISTS (SELECT 1 FROM conversations c
                                 WHERE c.id = messages.conversation_id
                                   AND c.tenant_id = messages.tenant_id))
              ));

CREATE POLICY audit_read_staff ON audit_events FOR SELECT TO authenticated
  USING (tenant_id = (SELECT app.tenant_id()) AND (SELECT app.is_staff()));
CREATE POLICY audit_append_own ON audit_events FOR INSERT TO authenticated
  WITH CHECK (tenant_id = (SELECT app.tenant_id())
              AND actor_id = (SELECT auth.uid())
              AND actor_kind = (SELECT app.user_role()));
"""


REALTIME = r"""
-- events larger than NOTIFY's 8000-byte payload limit wait here; NOTIFY carries their id
CREATE TABLE realtime_spill (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  payload     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE realtime_spill ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON realtime_spill FROM anon, authenticated;

-- Publish an event envelope on a channel, delivered at commit (dropped on rollback). A caller
-- acting for a user may only publish into that user's tenant.
CREATE OR REPLACE FUNCTION app.publish(channel text, envelope jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE
  body text := envelope::text;
  caller_tenant uuid := app.tenant_id();
  spill_id bigint;
BEGIN
  -- system callers carry no claims; any caller with claims publishes into its own tenant only
  IF (auth.jwt() IS NOT NULL OR caller_tenant IS NOT NULL)
     AND (envelope ->> 'tenant_id')::uuid IS DISTINCT FROM caller_tenant
  THEN
    RAISE EXCEPTION 'cannot publish into another tenant' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF octet_length(body) <= 7900 THEN
    PERFORM pg_notify(channel, body);
  ELSE
    -- spills are rare and read within milliseconds: each one sweeps away the old ones
    DELETE FROM realtime_spill WHERE created_at < now() - interval '10 minutes';
    INSERT INTO realtime_spill (payload) VALUES (envelope) RETURNING id INTO spill_id;
    PERFORM pg_notify(channel, json_build_object('spill', spill_id)::text);
  END IF;
END
$f$;
REVOKE ALL ON FUNCTION app.publish(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.publish(text, jsonb) TO authenticated, service_role;
"""


def upgrade() -> None:
    op.execute(ROLES_AND_AUTH_HELPERS)
    op.execute(APP_HELPERS)
    op.execute(TABLES)
    op.execute(TRIGGERS)
    op.execute(POLICIES)
    op.execute(REALTIME)
    op.execute("REVOKE ALL ON alembic_version FROM anon, authenticated")


def downgrade() -> None:
    op.execute(
        "DROP TABLE IF EXISTS realtime_spill, audit_events, messages, conversations, "
        "auth_sessions, credentials, users, tenants CASCADE"
    )
    op.execute("DROP SCHEMA IF EXISTS app CASCADE")
