package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/store/memory"
)

func TestProbes(t *testing.T) {
	open := func(t *testing.T) *atomix.Platform {
		p, err := atomix.New(memory.New())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	closed := func(t *testing.T) *atomix.Platform {
		p := open(t)
		if err := p.Store().Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name     string
		platform func(t *testing.T) *atomix.Platform
		probe    func(p *atomix.Platform, l *slog.Logger) http.Handler
		method   string
		status   int
		body     string
		logged   string // a substring of the logs; "" for none
	}{
		{"healthz", open, healthz, "GET", 200, `{"status":"ok"}` + "\n", ""},
		{"healthz on a closed store", closed, healthz, "GET", 200, `{"status":"ok"}` + "\n", ""},
		{"healthz HEAD", open, healthz, "HEAD", 200, "", ""},
		{"healthz POST", open, healthz, "POST", 405, "method not allowed\n", ""},
		{"readyz", open, httpapi.Readyz, "GET", 200, `{"status":"ready"}` + "\n", ""},
		{"readyz HEAD", open, httpapi.Readyz, "HEAD", 200, "", ""},
		{"readyz on a closed store", closed, httpapi.Readyz, "GET", 503, `{"status":"unavailable"}` + "\n", "the store is closed"},
		{"readyz POST", open, httpapi.Readyz, "POST", 405, "method not allowed\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs strings.Builder
			h := tc.probe(tc.platform(t), slog.New(slog.NewTextHandler(&logs, nil)))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, "/probe", nil))
			if rec.Code != tc.status {
				t.Errorf("status: got %d, want %d", rec.Code, tc.status)
			}
			if got := rec.Body.String(); got != tc.body {
				t.Errorf("body: got %q, want %q", got, tc.body)
			}
			if tc.status != 405 {
				if got := rec.Header().Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type: got %q, want application/json", got)
				}
				if got := rec.Header().Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control: got %q, want no-store", got)
				}
			} else if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
				t.Errorf("Allow: got %q, want GET, HEAD", got)
			}
			if got := logs.String(); (tc.logged == "") != (got == "") || !strings.Contains(got, tc.logged) {
				t.Errorf("logs: got %q, want them to hold %q", got, tc.logged)
			}
		})
	}
}

func healthz(*atomix.Platform, *slog.Logger) http.Handler { return httpapi.Healthz() }
