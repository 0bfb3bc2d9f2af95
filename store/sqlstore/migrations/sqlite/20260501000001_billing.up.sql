-- Billing: the plan catalogue and SKUs (global: no tenant owns them), and
-- each tenant's subscription, usage records, threshold marks and invoices
-- (tenant-owned: every key and index leads with tenant_id, but for the
-- documented exceptions below). Maps and lists are JSON text; amounts are
-- INTEGER minor units, exact decimals JSON strings. Every statement is
-- idempotent.
CREATE TABLE IF NOT EXISTS plans (
	id          TEXT        NOT NULL PRIMARY KEY,
	name        TEXT        NOT NULL,
	description TEXT        NOT NULL DEFAULT '',
	currency    TEXT        NOT NULL,
	-- prices maps an interval to minor units; limits a limit name to its
	-- value; features a feature name to compact JSON.
	prices      TEXT        NOT NULL,
	trial_days  INTEGER     NOT NULL CHECK (trial_days >= 0),
	limits      TEXT        NOT NULL,
	features    TEXT        NOT NULL,
	is_popular  BOOLEAN     NOT NULL,
	status      TEXT        NOT NULL CHECK (status IN ('active', 'archived')),
	created_at  TIMESTAMP   NOT NULL,
	updated_at  TIMESTAMP   NOT NULL
)
--bun:split
CREATE TABLE IF NOT EXISTS skus (
	code           TEXT        NOT NULL PRIMARY KEY,
	name           TEXT        NOT NULL,
	aggregation    TEXT        NOT NULL CHECK (aggregation IN ('sum', 'count', 'max', 'last', 'unique')),
	-- price is the billing.Price as JSON; plan_ids a JSON array.
	price          TEXT        NOT NULL,
	plan_ids       TEXT        NOT NULL,
	commissionable BOOLEAN     NOT NULL,
	created_at     TIMESTAMP   NOT NULL
)
--bun:split
-- One subscription per tenant. The references to plans keep a plan in use
-- from being deleted, concurrent transactions included.
CREATE TABLE IF NOT EXISTS subscriptions (
	tenant_id            TEXT        NOT NULL PRIMARY KEY,
	id                   TEXT        NOT NULL,
	plan_id              TEXT        NOT NULL REFERENCES plans (id),
	status               TEXT        NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'cancelled', 'expired')),
	billing_interval     TEXT        NOT NULL,
	anchor               TIMESTAMP   NOT NULL,
	started_at           TIMESTAMP   NOT NULL,
	trial_end            TIMESTAMP  ,
	converted_at         TIMESTAMP  ,
	cancel_at_period_end BOOLEAN     NOT NULL,
	pending_plan_id      TEXT        REFERENCES plans (id),
	change_at            TIMESTAMP  ,
	ended_at             TIMESTAMP  ,
	-- segments is the JSON array of billing.Segment, oldest first.
	segments             TEXT        NOT NULL,
	tax_rate_bp          INTEGER     NOT NULL,
	created_at           TIMESTAMP   NOT NULL,
	updated_at           TIMESTAMP   NOT NULL
)
--bun:split
-- Not led by tenant_id, like users_id_key: subscription IDs are unique
-- across tenants.
CREATE UNIQUE INDEX IF NOT EXISTS subscriptions_id_key ON subscriptions (id)
--bun:split
CREATE TABLE IF NOT EXISTS usage_records (
	tenant_id       TEXT        NOT NULL,
	idempotency_key TEXT        NOT NULL,
	metric          TEXT        NOT NULL,
	quantity        INTEGER     NOT NULL,
	subject         TEXT        NOT NULL DEFAULT '',
	ts              TIMESTAMP   NOT NULL,
	received_at     TIMESTAMP   NOT NULL,
	PRIMARY KEY (tenant_id, idempotency_key)
)
--bun:split
CREATE INDEX IF NOT EXISTS usage_records_metric_ts_idx ON usage_records (tenant_id, metric, ts)
--bun:split
CREATE TABLE IF NOT EXISTS threshold_marks (
	tenant_id    TEXT        NOT NULL,
	metric       TEXT        NOT NULL,
	period_start TIMESTAMP   NOT NULL,
	percent      INTEGER     NOT NULL,
	PRIMARY KEY (tenant_id, metric, period_start, percent)
)
--bun:split
CREATE TABLE IF NOT EXISTS invoices (
	tenant_id        TEXT        NOT NULL,
	id               TEXT        NOT NULL,
	subscription_id  TEXT        NOT NULL,
	plan_id          TEXT        NOT NULL,
	owner_id         TEXT        NOT NULL DEFAULT '',
	status           TEXT        NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
	currency         TEXT        NOT NULL,
	month            TEXT        NOT NULL,
	period_start     TIMESTAMP   NOT NULL,
	period_end       TIMESTAMP   NOT NULL,
	-- lines is the JSON array of billing.InvoiceLine.
	lines            TEXT        NOT NULL,
	subtotal         INTEGER     NOT NULL,
	tax_rate_bp      INTEGER     NOT NULL,
	tax              INTEGER     NOT NULL,
	total            INTEGER     NOT NULL,
	created_at       TIMESTAMP   NOT NULL,
	due_at           TIMESTAMP   NOT NULL,
	finalized_at     TIMESTAMP  ,
	paid_at          TIMESTAMP  ,
	voided_at        TIMESTAMP  ,
	uncollectible_at TIMESTAMP  ,
	updated_at       TIMESTAMP   NOT NULL,
	PRIMARY KEY (tenant_id, id)
)
--bun:split
-- One invoice per subscription period: what makes a billing run
-- exactly-once.
CREATE UNIQUE INDEX IF NOT EXISTS invoices_period_key ON invoices (tenant_id, subscription_id, period_start)
--bun:split
CREATE INDEX IF NOT EXISTS invoices_created_idx ON invoices (tenant_id, created_at, id)
--bun:split
-- The exceptions to the tenant_id rule: invoice IDs are unique across
-- tenants and GetInvoice finds one by ID alone; the billing run and the
-- owners' lists select by month across tenants.
CREATE UNIQUE INDEX IF NOT EXISTS invoices_id_key ON invoices (id)
--bun:split
CREATE INDEX IF NOT EXISTS invoices_month_idx ON invoices (month)
--bun:split
CREATE INDEX IF NOT EXISTS invoices_owner_month_idx ON invoices (owner_id, month)
