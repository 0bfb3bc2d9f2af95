package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the statements a stmtCache keeps. The hot reads
// have a few dozen distinct texts (one per combination of list filters
// and page size); a text past the bound is prepared for each call.
const maxCachedStmts = 256

// stmtCache keeps prepared statements of one *sql.DB by their text.
// SQLite (modernc) has no statement cache of its own: without this every
// read parses and plans its SQL again, a quarter of a page read's time.
// database/sql prepares a cached statement once on each connection of the
// pool that runs it and re-prepares it on new connections.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

// query runs the statement text with args, preparing it on first use.
func (c *stmtCache) query(ctx context.Context, text string, args ...any) (*sql.Rows, error) {
	c.mu.RLock()
	st, ok := c.m[text]
	c.mu.RUnlock()
	if !ok {
		c.mu.Lock()
		if st, ok = c.m[text]; !ok && len(c.m) < maxCachedStmts {
			var err error
			if st, err = c.db.PrepareContext(ctx, text); err != nil {
				c.mu.Unlock()
				return nil, err
			}
			c.m[text] = st
			ok = true
		}
		c.mu.Unlock()
		if !ok {
			return c.db.QueryContext(ctx, text, args...)
		}
	}
	return st.QueryContext(ctx, args...)
}

// close closes every cached statement.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for text, st := range c.m {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.m, text)
	}
	return first
}
