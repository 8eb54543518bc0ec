"""Knowledge base: documents (each row is also its ingestion job), their files and chunks, and
the pointer to the vector collection in use.

Revision ID: 0002_knowledge
Revises: 0001_foundation
Create Date: 2026-11-21

Postgres is the source of truth: a document's file and its chunks live here, so any vector
collection can be rebuilt from them (a model change re-embeds the chunks into a new collection
and flips `knowledge_collections.status` in one transaction).
"""

from alembic import op

revision = "0002_knowledge"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

TABLES = r"""
CREATE TABLE knowledge_documents (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id         uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  -- what makes a re-upload "the same document": the file name, or an external id
  source_key        text NOT NULL CHECK (length(source_key) BETWEEN 1 AND 500),
  filename          text NOT NULL CHECK (length(filename) BETWEEN 1 AND 500),
  title             text CHECK (length(title) <= 500),
  kind              text NOT NULL
                    CHECK (kind IN ('markdown', 'text', 'html', 'pdf', 'faq_csv', 'faq_json')),
  content_type      text CHECK (length(content_type) <= 200),
  source_url        text CHECK (length(source_url) <= 2000),
  content_hash      text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  size_bytes        integer NOT NULL CHECK (size_bytes >= 0),
  status            text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'processing', 'indexed', 'failed')),
  error             text,
  chunk_count       integer NOT NULL DEFAULT 0,
  embedding_model   text,
  attempts          integer NOT NULL DEFAULT 0,
  -- a worker holds a processing document until then; past it, another worker takes it over
  lease_expires_at  timestamptz,
  created_by        uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  indexed_at        timestamptz,
  UNIQUE (tenant_id, source_key)
);
CREATE INDEX knowledge_documents_list ON knowledge_documents (tenant_id, created_at DESC, id DESC);
CREATE INDEX knowledge_documents_pending ON knowledge_documents (updated_at)
  WHERE status IN ('queued', 'processing');

CREATE TABLE knowledge_files (
  document_id  uuid PRIMARY KEY REFERENCES knowledge_documents(id) ON DELETE CASCADE,
  tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  data         bytea NOT NULL
);

CREATE TABLE knowledge_chunks (
  id            uuid PRIMARY KEY,  -- the vector point id: uuid5(tenant/document/chunk_no)
  tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  document_id   uuid NOT NULL REFERENCES knowledge_documents(id) ON DELETE CASCADE,
  chunk_no      integer NOT NULL CHECK (chunk_no >= 0),
  title         text NOT NULL,
  section       text,
  text          text NOT NULL,
  content_hash  text NOT NULL,
  UNIQUE (document_id, chunk_no)
);
CREATE INDEX knowledge_chunks_tenant ON knowledge_chunks (tenant_id);

-- one row per vector collection ever built; exactly one is active
CREATE TABLE knowledge_collections (
  name          text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  model_id      text NOT NULL,
  provider      text NOT NULL,
  model_name    text,
  dim           integer NOT NULL CHECK (dim > 0),
  status        text NOT NULL CHECK (status IN ('building', 'active', 'retired')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  activated_at  timestamptz,
  retired_at    timestamptz
);
CREATE UNIQUE INDEX knowledge_collections_one_active ON knowledge_collections ((true))
  WHERE status = 'active';
"""

POLICIES = r"""
ALTER TABLE knowledge_documents   ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_files       ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_chunks      ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_collections ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON knowledge_documents, knowledge_files, knowledge_chunks, knowledge_collections
  FROM anon, authenticated;

-- staff manage their tenant's documents; status past 'queued', chunks and collections are
-- written by the ingestion worker (the service itself)
GRANT SELECT, DELETE ON knowledge_documents TO authenticated;
GRANT INSERT (tenant_id, source_key, filename, title, kind, content_type, source_url,
              content_hash, size_bytes, status, created_by) ON knowledge_documents
  TO authenticated;
GRANT UPDATE (filename, title, kind, content_type, source_url, content_hash, size_bytes, status,
              error, attempts, updated_at) ON knowledge_documents TO authenticated;
GRANT SELECT, INSERT ON knowledge_files TO authenticated;
GRANT UPDATE (data) ON knowledge_files TO authenticated;
GRANT SELECT ON knowledge_chunks TO authenticated;
GRANT ALL ON knowledge_documents, knowledge_files, knowledge_chunks, knowledge_collections
  TO service_role;

CREATE POLICY knowledge_documents_staff_read ON knowledge_documents FOR SELECT TO authenticated
  USING (tenant_id = (SELECT app.tenant_id()) AND (SELECT app.is_staff()));
CREATE POLICY knowledge_documents_staff_add ON knowledge_documents FOR INSERT TO authenticated
  WITH CHECK (tenant_id = (SELECT app.tenant_id()) AND (SELECT app.is_staff())
              AND status = 'queued' AND created_by = (SELECT auth.uid()));
CREATE POLICY knowledge_documents_staff_requeue ON knowledge_documents FOR UPDATE TO authenticated
  USING (tenant_id = (SELECT app.tenant_id()) AND (SELECT app.is_staff()))
  WITH CHECK (tenant_id = (SELECT app.tenant_id()) AND status = 'queued');
CREATE POLICY knowledge_documents_staff_delete ON knowledge_documents FOR DELETE TO authenticated
  USING (tenant_id = (SELECT app.tenant_id()) AND (SELECT app.is_staff()));

CREATE POLICY knowledge_files_staff ON knowledge_files FOR ALL TO authenticated
  USING (tenant_id = (SELECT app.tenant_id()) AND (SELECT app.is_staff()))
  WITH CHECK (tenant_id = (SELECT app.tenant_id()) AND (SELECT app.is_staff())
              AND EXISTS (SELECT 1 FROM knowledge_documents d
                           WHERE d.id = knowledge_files.document_id
                             AND d.tenant_id = knowledge_files.tenant_id));

CREATE POLICY knowledge_chunks_staff_read ON knowledge_chunks FOR SELECT TO authenticated
  USING (tenant_id = (SELECT app.tenant_id()) AND (SELECT app.is_staff()));
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(POLICIES)


def downgrade() -> None:
    op.execute(
        "DROP TABLE IF EXISTS knowledge_chunks, knowledge_files, knowledge_documents, "
        "knowledge_collections CASCADE"
    )
