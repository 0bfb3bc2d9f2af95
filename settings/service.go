package settings

import (
	"context"
	"encoding/json"
	"time"

	"github.com/atomixplatform/atomix/core"
)

// putAttempts bounds the retries of Update when concurrent updates
// conflict.
const putAttempts = 5

// Service reads and changes the settings of one scope over a Store. It
// keeps no cache: every read goes to the store, so that a change made by
// any instance takes effect at once. It is safe for concurrent use.
type Service struct {
	store Store
	now   core.Clock
	scope string
}

// NewService returns a Service for the platform's settings over st; a nil
// clock is the system clock.
func NewService(st Store, now core.Clock) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, now: now, scope: ScopePlatform}
}

// Get returns the settings: Default() until the first change.
// Errors: core.Internal.
func (s *Service) Get(ctx context.Context) (Settings, error) {
	r, err := s.store.GetSettings(ctx, s.scope)
	if core.ErrorCode(err) == core.NotFound {
		return Default(), nil
	}
	if err != nil {
		return Settings{}, err
	}
	return decodeRecord(r)
}

func decodeRecord(r Record) (Settings, error) {
	out := Default()
	if err := json.Unmarshal(r.Doc, &out); err != nil {
		return Settings{}, core.Wrap(err, "decode the stored settings")
	}
	out.Version = r.Version
	at := r.UpdatedAt.UTC()
	out.UpdatedAt = &at
	return out, nil
}

// Update applies p, validates the result and stores it; concurrent
// updates are applied one after the other.
// Errors: core.Invalid with fields (wire names); core.Conflict when
// concurrent updates keep winning; core.Internal.
func (s *Service) Update(ctx context.Context, p Patch) (Settings, error) {
	for range putAttempts {
		cur, err := s.Get(ctx)
		if err != nil {
			return Settings{}, err
		}
		next := cur.Apply(p)
		if err := next.Validate(); err != nil {
			return Settings{}, err
		}
		next.Version, next.UpdatedAt = 0, nil
		doc, err := json.Marshal(next)
		if err != nil {
			return Settings{}, core.Wrap(err, "encode the settings")
		}
		r := Record{Scope: s.scope, Doc: doc, Version: cur.Version + 1, UpdatedAt: s.now().UTC().Truncate(time.Microsecond)}
		err = s.store.PutSettings(ctx, r)
		if core.ErrorCode(err) == core.Conflict {
			continue
		}
		if err != nil {
			return Settings{}, err
		}
		return decodeRecord(r)
	}
	return Settings{}, core.Errorf(core.Conflict, "the settings changed concurrently; try again")
}
