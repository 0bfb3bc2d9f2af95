package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	if rep.errors() > 0 {
		os.Exit(1)
	}
}

// config is what the flags set.
type config struct {
	target, key, email, password string
	duration, ingest             time.Duration
	rate, authRate, atomRate     int
	usageRate                    int
	workers, usageWorkers, batch int
	tenants                      int
	baseline                     bool
}

// The operations, in the order of the report.
const (
	opList      = "GET /tenants"
	opLogin     = "POST /auth/login"
	opRefresh   = "POST /auth/refresh"
	opInstall   = "POST /tenants/{id}/atoms"
	opUninstall = "DELETE /tenants/{id}/atoms/{atomId}"
	opUsage     = "POST /usage"
	opIngest    = "POST /usage (ingest)"
)

// loadAtom is the atom installed and uninstalled; its only dependency,
// core_auth, is built in.
const loadAtom = "atom_notification"

func parse(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.target, "target", "", "base URL of the API, e.g. http://127.0.0.1:8080/v1")
	fs.StringVar(&c.key, "key", getenv("ATOMIX_API_KEY"), "platform API key (env ATOMIX_API_KEY)")
	fs.StringVar(&c.email, "email", getenv("ATOMIX_ADMIN_EMAIL"), "login email (env ATOMIX_ADMIN_EMAIL)")
	fs.StringVar(&c.password, "password", getenv("ATOMIX_ADMIN_PASSWORD"), "login password (env ATOMIX_ADMIN_PASSWORD)")
	fs.DurationVar(&c.duration, "duration", 20*time.Second, "how long the load runs")
	fs.IntVar(&c.rate, "rate", 1000, "GET /tenants requests per second (0: none)")
	fs.IntVar(&c.workers, "workers", 32, "workers for GET /tenants")
	fs.IntVar(&c.authRate, "auth-rate", 5, "logins and refreshes per second")
	fs.IntVar(&c.atomRate, "atom-rate", 20, "atom installs and uninstalls per second")
	fs.IntVar(&c.usageRate, "usage-rate", 10, "usage batches per second in the mix (0: none)")
	fs.DurationVar(&c.ingest, "ingest", 10*time.Second, "how long the ingestion phase runs after the mix (0: none)")
	fs.IntVar(&c.usageWorkers, "usage-workers", 4, "closed-loop usage workers of the ingestion phase")
	fs.IntVar(&c.batch, "batch", 1000, "records per usage batch")
	fs.IntVar(&c.tenants, "tenants", 20, "tenants seeded")
	fs.BoolVar(&c.baseline, "baseline", false, "drive a bare loopback handler instead of -target")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.target = strings.TrimSuffix(c.target, "/")
	switch {
	case c.target == "" && !c.baseline:
		return c, errors.New("-target is required (start examples/server first; see go doc ./examples/loadtest)")
	case c.target != "" && !c.baseline && c.key == "":
		return c, errors.New("-key or ATOMIX_API_KEY is required")
	case c.authRate > 0 && !c.baseline && (c.email == "" || c.password == ""):
		return c, errors.New("logins need -email and -password (or ATOMIX_ADMIN_EMAIL and ATOMIX_ADMIN_PASSWORD); -auth-rate 0 skips them")
	case c.duration <= 0 || c.workers <= 0 || c.batch <= 0 || c.tenants <= 0:
		return c, errors.New("-duration, -workers, -batch and -tenants must be positive")
	case c.rate < 0 || c.authRate < 0 || c.atomRate < 0 || c.usageRate < 0 || c.ingest < 0 || (c.baseline && c.rate == 0):
		return c, errors.New("-rate, -auth-rate, -atom-rate, -usage-rate and -ingest must not be negative; -baseline needs a -rate")
	case c.ingest > 0 && c.usageWorkers <= 0:
		return c, errors.New("-ingest needs -usage-workers > 0 (or -ingest 0)")
	}
	return c, nil
}

