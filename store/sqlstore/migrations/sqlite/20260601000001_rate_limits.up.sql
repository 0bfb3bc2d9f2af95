-- Rate limits: one token bucket per key, kept as its theoretical arrival
-- time (tat, Unix nanoseconds; see package ratelimit), so that every
-- instance over the store shares it. Keys name a limit class and an API
-- key hash, a user ID or a client address: they belong to no tenant, so
-- the table has no tenant_id. taken is how many tokens the last take got
-- (UPSERT ... RETURNING cannot return the old row). A row whose tat has
-- passed is a full bucket; the sweep deletes such rows through tat's
-- index. Every statement is idempotent.
CREATE TABLE IF NOT EXISTS rate_buckets (
	bucket_key TEXT   NOT NULL PRIMARY KEY,
	tat        INTEGER NOT NULL,
	taken      INTEGER NOT NULL CHECK (taken >= 0)
)
--bun:split
CREATE INDEX IF NOT EXISTS rate_buckets_tat_idx ON rate_buckets (tat)
