-- The atom marketplace: the published catalog (global: no tenant owns it),
-- its version stamp, and each tenant's installations (tenant-owned: every
-- key and index leads with tenant_id). Every statement is idempotent.
CREATE TABLE IF NOT EXISTS atom_versions (
	atom_id TEXT    NOT NULL,
	version TEXT    NOT NULL,
	-- seq orders the versions by publication.
	seq     INTEGER NOT NULL,
	-- doc is the atom version as JSON text (not jsonb, so that the config
	-- schema reads back byte for byte).
	doc     TEXT    NOT NULL,
	PRIMARY KEY (atom_id, version)
)
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS atom_versions_seq_key ON atom_versions (seq)
--bun:split
-- One row: the catalog version, moved forward by each publication. Its row
-- lock serializes publishers (SQLite: the one writer does).
CREATE TABLE IF NOT EXISTS atom_catalog (
	id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL CHECK (version >= 0)
)
--bun:split
INSERT INTO atom_catalog (id, version) VALUES (1, 0) ON CONFLICT DO NOTHING
--bun:split
CREATE TABLE IF NOT EXISTS atom_installations (
	tenant_id    TEXT        NOT NULL REFERENCES tenants (id),
	id           TEXT        NOT NULL,
	atom_id      TEXT        NOT NULL,
	version      TEXT        NOT NULL,
	mode         TEXT        NOT NULL CHECK (mode IN ('explicit', 'dependency')),
	-- config is the installation's config as compact JSON text, verbatim.
	config       TEXT        NOT NULL,
	status       TEXT        NOT NULL,
	installed_at TIMESTAMP   NOT NULL,
	updated_at   TIMESTAMP   NOT NULL,
	PRIMARY KEY (tenant_id, id)
)
--bun:split
-- One installation per atom and tenant; it also serves the list order and
-- the atom counts of tenant lists.
CREATE UNIQUE INDEX IF NOT EXISTS atom_installations_atom_key ON atom_installations (tenant_id, atom_id)