// run parses args, runs the load and writes the report to stdout.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (*report, error) {
	c, err := parse(args, getenv, stderr)
	if err != nil {
		return nil, err
	}
	cl := &client{
		base: c.target,
		key:  c.key,
		hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 1024,
			IdleConnTimeout:     time.Minute,
		}},
	}
	defer cl.hc.CloseIdleConnections()
	var rep *report
	if c.baseline {
		rep, err = runBaseline(ctx, c, cl, stderr)
	} else {
		rep, err = runMix(ctx, c, cl, stderr)
	}
	if err != nil {
		return nil, err
	}
	rep.write(stdout)
	return rep, nil
}

// client sends the API's requests.
type client struct {
	base, key string
	hc        *http.Client
}

// do sends a request and reads the body; a status other than want is an
// error naming it.
func (c *client) do(ctx context.Context, method, path string, body []byte, auth bool, want int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return b, &statusError{status: resp.StatusCode, body: b}
	}
	return b, nil
}

type statusError struct {
	status int
	body   []byte
}

func (e *statusError) Error() string {
	var pb struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(e.body, &pb)
	if pb.Code != "" {
		return fmt.Sprintf("%d %s", e.status, pb.Code)
	}
	return strconv.Itoa(e.status)
}

// kind is the short name of an error in the report.
func kind(err error) string {
	var se *statusError
	if errors.As(err, &se) {
		return se.Error()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "transport"
}

// recorder keeps the latencies and errors of one operation.
type recorder struct {
	mu     sync.Mutex
	lat    []time.Duration
	errs   map[string]int
	nerr   int
	units  int64 // usage records accepted
	unitOK bool
}

func (r *recorder) record(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat = append(r.lat, d)
	if err != nil {
		if r.errs == nil {
			r.errs = map[string]int{}
		}
		r.errs[kind(err)]++
		r.nerr++
	}
}

// stats is one row of the report.
type stats struct {
	Op             string
	Count, Errors  int
	PerSec         float64
	P50, P99, P999 time.Duration
	Max            time.Duration
	ErrorKinds     map[string]int
	Records        int64   // usage records accepted
	RecordsPerSec  float64 // usage records per second
	HasRecords     bool
	Elapsed        time.Duration
}

// report is the outcome of a run.
type report struct {
	Title   string
	Elapsed time.Duration
	Ops     []stats
}

func (r *report) errors() int {
	n := 0
	for _, s := range r.Ops {
		n += s.Errors
	}
	return n
}

func (r *report) op(name string) (stats, bool) {
	for _, s := range r.Ops {
		if s.Op == name {
			return s, true
		}
	}
	return stats{}, false
}

// quantile returns the perMille/1000 quantile of sorted latencies, by
// nearest rank.
func quantile(sorted []time.Duration, perMille int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*perMille + 999) / 1000 // ceil(n*q)
	return sorted[max(i, 1)-1]
}

// quantile10k returns the per10k/10000 quantile of sorted latencies, by
// nearest rank.
func quantile10k(sorted []time.Duration, per10k int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*per10k + 9999) / 10000
	return sorted[max(i, 1)-1]
}

func summarize(name string, r *recorder, elapsed time.Duration) stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	lat := slices.Clone(r.lat)
	slices.Sort(lat)
	s := stats{Op: name, Count: len(lat), Errors: r.nerr, ErrorKinds: r.errs, Elapsed: elapsed,
		Records: r.units, HasRecords: r.unitOK}
	if elapsed > 0 {
		s.PerSec = float64(len(lat)) / elapsed.Seconds()
		s.RecordsPerSec = float64(r.units) / elapsed.Seconds()
	}
	s.P50, s.P99, s.P999 = quantile(lat, 500), quantile(lat, 990), quantile10k(lat, 9990)
	if len(lat) > 0 {
		s.Max = lat[len(lat)-1]
	}
	return s
}

