-- The custom roles of tenants, keyed by tenant first. permissions is a
-- JSON array of grants. Every statement is idempotent.
CREATE TABLE IF NOT EXISTS tenant_roles (
	tenant_id   TEXT      NOT NULL REFERENCES tenants (id),
	name        TEXT      NOT NULL,
	description TEXT      NOT NULL DEFAULT '',
	permissions TEXT      NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (tenant_id, name)
)
