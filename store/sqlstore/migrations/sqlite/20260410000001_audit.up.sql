-- The audit log: one row per mutating call of the platform, never changed.
-- Lists read it by tenant, or by actor, newest first. Every statement is
-- idempotent.
CREATE TABLE IF NOT EXISTS audit_log (
	id         TEXT      NOT NULL PRIMARY KEY,
	at         TIMESTAMP NOT NULL,
	actor_kind TEXT      NOT NULL DEFAULT '',
	actor_id   TEXT      NOT NULL DEFAULT '',
	actor_role TEXT      NOT NULL DEFAULT '',
	action     TEXT      NOT NULL,
	target     TEXT      NOT NULL DEFAULT '',
	tenant_id  TEXT      NOT NULL DEFAULT '',
	outcome    TEXT      NOT NULL CHECK (outcome IN ('succeeded', 'denied', 'failed')),
	code       TEXT      NOT NULL DEFAULT ''
)
--bun:split
CREATE INDEX IF NOT EXISTS audit_log_tenant_at_idx ON audit_log (tenant_id, at, id)
--bun:split
CREATE INDEX IF NOT EXISTS audit_log_actor_at_idx ON audit_log (actor_id, at, id)
--bun:split
CREATE INDEX IF NOT EXISTS audit_log_at_idx ON audit_log (at, id)