func (r *report) write(w io.Writer) {
	fmt.Fprintf(w, "%s: %s\n", r.Title, r.Elapsed.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "operation\tcount\terrors\treq/s\tp50\tp99\tp99.9\tmax\t")
	for _, s := range r.Ops {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t\n", s.Op, s.Count, s.Errors, s.PerSec,
			ms(s.P50), ms(s.P99), ms(s.P999), ms(s.Max))
	}
	tw.Flush()
	for _, s := range r.Ops {
		if s.HasRecords {
			fmt.Fprintf(w, "%s: %d records accepted, %.0f records/s\n", s.Op, s.Records, s.RecordsPerSec)
		}
		if len(s.ErrorKinds) > 0 {
			keys := make([]string, 0, len(s.ErrorKinds))
			for k := range s.ErrorKinds {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = fmt.Sprintf("%s ×%d", k, s.ErrorKinds[k])
			}
			fmt.Fprintf(w, "errors of %s: %s\n", s.Op, strings.Join(parts, ", "))
		}
	}
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}

// paced runs fn at rate per second on workers workers from start until
// end, open loop: each call gets its intended send time, and its latency
// is measured from it. Calls queued at end still run.
func paced(ctx context.Context, start, end time.Time, rate, workers int, fn func(ctx context.Context, seq int64) (string, error), recs func(op string) *recorder) *sync.WaitGroup {
	var wg sync.WaitGroup
	type tick struct {
		at  time.Time
		seq int64
	}
	ch := make(chan tick, max(rate, 16))
	interval := time.Second / time.Duration(rate)
	wg.Go(func() {
		defer close(ch)
		for i := int64(0); ; i++ {
			at := start.Add(time.Duration(i) * interval)
			if !at.Before(end) {
				return
			}
			if d := time.Until(at); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return
				}
			}
			select {
			case ch <- tick{at, i}:
			case <-ctx.Done():
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for t := range ch {
				op, err := fn(ctx, t.seq)
				if op != "" {
					recs(op).record(time.Since(t.at), err)
				}
			}
		})
	}
	return &wg
}

// runID makes the run's names unique in a store that outlives it.
func runID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var demoPlans = []string{"plan_starter", "plan_professional", "plan_enterprise"}

// seed creates the tenants of the run and returns their IDs.
func seed(ctx context.Context, c config, cl *client, id string) ([]string, error) {
	ids := make([]string, c.tenants)
	for i := range ids {
		body, _ := json.Marshal(map[string]any{
			"name":      fmt.Sprintf("Load %s %d", id, i),
			"subdomain": fmt.Sprintf("lt-%s-%d", id, i),
			"planId":    demoPlans[i%len(demoPlans)],
			"contact":   map[string]string{"name": "Load Test", "email": fmt.Sprintf("lt-%s-%d@example.com", id, i)},
		})
		b, err := cl.do(ctx, http.MethodPost, "/tenants", body, true, http.StatusCreated)
		if err != nil {
			return nil, fmt.Errorf("seed tenant %d: %w", i, err)
		}
		var t struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &t); err != nil || t.ID == "" {
			return nil, fmt.Errorf("seed tenant %d: no id in %.200s", i, b)
		}
		ids[i] = t.ID
	}
	return ids, nil
}

type tokens struct {
	RefreshToken string `json:"refreshToken"`
}

