"""Supabase Realtime: every published event also goes out as a private broadcast on its topic.

Revision ID: 0005_supabase_realtime
Revises: 0004_hitl
Create Date: 2026-11-21

On Supabase, browsers built with a Supabase URL and key take their events from Supabase Realtime
instead of the backend's WebSocket. `app.publish` (which already NOTIFYs the backend's hub) then
also calls `realtime.send(event, event.type, topic, private => true)` for each of the envelope's
topics, inside the writer's transaction (Supabase delivers it at commit, like NOTIFY). Events for
staff only go to `staff:<topic>`, so a customer following `conversation:<id>` never receives
them. Who may join which private topic is decided by RLS on `realtime.messages` with the same
rules as the backend's WebSocket (`app.may_follow`).

Where there is no `realtime` schema (the embedded PostgreSQL, a plain Postgres) nothing changes.
`app.install_supabase_realtime()` adds the policy; the migration calls it when the schema exists,
and it can be called again after Realtime is enabled later.
"""

from alembic import op

revision = "0005_supabase_realtime"
down_revision = "0004_hitl"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- may the caller (claims of the current transaction) follow this topic? The WebSocket's rules:
-- a conversation topic for those who see the conversation under RLS, its staff twin for staff
-- only; a tenant's conversations, queue and knowledge topics for its staff; its dashboard topic
-- for its supervisors and admins.
CREATE OR REPLACE FUNCTION app.may_follow(topic text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = public, pg_temp AS $f$
DECLARE
  name text := topic;
  staff_only boolean := false;
  parts text[];
  followed_id uuid;
BEGIN
  IF name LIKE 'staff:%' THEN
    staff_only := true;
    name := substr(name, 7);
  END IF;
  parts := string_to_array(name, ':');
  BEGIN
    followed_id := parts[2]::uuid;
  EXCEPTION WHEN invalid_text_representation THEN
    RETURN false;
  END;
  IF array_length(parts, 1) = 2 AND parts[1] = 'conversation' THEN
    IF staff_only AND NOT app.is_staff() THEN
      RETURN false;
    END IF;
    -- RLS on conversations applies: customers see their own, staff their tenant's
    RETURN EXISTS (SELECT 1 FROM conversations c WHERE c.id = followed_id);
  END IF;
  IF array_length(parts, 1) = 3 AND parts[1] = 'tenant' AND followed_id = app.tenant_id() THEN
    IF parts[3] IN ('conversations', 'queue', 'knowledge') THEN
      RETURN app.is_staff();
    END IF;
    IF parts[3] = 'dashboard' THEN
      RETURN coalesce(app.user_role() IN ('supervisor', 'admin'), false);
    END IF;
  END IF;
  RETURN false;
END
$f$;
GRANT EXECUTE ON FUNCTION app.may_follow(text) TO authenticated;

CREATE OR REPLACE FUNCTION app.install_supabase_realtime() RETURNS boolean
LANGUAGE plpgsql AS $f$
BEGIN
  IF to_regclass('realtime.messages') IS NULL THEN
    RETURN false;
  END IF;
  EXECUTE 'DROP POLICY IF EXISTS contactcenter_follow ON realtime.messages';
  EXECUTE $p$
    CREATE POLICY contactcenter_follow ON realtime.messages FOR SELECT TO authenticated
    USING (extension = 'broadcast' AND app.may_follow(realtime.topic()))
  $p$;
  RETURN true;
END
$f$;

CREATE OR REPLACE FUNCTION app.publish(channel text, envelope jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE
  body text := envelope::text;
  caller_tenant uuid := app.tenant_id();
  spill_id bigint;
  topic text;
  prefix text := CASE WHEN envelope ->> 'audience' = 'staff' THEN 'staff:' ELSE '' END;
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
  -- Supabase Realtime, where it exists: a private broadcast per topic (tenant topics are staff
  -- topics already, so only conversation topics get the staff prefix)
  IF to_regprocedure('realtime.send(jsonb,text,text,boolean)') IS NOT NULL THEN
    FOR topic IN SELECT jsonb_array_elements_text(envelope -> 'topics') LOOP
      EXECUTE 'SELECT realtime.send($1, $2, $3, true)'
        USING envelope -> 'event',
              envelope -> 'event' ->> 'type',
              CASE WHEN topic LIKE 'conversation:%' THEN prefix || topic ELSE topic END;
    END LOOP;
  END IF;
END
$f$;
REVOKE ALL ON FUNCTION app.publish(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.publish(text, jsonb) TO authenticated, service_role;

SELECT app.install_supabase_realtime();
"""

DOWNGRADE = r"""
DO $d$ BEGIN
  IF to_regclass('realtime.messages') IS NOT NULL THEN
    EXECUTE 'DROP POLICY IF EXISTS contactcenter_follow ON realtime.messages';
  END IF;
END $d$;
DROP FUNCTION IF EXISTS app.install_supabase_realtime();
DROP FUNCTION IF EXISTS app.may_follow(text);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
