-- Settings: one versioned JSON document per scope ('platform'). Every
-- statement is idempotent.
CREATE TABLE IF NOT EXISTS settings (
	scope      TEXT NOT NULL PRIMARY KEY,
	doc        TEXT NOT NULL,
	version    BIGINT NOT NULL CHECK (version > 0),
	updated_at TIMESTAMPTZ NOT NULL
)
