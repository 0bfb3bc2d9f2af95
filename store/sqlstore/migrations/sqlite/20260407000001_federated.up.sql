-- Federated identities: each (provider, subject) linked to one user.
-- Every statement is idempotent.
CREATE TABLE IF NOT EXISTS federated_links (
	provider   TEXT NOT NULL CHECK (provider IN ('google', 'entra')),
	subject    TEXT NOT NULL,
	tenant_id  TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	PRIMARY KEY (provider, subject)
)
--bun:split
CREATE INDEX IF NOT EXISTS federated_links_user_idx ON federated_links (tenant_id, user_id)
