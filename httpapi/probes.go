package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/atomixplatform/atomix"
)

// ReadyTimeout bounds how long Readyz waits for the store to answer.
const ReadyTimeout = 2 * time.Second

// The bodies of the probes' answers.
var (
	bodyOK          = []byte(`{"status":"ok"}` + "\n")
	bodyReady       = []byte(`{"status":"ready"}` + "\n")
	bodyUnavailable = []byte(`{"status":"unavailable"}` + "\n")
)

// Healthz returns the liveness probe: it answers 200 {"status":"ok"} to GET
// and HEAD while the process serves HTTP, and touches nothing else. Mount
// it outside the API prefix, for example mux.Handle("GET /healthz",
// httpapi.Healthz()). Another method answers 405.
//
// The probes are operations endpoints, not part of the REST contract: they
// are absent from the OpenAPI document, need no authentication, and answer
// plain JSON rather than problem details.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProbe(w, r, http.StatusOK, bodyOK)
	})
}

// Readyz returns the readiness probe of p: it answers 200
// {"status":"ready"} when p's store answers store.Store.Ping within
// ReadyTimeout, and otherwise 503 {"status":"unavailable"}, logging the
// cause with logger (level Warn; nil discards it). The cause is never
// shown to the caller. Mount it beside Healthz:
// mux.Handle("GET /readyz", httpapi.Readyz(p, logger)).
func Readyz(p *atomix.Platform, logger *slog.Logger) http.Handler {
	if p == nil {
		panic("httpapi: Readyz needs a platform")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	st := p.Store()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeProbe(w, r, http.StatusMethodNotAllowed, nil)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			logger.LogAttrs(r.Context(), slog.LevelWarn, "readiness probe: the store does not answer", slog.Any("error", err))
			writeProbe(w, r, http.StatusServiceUnavailable, bodyUnavailable)
			return
		}
		writeProbe(w, r, http.StatusOK, bodyReady)
	})
}

// writeProbe writes a probe's answer, uncached; a method other than GET
// and HEAD answers 405 instead.
func writeProbe(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	hd := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
