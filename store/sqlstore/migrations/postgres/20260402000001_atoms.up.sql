-- The atom marketplace: the published catalog (global: no tenant owns it),
-- its version stamp, and each tenant's installations (tenant-owned: every
-- key and index leads with tenant_id). Every statement is idempotent.
CREATE TABLE IF NOT EXISTS atom_versions (
	atom_id TEXT   COLLATE "C" NOT NULL,
	version TEXT   COLLATE "C" NOT NULL,
	-- seq orders the versions by publication.
	seq     BIGINT NOT NULL,
	-- doc is the atom version as JSON text (not jsonb, so that the config
	-- schema reads back byte for byte).
	doc     TEXT   NOT NULL,
	PRIMARY KEY (atom_id, version)
)
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS atom_versions_seq_key ON atom_versions (seq)
--bun:split
-- One row: the catalog version, moved forward by each publication. Its row
-- lock serializes publishers.
CREATE TABLE IF NOT EXISTS atom_catalog (
	id      BIGINT  NOT NULL PRIMARY KEY CHECK (id = 1),
	version BIGINT  NOT NULL CHECK (version >= 0)
)
--bun:split
INSERT INTO atom_catalog (id, version) VALUES (1, 0) ON CONFLICT DO NOTHING
--bun:split
CREATE TABLE IF NOT EXISTS atom_installations (
	tenant_id    TEXT        COLLATE "C" NOT NULL REFERENCES tenants (id),
	id           TEXT        COLLATE "C" NOT NULL,
	atom_id      TEXT        COLLATE "C" NOT NULL,
	version      TEXT        NOT NULL,
	mode         TEXT        NOT NULL CHECK (mode IN ('explicit', 'dependency')),
	-- config is the installation's config as compact JSON text, verbatim.
	config       TEXT        NOT NULL,
	status       TEXT        NOT NULL,
	installed_at TIMESTAMPTZ NOT NULL,
	updated_at   TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (tenant_id, id)
)
--bun:split
-- One installation per atom and tenant; it also serves the list order and
-- the atom counts of tenant lists.
CREATE UNIQUE INDEX IF NOT EXISTS atom_installations_atom_key ON atom_installations (tenant_id, atom_id)
