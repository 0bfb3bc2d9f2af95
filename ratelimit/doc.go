// Package ratelimit holds atomix's rate limits: token-bucket policies, the
// exact bucket arithmetic, the narrow Store that keeps the buckets so that
// every instance over one store shares them, and the Limiter the HTTP layer
// asks before it serves a request.
//
// # Buckets
//
// A Policy is a token bucket: it holds at most Burst tokens and refills
// Limit tokens per Window, one every Interval (Window/Limit, rounded up to
// the nanosecond). A request takes one token; with none left it is refused
// until the next one refills. The bucket of a key is kept as one number,
// its theoretical arrival time (TAT, the generic cell rate algorithm): the
// time at which the bucket would be full again. A key never seen, or one
// whose TAT has passed, holds Burst tokens; taking k tokens moves the TAT
// k Intervals later; the bucket holds (now + Burst·Interval − TAT) /
// Interval tokens. Take does this arithmetic in integers; every Store
// keeps one row per key and changes it in one atomic step, so that of
// concurrent takes no more succeed than the bucket holds. A row whose TAT
// has passed is a full bucket and can be deleted (Store.DeleteRateBuckets).
//
// # Leases
//
// A store write per request would make the store the bottleneck. The
// Limiter therefore leases: when a key's local tokens run out it takes up
// to Policy.LeaseSize tokens from the shared bucket in one store call and
// spends them locally, so a generous policy (Burst 1000: leases of 50)
// costs one store write per 50 requests, while a strict one (Lease 1, such
// as the auth class) takes every token from the store. When a lease of 4
// tokens or more is half spent, the next is taken in the background, so
// that requests do not queue behind the store write (one store call at a
// time per key; a request waits only when the lease is spent before the
// next arrives). A refusal is kept
// locally until the bucket can hold a token again (no other instance can
// add tokens), so a flood of refused requests costs no store writes
// either.
//
// What leases cost in precision, with N instances sharing a bucket: no
// request is admitted without a token taken from the shared bucket, so
// over any time the admitted requests never exceed what the bucket gave
// out. But a leased token may be spent up to its lease's lifetime (the
// time the bucket takes to refill the lease, at least LeaseTTLMin) after
// it was taken, and an instance holds at most a lease and a half (the
// unspent half and the next), so in a given interval the requests
// admitted may exceed an exact bucket's by at most N·⌊1.5·LeaseSize⌋ (the
// tokens leased before the interval and spent in it); and tokens leased
// and not spent before the lease ends are lost, so an instance may refuse
// while others hold unspent tokens, at most that many.
//
// Clocks: each instance computes with its own clock (the now it passes to
// TakeRateTokens), and the bucket is one arrival time. An instance whose
// clock runs δ ahead of the others sees up to δ/Interval more tokens than
// they do (one behind, fewer), and the sweep of one running ahead may
// delete a bucket others still count as not full. Keep the instances'
// clocks synchronized (NTP keeps δ in milliseconds, far below any useful
// Interval).
//
// The Limiter keeps at most MaxEntries keys in memory (least recently
// used first out); a forgotten key loses its unspent lease and cached
// refusal, never correctness.
//
// # Configuration
//
// ParsePolicy reads the text form used by environment variables:
//
//	LIMIT/WINDOW[,burst=N][,lease=N]
//
// LIMIT tokens refill per WINDOW, a Go duration ("1m", "10s", "1h") or a
// bare unit ("s", "m", "h"); burst is the bucket's capacity (default
// LIMIT); lease is the tokens an instance takes from the store at a time
// (default max(1, burst/20)). "off" turns the class off. For example
// "100/1m" (100 per minute, bursts of 100), "20/1m,burst=5,lease=1".
//
// # Errors
//
// Policy.Validate and ParsePolicy answer core.Invalid naming the fields
// (name, limit, window, burst, lease). A refused request is the
// core.RateLimited error of Refused; RetryAfter reads its wait.
package ratelimit
