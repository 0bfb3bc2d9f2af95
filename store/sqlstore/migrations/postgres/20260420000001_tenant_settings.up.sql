-- Tenant settings: one versioned JSON document per tenant (its branding
-- and the login methods it keeps on), keyed by the tenant. Every
-- statement is idempotent.
CREATE TABLE IF NOT EXISTS tenant_settings (
	tenant_id  TEXT NOT NULL PRIMARY KEY REFERENCES tenants (id),
	doc        TEXT NOT NULL,
	version    BIGINT NOT NULL CHECK (version > 0),
	updated_at TIMESTAMPTZ NOT NULL
)
