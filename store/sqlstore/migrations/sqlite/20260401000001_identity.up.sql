-- Identity: users, refresh-token families and tokens, set-password tokens,
-- signing keys, TOTP enrolments with recovery codes, and failure counters.
-- Every tenant-owned table leads its keys with tenant_id ('' for users
-- without a tenant). Every statement is idempotent.
CREATE TABLE IF NOT EXISTS users (
	tenant_id     TEXT      NOT NULL,
	id            TEXT      NOT NULL,
	scope_kind    TEXT      NOT NULL CHECK (scope_kind IN ('platform', 'distributor', 'partner', 'tenant')),
	scope_id      TEXT      NOT NULL DEFAULT '',
	name          TEXT      NOT NULL,
	email         TEXT      NOT NULL,
	email_key     TEXT      NOT NULL,
	phone         TEXT      NOT NULL DEFAULT '',
	role          TEXT      NOT NULL CHECK (role IN ('super_admin', 'distributor_admin', 'partner_admin', 'tenant_admin', 'tenant_member')),
	permissions   TEXT,
	status        TEXT      NOT NULL CHECK (status IN ('active', 'disabled')),
	password_hash TEXT      NOT NULL DEFAULT '',
	created_at    TIMESTAMP NOT NULL,
	updated_at    TIMESTAMP NOT NULL,
	last_login_at TIMESTAMP,
	PRIMARY KEY (tenant_id, id)
)
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON users (tenant_id, email_key)
--bun:split
-- The one index not led by tenant_id: user IDs are unique across tenants,
-- and the platform's staff look users up by ID alone (FindUser).
CREATE UNIQUE INDEX IF NOT EXISTS users_id_key ON users (id)
--bun:split
CREATE INDEX IF NOT EXISTS users_created_idx ON users (tenant_id, created_at, id)
--bun:split
CREATE TABLE IF NOT EXISTS refresh_families (
	tenant_id  TEXT      NOT NULL,
	id         TEXT      NOT NULL,
	user_id    TEXT      NOT NULL,
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL,
	revoked_at TIMESTAMP,
	PRIMARY KEY (tenant_id, id)
)
--bun:split
CREATE INDEX IF NOT EXISTS refresh_families_user_idx ON refresh_families (tenant_id, user_id)
--bun:split
CREATE TABLE IF NOT EXISTS refresh_tokens (
	tenant_id  TEXT      NOT NULL,
	token_hash TEXT      NOT NULL,
	key_id     TEXT      NOT NULL,
	family_id  TEXT      NOT NULL,
	user_id    TEXT      NOT NULL,
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL,
	used_at    TIMESTAMP,
	PRIMARY KEY (tenant_id, token_hash)
)
--bun:split
CREATE INDEX IF NOT EXISTS refresh_tokens_family_idx ON refresh_tokens (tenant_id, family_id)
--bun:split
CREATE INDEX IF NOT EXISTS refresh_tokens_user_idx ON refresh_tokens (tenant_id, user_id)
--bun:split
CREATE TABLE IF NOT EXISTS set_password_tokens (
	tenant_id  TEXT      NOT NULL,
	token_hash TEXT      NOT NULL,
	key_id     TEXT      NOT NULL,
	user_id    TEXT      NOT NULL,
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL,
	used_at    TIMESTAMP,
	PRIMARY KEY (tenant_id, token_hash)
)
--bun:split
CREATE INDEX IF NOT EXISTS set_password_tokens_user_idx ON set_password_tokens (tenant_id, user_id)
--bun:split
-- Signing keys belong to the platform, not to a tenant.
CREATE TABLE IF NOT EXISTS signing_keys (
	id          TEXT      NOT NULL PRIMARY KEY,
	algorithm   TEXT      NOT NULL CHECK (algorithm IN ('RS256', 'ES256', 'EdDSA')),
	private_key BLOB      NOT NULL,
	created_at  TIMESTAMP NOT NULL,
	retired_at  TIMESTAMP
)
--bun:split
CREATE TABLE IF NOT EXISTS user_totp (
	tenant_id    TEXT      NOT NULL,
	user_id      TEXT      NOT NULL,
	secret       BLOB      NOT NULL,
	confirmed    BOOLEAN   NOT NULL,
	last_step    INTEGER   NOT NULL,
	created_at   TIMESTAMP NOT NULL,
	confirmed_at TIMESTAMP,
	PRIMARY KEY (tenant_id, user_id)
)
--bun:split
CREATE TABLE IF NOT EXISTS user_recovery_codes (
	tenant_id TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	code_hash TEXT NOT NULL,
	PRIMARY KEY (tenant_id, user_id, code_hash)
)
--bun:split
CREATE TABLE IF NOT EXISTS login_attempts (
	tenant_id    TEXT      NOT NULL,
	subject      TEXT      NOT NULL,
	kind         TEXT      NOT NULL CHECK (kind IN ('password', 'totp')),
	count        INTEGER   NOT NULL CHECK (count >= 0),
	last_failure TIMESTAMP NOT NULL,
	PRIMARY KEY (tenant_id, subject, kind)
)
