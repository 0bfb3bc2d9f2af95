-- The reseller chain: distributors and partners (platform records), and
-- two tenant-owned tables, each keyed and indexed by tenant_id first: the
-- ownership history of every tenant, and its customer profile (seed 003).
-- Every statement is idempotent.
CREATE TABLE IF NOT EXISTS resellers (
	id                  TEXT      COLLATE "C" NOT NULL PRIMARY KEY,
	kind                TEXT      NOT NULL CHECK (kind IN ('distributor', 'partner')),
	-- distributor_id is the distributor a partner sells under; NULL for a
	-- partner directly under the platform, and for a distributor.
	distributor_id      TEXT      COLLATE "C" REFERENCES resellers (id),
	name                TEXT      NOT NULL,
	name_lower          TEXT      NOT NULL,
	contact_name        TEXT      NOT NULL,
	contact_email       TEXT      NOT NULL,
	contact_phone       TEXT      NOT NULL DEFAULT '',
	address_line1       TEXT      NOT NULL,
	address_line2       TEXT      NOT NULL DEFAULT '',
	postcode            TEXT      NOT NULL,
	city                TEXT      NOT NULL DEFAULT '',
	region              TEXT      NOT NULL DEFAULT '',
	country             TEXT      NOT NULL,
	registration_number TEXT      NOT NULL DEFAULT '',
	website             TEXT      NOT NULL DEFAULT '',
	status              TEXT      NOT NULL CHECK (status IN ('active', 'suspended')),
	created_at          TIMESTAMPTZ NOT NULL,
	updated_at          TIMESTAMPTZ NOT NULL,
	deleted_at          TIMESTAMPTZ
)
--bun:split
CREATE INDEX IF NOT EXISTS resellers_kind_created_idx ON resellers (kind, created_at, id)
--bun:split
CREATE INDEX IF NOT EXISTS resellers_distributor_created_idx ON resellers (distributor_id, created_at, id)
--bun:split
-- One row per owner a tenant had: owner_id ('' for the platform) from
-- valid_from (included) to valid_to (excluded; NULL for the newest row).
CREATE TABLE IF NOT EXISTS tenant_owners (
	tenant_id  TEXT      COLLATE "C" NOT NULL REFERENCES tenants (id),
	valid_from TIMESTAMPTZ NOT NULL,
	owner_id   TEXT      NOT NULL DEFAULT '',
	valid_to   TIMESTAMPTZ,
	PRIMARY KEY (tenant_id, valid_from)
)
--bun:split
CREATE TABLE IF NOT EXISTS customer_profiles (
	tenant_id           TEXT      COLLATE "C" NOT NULL PRIMARY KEY REFERENCES tenants (id),
	nickname            TEXT      NOT NULL,
	registration_number TEXT      NOT NULL DEFAULT '',
	address_line1       TEXT      NOT NULL,
	address_line2       TEXT      NOT NULL DEFAULT '',
	postcode            TEXT      NOT NULL,
	city                TEXT      NOT NULL DEFAULT '',
	region              TEXT      NOT NULL DEFAULT '',
	country             TEXT      NOT NULL,
	website             TEXT      NOT NULL DEFAULT '',
	created_at          TIMESTAMPTZ NOT NULL,
	updated_at          TIMESTAMPTZ NOT NULL
)
