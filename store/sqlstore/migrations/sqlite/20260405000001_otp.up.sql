-- Phone OTP login: challenges (the code kept only as a keyed hash) and the
-- fixed-window counters that bound sends and tries per phone and SMS per
-- tenant. Every statement is idempotent.
CREATE TABLE IF NOT EXISTS otp_challenges (
	id           TEXT      NOT NULL PRIMARY KEY,
	tenant_id    TEXT      NOT NULL,
	phone        TEXT      NOT NULL,
	user_id      TEXT      NOT NULL DEFAULT '',
	purpose      TEXT      NOT NULL,
	code_hash    TEXT      NOT NULL,
	key_id       TEXT      NOT NULL,
	attempts     INTEGER   NOT NULL CHECK (attempts >= 0),
	max_attempts INTEGER   NOT NULL CHECK (max_attempts > 0),
	created_at   TIMESTAMP NOT NULL,
	expires_at   TIMESTAMP NOT NULL,
	used_at      TIMESTAMP
)
--bun:split
CREATE INDEX IF NOT EXISTS otp_challenges_expires_idx ON otp_challenges (expires_at)
--bun:split
-- window_start is in Unix microseconds.
CREATE TABLE IF NOT EXISTS otp_counters (
	counter_key  TEXT    NOT NULL PRIMARY KEY,
	count        INTEGER NOT NULL CHECK (count >= 0),
	window_start INTEGER NOT NULL
)
--bun:split
CREATE INDEX IF NOT EXISTS users_phone_idx ON users (tenant_id, phone)
