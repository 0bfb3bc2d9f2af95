-- Tenants and their per-group counts. Every statement is idempotent.
CREATE TABLE IF NOT EXISTS tenants (
	id             TEXT        COLLATE "C" NOT NULL PRIMARY KEY,
	name           TEXT        NOT NULL,
	name_lower     TEXT        NOT NULL,
	subdomain      TEXT        NOT NULL,
	status         TEXT        NOT NULL CHECK (status IN ('trial', 'active', 'suspended', 'cancelled')),
	plan_id        TEXT,
	owner_id       TEXT,
	contact_name   TEXT        NOT NULL,
	contact_email  TEXT        NOT NULL,
	contact_phone  TEXT        NOT NULL DEFAULT '',
	industry       TEXT        NOT NULL DEFAULT '',
	company_size   TEXT        NOT NULL DEFAULT '',
	settings_extra TEXT,
	created_at     TIMESTAMPTZ NOT NULL,
	updated_at     TIMESTAMPTZ NOT NULL,
	deleted_at     TIMESTAMPTZ
)
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS tenants_subdomain_key ON tenants (lower(subdomain)) WHERE deleted_at IS NULL
--bun:split
CREATE INDEX IF NOT EXISTS tenants_created_idx ON tenants (created_at, id)
--bun:split
CREATE INDEX IF NOT EXISTS tenants_status_created_idx ON tenants (status, created_at, id)
--bun:split
CREATE INDEX IF NOT EXISTS tenants_plan_created_idx ON tenants (plan_id, created_at, id)
--bun:split
CREATE INDEX IF NOT EXISTS tenants_owner_created_idx ON tenants (owner_id, created_at, id)
--bun:split
CREATE TABLE IF NOT EXISTS tenant_counts (
	status   TEXT    NOT NULL,
	plan_id  TEXT    NOT NULL DEFAULT '',
	owner_id TEXT    NOT NULL DEFAULT '',
	deleted  BOOLEAN NOT NULL,
	n        BIGINT  NOT NULL CHECK (n >= 0),
	PRIMARY KEY (status, plan_id, owner_id, deleted)
)
