package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/atomixplatform/atomix"
)

// maintenanceEvery is how often the server deletes expired OTP
// challenges and counters. Every instance may run it: the deletes are
// idempotent. (Rate-limit buckets are swept by the limiter itself.)
const maintenanceEvery = 10 * time.Minute

// maintain runs the periodic deletes until ctx is done.
func maintain(ctx context.Context, p *atomix.Platform, logger *slog.Logger) {
	t := time.NewTicker(maintenanceEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ch, cn, err := p.Identity().DeleteExpiredOTP(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("maintenance: delete expired OTP", "err", err)
		case ch+cn > 0:
			logger.Info("maintenance: deleted expired OTP", "challenges", ch, "counters", cn)
		}
	}
}
