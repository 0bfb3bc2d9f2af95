package memory

import (
	"context"
	"slices"

	"github.com/atomixplatform/atomix/audit"
	"github.com/atomixplatform/atomix/core"
)

// auditData is the audit log, part of data.
type auditData struct {
	// entries holds every entry in the order appended; a write replaces
	// the slice, so that the undo log can put the old one back.
	entries []audit.Entry
	ids     map[string]bool
}

// AppendAudit implements audit.Store, in a transaction of its own.
// Errors: core.Conflict; core.Internal when closed.
func (s *Store) AppendAudit(ctx context.Context, e audit.Entry) error {
	return s.write(ctx, func(tx *txStore) error { return tx.AppendAudit(ctx, e) })
}

// ListAudit implements audit.Store. Errors: core.Invalid for a bad page;
// core.Internal when closed.
func (s *Store) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, int, error) {
	var out []audit.Entry
	var total int
	err := s.read(ctx, func(d *data) (err error) {
		out, total, err = d.audit.list(f)
		return err
	})
	return out, total, err
}

func (tx *txStore) AppendAudit(ctx context.Context, e audit.Entry) error {
	if err := tx.begin(ctx); err != nil {
		return err
	}
	defer tx.mu.Unlock()
	ad := tx.s.data.audit
	if ad.ids[e.ID] {
		return core.Errorf(core.Conflict, "audit entry %s already exists", e.ID)
	}
	if ad.ids == nil {
		ad.ids = make(map[string]bool)
	}
	old := ad.entries
	ad.entries = append(slices.Clip(old), e)
	ad.ids[e.ID] = true
	tx.undo = append(tx.undo, func() {
		ad.entries = old
		delete(ad.ids, e.ID)
	})
	return nil
}

func (tx *txStore) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, int, error) {
	if err := tx.begin(ctx); err != nil {
		return nil, 0, err
	}
	defer tx.mu.Unlock()
	return tx.s.data.audit.list(f)
}

// list returns the page of f, newest first.
func (ad *auditData) list(f audit.Filter) ([]audit.Entry, int, error) {
	page, err := f.Page.Normalize()
	if err != nil {
		return nil, 0, err
	}
	var match []audit.Entry
	for i := len(ad.entries) - 1; i >= 0; i-- {
		if audit.Match(f, ad.entries[i]) {
			match = append(match, ad.entries[i])
		}
	}
	slices.SortStableFunc(match, func(a, b audit.Entry) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return compareStrings(b.ID, a.ID)
	})
	lo := min(page.Offset(), len(match))
	hi := min(lo+page.Limit, len(match))
	return slices.Clone(match[lo:hi]), len(match), nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
