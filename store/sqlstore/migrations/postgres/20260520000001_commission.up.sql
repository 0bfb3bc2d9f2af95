-- Commissions: plans, the resellers' assignments and monthly statements
-- (the platform's and the resellers': no tenant owns them), and the
-- entries, each one party's share of one invoice line (tenant-owned: the
-- primary key leads with tenant_id, but for the documented exceptions
-- below). Versions are JSON text; amounts are BIGINT minor units. Every
-- statement is idempotent.
CREATE TABLE IF NOT EXISTS commission_plans (
	id         TEXT        COLLATE "C" NOT NULL PRIMARY KEY,
	name       TEXT        NOT NULL,
	level      TEXT        NOT NULL CHECK (level IN ('distributor', 'partner')),
	-- versions is the JSON array of commission.Version, oldest first.
	versions   TEXT        NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
)
--bun:split
CREATE TABLE IF NOT EXISTS commission_assignments (
	reseller_id TEXT        COLLATE "C" NOT NULL PRIMARY KEY,
	plan_id     TEXT        COLLATE "C" NOT NULL REFERENCES commission_plans (id),
	updated_at  TIMESTAMPTZ NOT NULL
)
--bun:split
-- One statement per reseller, month and currency. total and entries are
-- frozen when it closes; a draft's are computed from its entries.
CREATE TABLE IF NOT EXISTS commission_statements (
	id          TEXT        COLLATE "C" NOT NULL PRIMARY KEY,
	reseller_id TEXT        COLLATE "C" NOT NULL,
	month       TEXT        COLLATE "C" NOT NULL,
	currency    TEXT        COLLATE "C" NOT NULL,
	status      TEXT        NOT NULL CHECK (status IN ('draft', 'closed')),
	total       BIGINT      NOT NULL DEFAULT 0,
	entries     BIGINT      NOT NULL DEFAULT 0,
	created_at  TIMESTAMPTZ NOT NULL,
	closed_at   TIMESTAMPTZ,
	CONSTRAINT commission_statements_key UNIQUE (reseller_id, month, currency)
)
--bun:split
CREATE INDEX IF NOT EXISTS commission_statements_month_idx ON commission_statements (month, reseller_id, currency)
--bun:split
-- An entry is immutable and stored once per key (ON CONFLICT DO NOTHING).
-- statement_id is NULL for the platform's entries.
CREATE TABLE IF NOT EXISTS commission_entries (
	tenant_id     TEXT        COLLATE "C" NOT NULL,
	invoice_id    TEXT        COLLATE "C" NOT NULL,
	line          BIGINT      NOT NULL CHECK (line >= 0),
	party         TEXT        COLLATE "C" NOT NULL CHECK (party IN ('distributor', 'partner', 'platform')),
	kind          TEXT        COLLATE "C" NOT NULL CHECK (kind IN ('earned', 'clawback', 'reinstated')),
	statement_id  TEXT        COLLATE "C" REFERENCES commission_statements (id),
	reseller_id   TEXT        COLLATE "C" NOT NULL DEFAULT '',
	month         TEXT        COLLATE "C" NOT NULL,
	invoice_month TEXT        COLLATE "C" NOT NULL,
	currency      TEXT        NOT NULL,
	line_kind     TEXT        NOT NULL DEFAULT '',
	sku           TEXT        NOT NULL DEFAULT '',
	billing_plan  TEXT        NOT NULL DEFAULT '',
	net_amount    BIGINT      NOT NULL,
	rate_bp       BIGINT      NOT NULL,
	detail        TEXT        NOT NULL DEFAULT '',
	amount        BIGINT      NOT NULL,
	plan_id       TEXT        NOT NULL DEFAULT '',
	version_month TEXT        NOT NULL DEFAULT '',
	excluded      TEXT        NOT NULL DEFAULT '',
	created_at    TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (tenant_id, invoice_id, line, party, kind)
)
--bun:split
-- The exceptions to the tenant_id rule: a statement's entries, and the
-- entries of a month (reported, or invoiced), are read across tenants by
-- the statements, the commission run and the summaries.
CREATE INDEX IF NOT EXISTS commission_entries_statement_idx ON commission_entries (statement_id)
--bun:split
CREATE INDEX IF NOT EXISTS commission_entries_month_idx ON commission_entries (month)
--bun:split
CREATE INDEX IF NOT EXISTS commission_entries_invoice_month_idx ON commission_entries (invoice_month)