// runMix seeds the tenants and runs the mix against c.target.
func runMix(ctx context.Context, c config, cl *client, stderr io.Writer) (*report, error) {
	id := runID()
	tenants, err := seed(ctx, c, cl, id)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "seeded %d tenants (run %s); running for %s\n", len(tenants), id, c.duration)

	var names []string // the classes that run
	for _, cl := range []struct {
		on  bool
		ops []string
	}{
		{c.rate > 0, []string{opList}},
		{c.authRate > 0, []string{opLogin, opRefresh}},
		{c.atomRate > 0, []string{opInstall, opUninstall}},
		{c.usageRate > 0, []string{opUsage}},
	} {
		if cl.on {
			names = append(names, cl.ops...)
		}
	}
	recs := map[string]*recorder{}
	for _, n := range names {
		recs[n] = &recorder{}
	}
	if r, ok := recs[opUsage]; ok {
		r.unitOK = true
	}
	rec := func(op string) *recorder { return recs[op] }

	start := time.Now().Add(50 * time.Millisecond)
	end := start.Add(c.duration)
	var groups []*sync.WaitGroup

	if c.rate > 0 {
		groups = append(groups, paced(ctx, start, end, c.rate, c.workers, func(ctx context.Context, _ int64) (string, error) {
			_, err := cl.do(ctx, http.MethodGet, "/tenants?limit=20", nil, true, http.StatusOK)
			return opList, err
		}, rec))
	}

	if c.authRate > 0 {
		// Refresh tokens rotate: each is used once, from a pool that
		// logins fill.
		pool := make(chan string, 1024)
		login, _ := json.Marshal(map[string]string{"email": c.email, "password": c.password})
		groups = append(groups, paced(ctx, start, end, c.authRate, 4, func(ctx context.Context, seq int64) (string, error) {
			op, body := opLogin, login
			if seq%2 == 1 {
				select {
				case rt := <-pool:
					op = opRefresh
					body, _ = json.Marshal(map[string]string{"refreshToken": rt})
				default:
				}
			}
			b, err := cl.do(ctx, http.MethodPost, "/auth/"+strings.TrimPrefix(op, "POST /auth/"), body, false, http.StatusOK)
			if err == nil {
				var t tokens
				if err = json.Unmarshal(b, &t); err == nil && t.RefreshToken == "" {
					err = errors.New("no refresh token")
				}
				if err == nil {
					select {
					case pool <- t.RefreshToken:
					default:
					}
				}
			}
			return op, err
		}, rec))
	}

	if c.atomRate > 0 {
		type slot struct {
			mu        sync.Mutex
			installed bool
		}
		slots := make([]slot, len(tenants))
		install, _ := json.Marshal(map[string]string{"atomId": loadAtom})
		groups = append(groups, paced(ctx, start, end, c.atomRate, 4, func(ctx context.Context, seq int64) (string, error) {
			i := int(seq % int64(len(tenants)))
			s := &slots[i]
			if !s.mu.TryLock() {
				return "", nil // the tenant's previous change still runs
			}
			defer s.mu.Unlock()
			var err error
			if s.installed {
				_, err = cl.do(ctx, http.MethodDelete, "/tenants/"+tenants[i]+"/atoms/"+loadAtom, nil, true, http.StatusOK)
				if err == nil {
					s.installed = false
				}
				return opUninstall, err
			}
			_, err = cl.do(ctx, http.MethodPost, "/tenants/"+tenants[i]+"/atoms", install, true, http.StatusCreated)
			if err == nil {
				s.installed = true
			}
			return opInstall, err
		}, rec))
	}

	if c.usageRate > 0 {
		groups = append(groups, paced(ctx, start, end, c.usageRate, 4, func(ctx context.Context, seq int64) (string, error) {
			n, err := sendUsage(ctx, c, cl, id, "m", int(seq), tenants[int(seq)%len(tenants)])
			r := recs[opUsage]
			r.mu.Lock()
			r.units += int64(n)
			r.mu.Unlock()
			return opUsage, err
		}, rec))
	}
	for _, g := range groups {
		g.Wait()
	}
	elapsed := time.Since(start)
	rep := &report{Title: fmt.Sprintf("atomix load against %s (run %s)", c.target, id), Elapsed: elapsed}
	for _, n := range names {
		rep.Ops = append(rep.Ops, summarize(n, recs[n], elapsed))
	}
	if c.ingest > 0 && ctx.Err() == nil {
		fmt.Fprintf(stderr, "ingestion: %d closed-loop workers for %s\n", c.usageWorkers, c.ingest)
		rep.Ops = append(rep.Ops, ingest(ctx, c, cl, id, tenants))
	}
	return rep, nil
}

