package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/store/sqlstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// defaultDSN is the store used when neither -dsn nor ATOMIX_DSN is given.
const defaultDSN = "sqlite:atomix.db"

// shutdownGrace bounds how long in-flight requests may take after a signal.
const shutdownGrace = 15 * time.Second

// run starts the server and blocks until ctx is done, then shuts down
// gracefully. It prints "listening on http://ADDR/v1" to stdout once the
// listener is open.
// extra options go to atomix.New last (tests move the clock with them).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, extra ...atomix.Option) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr(getenv, "ATOMIX_ADDR", "127.0.0.1:8080"), "listen address (env ATOMIX_ADDR)")
	dsn := fs.String("dsn", envOr(getenv, "ATOMIX_DSN", defaultDSN), `store DSN: sqlite:PATH, postgres://..., or memory: (env ATOMIX_DSN)`)
	demo := fs.Bool("demo", envBool(getenv, "ATOMIX_DEMO"), "load the demo atom catalog, seed 000's plans and an api_calls SKU (env ATOMIX_DEMO=1)")
	issuer := fs.String("issuer", getenv("ATOMIX_ISSUER"), "the iss of access tokens (env ATOMIX_ISSUER; default the server's URL, http://ADDR)")
	tokenAlg := fs.String("token-alg", envOr(getenv, "ATOMIX_TOKEN_ALG", string(identity.RS256)), "the access tokens' signing algorithm: RS256, ES256 or EdDSA (env ATOMIX_TOKEN_ALG)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	apiKey := getenv("ATOMIX_API_KEY")
	if apiKey == "" {
		var err error
		if apiKey, err = generateKey(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "generated platform API key (shown once; set ATOMIX_API_KEY to choose your own): %s\n", apiKey)
	}

	// Before the store opens: PostgreSQL without ATOMIX_SECRET is refused.
	secrets, secretFrom, err := masterSecrets(getenv, *dsn)
	if err != nil {
		return err
	}

	ops := newOperations() // ops.go: /healthz, /readyz, /metrics
	st, err := openStore(ctx, *dsn, sqlstore.WithObserver(ops.storeObserver()))
	if err != nil {
		return err
	}
	defer st.Close()

	// The listener opens first, so that the default issuer is the
	// server's own URL; nothing is served before the platform is ready.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close() // srv.Serve closes it too; a second close is harmless
	iss := *issuer
	if iss == "" {
		iss = "http://" + ln.Addr().String()
	}
	logger.Info("identity", "issuer", iss, "algorithm", *tokenAlg, "secret", secretFrom)

	otp, err := otpConfig(getenv, logger)
	if err != nil {
		return err
	}
	check, err := sessionCheck(getenv)
	if err != nil {
		return err
	}
	opts := []atomix.Option{atomix.WithIdentity(identity.Config{
		Issuer:       iss,
		Secrets:      secrets,
		Algorithm:    identity.Algorithm(*tokenAlg),
		Logger:       logger,
		OTP:          otp,
		Federated:    federatedConfig(getenv),
		SessionCheck: check,
	})}
	grace, err := usageGrace(getenv)
	if err != nil {
		return err
	}
	opts = append(opts, atomix.WithBilling(atomix.BillingConfig{UsageGrace: grace, Notifier: logNotifier(logger)}))
	p, err := atomix.New(st, append(opts, extra...)...)
	if err != nil {
		return err
	}
	ops.watch(p)
	if *demo {
		if err := publishDemo(ctx, p); err != nil {
			return err
		}
	}
	if err := ensureSuperAdmin(ctx, p, getenv, logger); err != nil {
		return err
	}
	apiOpts := []httpapi.Option{httpapi.WithAPIKey(apiKey), httpapi.WithLogger(logger), httpapi.WithMetrics(ops.reg)}
	// Rate limits (ratelimit.go): on by default, buckets shared through
	// the store.
	limits, limitsOn, err := rateLimits(getenv, st)
	if err != nil {
		return err
	}
	if limitsOn {
		logger.Info("rate limits", "classes", describeLimits(limits), "trustedProxies", len(limits.TrustedProxies))
		apiOpts = append(apiOpts, httpapi.WithRateLimits(limits))
	} else {
		logger.Info("rate limits off")
	}
	api := httpapi.New(p, apiOpts...)

	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	ops.mount(mux, p, logger)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "listening on http://%s/v1 (store %s)\n", ln.Addr(), redactDSN(*dsn))

	go maintain(ctx, p, logger) // maintain.go: expired OTP challenges and counters

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openStore opens the store a DSN names: the in-memory store for
// "memory:", and the SQL store (SQLite or PostgreSQL, migrated on open)
// with opts for everything else.
func openStore(ctx context.Context, dsn string, opts ...sqlstore.Option) (store.Store, error) {
	if dsn == "memory:" || dsn == "memory" {
		return memory.New(), nil
	}
	st, err := sqlstore.Open(ctx, dsn, opts...)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", redactDSN(dsn), err)
	}
	return st, nil
}

// usageGrace reads ATOMIX_USAGE_GRACE, how long after a billing period's
// end its usage is still accepted (a Go duration; default one hour).
func usageGrace(getenv func(string) string) (time.Duration, error) {
	v := getenv("ATOMIX_USAGE_GRACE")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("ATOMIX_USAGE_GRACE %q is not a duration such as 1h", v)
	}
	return d, nil
}

// sessionCheck reads ATOMIX_SESSION_CHECK, how long an instance trusts a
// session's state when it verifies an access token (identity.Config's
// SessionCheck): a positive Go duration, "off" for stateless tokens, or
// empty for the default (identity.DefaultSessionCheck).
func sessionCheck(getenv func(string) string) (time.Duration, error) {
	switch v := getenv("ATOMIX_SESSION_CHECK"); v {
	case "":
		return 0, nil
	case "off":
		return -1, nil
	default:
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("ATOMIX_SESSION_CHECK %q is neither a positive duration such as 5s nor off", v)
		}
		return d, nil
	}
}

// logNotifier logs usage threshold events; a real deployment sends them
// to its users (mail, webhooks).
func logNotifier(logger *slog.Logger) atomix.Notifier {
	return atomix.NotifierFunc(func(_ context.Context, e billing.ThresholdEvent) error {
		logger.Info("usage threshold", "tenant", e.TenantID, "metric", e.Metric, "percent", e.Percent, "used", e.Used, "limit", e.Limit)
		return nil
	})
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func generateKey() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "ak_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// redactDSN hides a password in a DSN before it is printed.
func redactDSN(dsn string) string {
	at := strings.LastIndexByte(dsn, '@')
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	creds := dsn[scheme+3 : at]
	if i := strings.IndexByte(creds, ':'); i >= 0 {
		return dsn[:scheme+3] + creds[:i] + ":***" + dsn[at:]
	}
	return dsn
}