// sendUsage posts one batch of c.batch api_calls records for tenant tn,
// with idempotency keys unique to the run, the phase and seq, and returns
// how many the server accepted; fewer than sent is an error.
func sendUsage(ctx context.Context, c config, cl *client, id, phase string, seq int, tn string) (int, error) {
	var buf bytes.Buffer
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	buf.WriteString(`{"records":[`)
	for i := range c.batch {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"idempotencyKey":"lt-%s-%s-%d-%d","tenantId":"%s","metric":"api_calls","quantity":1,"timestamp":"%s"}`, id, phase, seq, i, tn, ts)
	}
	buf.WriteString(`]}`)
	b, err := cl.do(ctx, http.MethodPost, "/usage", buf.Bytes(), true, http.StatusOK)
	if err != nil {
		return 0, err
	}
	var out struct {
		Accepted int `json:"accepted"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return 0, err
	}
	if out.Accepted != c.batch {
		return out.Accepted, fmt.Errorf("accepted %d of %d: %.300s", out.Accepted, c.batch, b)
	}
	return out.Accepted, nil
}

// ingest runs the ingestion phase: c.usageWorkers workers post usage
// batches back to back (closed loop) for c.ingest, alone, so that the
// server's ingestion rate over HTTP is measured without the mix, which
// it would starve of CPU.
func ingest(ctx context.Context, c config, cl *client, id string, tenants []string) stats {
	r := &recorder{unitOK: true}
	start := time.Now()
	end := start.Add(c.ingest)
	var wg sync.WaitGroup
	for w := range c.usageWorkers {
		wg.Go(func() {
			for n := 0; time.Now().Before(end) && ctx.Err() == nil; n++ {
				seq := n*c.usageWorkers + w
				t0 := time.Now()
				accepted, err := sendUsage(ctx, c, cl, id, "i", seq, tenants[seq%len(tenants)])
				r.record(time.Since(t0), err)
				r.mu.Lock()
				r.units += int64(accepted)
				r.mu.Unlock()
			}
		})
	}
	wg.Wait()
	return summarize(opIngest, r, time.Since(start))
}

// runBaseline serves a fixed page on loopback and drives it as GET
// /tenants is driven.
func runBaseline(ctx context.Context, c config, cl *client, stderr io.Writer) (*report, error) {
	page, err := baselinePage(ctx, c, cl)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		_, _ = w.Write(page)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	bl := &client{base: "http://" + ln.Addr().String(), hc: cl.hc}
	fmt.Fprintf(stderr, "baseline: a %d-byte page from %s; running for %s\n", len(page), bl.base, c.duration)

	r := &recorder{}
	start := time.Now().Add(50 * time.Millisecond)
	paced(ctx, start, start.Add(c.duration), c.rate, c.workers, func(ctx context.Context, _ int64) (string, error) {
		_, err := bl.do(ctx, http.MethodGet, "/tenants?limit=20", nil, false, http.StatusOK)
		return opList, err
	}, func(string) *recorder { return r }).Wait()
	elapsed := time.Since(start)
	return &report{Title: fmt.Sprintf("baseline: bare net/http, %d-byte page", len(page)), Elapsed: elapsed,
		Ops: []stats{summarize(opList+" (baseline)", r, elapsed)}}, nil
}

// baselinePage is a real GET /tenants page from the target when one is
// given, or a synthetic page of 20 tenants.
func baselinePage(ctx context.Context, c config, cl *client) ([]byte, error) {
	if c.target != "" {
		b, err := cl.do(ctx, http.MethodGet, "/tenants?limit=20", nil, true, http.StatusOK)
		if err != nil {
			return nil, fmt.Errorf("read a page for the baseline: %w", err)
		}
		return b, nil
	}
	var items []map[string]any
	for i := range 20 {
		items = append(items, map[string]any{
			"id": fmt.Sprintf("tn_%022d", i), "name": fmt.Sprintf("Tenant %d", i), "subdomain": fmt.Sprintf("tenant-%d", i),
			"status": "active", "plan": "professional", "planId": "plan_professional",
			"contact":  map[string]string{"name": "Contact", "email": fmt.Sprintf("contact-%d@example.com", i)},
			"settings": map[string]any{}, "atomCount": 3, "userCount": 1,
			"createdAt": "2026-11-22T13:45:04.051686Z", "updatedAt": "2026-11-22T13:45:04.051686Z",
		})
	}
	return json.Marshal(map[string]any{"data": items, "pagination": map[string]any{"limit": 20, "hasMore": true, "nextCursor": "c_0123456789"}})
}
