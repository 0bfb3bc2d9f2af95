package main

// An internal test: package main cannot be imported by an external one.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeAPI answers the endpoints of the mix with canned bodies, checking
// what the tool sends.
func fakeAPI(t *testing.T) http.Handler {
	var tenants atomic.Int64
	mux := http.NewServeMux()
	authed := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer ak_test" {
				http.Error(w, `{"code":"unauthenticated"}`, http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("POST /v1/tenants", authed(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = fmt.Fprintf(w, `{"id":"tn_%d"}`, tenants.Add(1))
	}))
	mux.HandleFunc("GET /v1/tenants", authed(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"data":[],"pagination":{"limit":20,"hasMore":false}}`)
	}))
	mux.HandleFunc("POST /v1/tenants/{id}/atoms", authed(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"atomId":"atom_notification"}`)
	}))
	mux.HandleFunc("DELETE /v1/tenants/{id}/atoms/{atomId}", authed(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"removed":[]}`)
	}))
	tokens := func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || (in["refreshToken"] == "" && in["password"] != "pw") {
			http.Error(w, `{"code":"invalid_credentials"}`, http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, `{"accessToken":"a","refreshToken":"r","expiresIn":900}`)
	}
	mux.HandleFunc("POST /v1/auth/login", tokens)
	mux.HandleFunc("POST /v1/auth/refresh", tokens)
	mux.HandleFunc("POST /v1/usage", authed(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Records []json.RawMessage `json:"records"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			t.Errorf("usage body: %v", err)
		}
		_ = json.NewEncoder(w).Encode(map[string]int{"accepted": len(in.Records)})
	}))
	return mux
}

func TestRun(t *testing.T) {
	srv := httptest.NewServer(fakeAPI(t))
	defer srv.Close()
	env := map[string]string{"ATOMIX_API_KEY": "ak_test", "ATOMIX_ADMIN_EMAIL": "a@example.com", "ATOMIX_ADMIN_PASSWORD": "pw"}
	tests := []struct {
		name string
		args []string
		ops  []string
	}{
		{"mix", []string{"-target", srv.URL + "/v1", "-duration", "1s", "-rate", "200", "-workers", "4", "-batch", "100", "-tenants", "4",
			"-usage-rate", "20", "-ingest", "500ms", "-usage-workers", "2"},
			[]string{opList, opLogin, opRefresh, opInstall, opUninstall, opUsage, opIngest}},
		{"mix without ingestion", []string{"-target", srv.URL + "/v1", "-duration", "500ms", "-rate", "100", "-workers", "2", "-batch", "10", "-tenants", "2",
			"-ingest", "0"},
			[]string{opList, opLogin, opRefresh, opInstall, opUninstall, opUsage}},
		{"baseline", []string{"-baseline", "-duration", "500ms", "-rate", "200", "-workers", "4"},
			[]string{opList + " (baseline)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			rep, err := run(context.Background(), tt.args, func(k string) string { return env[k] }, &out, &errOut)
			if err != nil {
				t.Fatalf("run: got %v, want nil (stderr %s)", err, errOut.String())
			}
			if got, want := len(rep.Ops), len(tt.ops); got != want {
				t.Fatalf("got %d operations, want %d:\n%s", got, want, out.String())
			}
			for _, op := range tt.ops {
				s, ok := rep.op(op)
				switch {
				case !ok:
					t.Errorf("got no %s in the report, want it:\n%s", op, out.String())
				case s.Count == 0:
					t.Errorf("%s: got count 0, want > 0", op)
				case s.Errors != 0:
					t.Errorf("%s: got %d errors (%v), want 0", op, s.Errors, s.ErrorKinds)
				case !strings.Contains(out.String(), op):
					t.Errorf("got a report without %s, want it:\n%s", op, out.String())
				}
			}
			if tt.name == "mix" {
				for _, op := range []string{opUsage, opIngest} {
					if s, _ := rep.op(op); s.Records == 0 || s.Records != int64(s.Count)*100 {
						t.Errorf("%s: got %d records for %d batches, want %d", op, s.Records, s.Count, s.Count*100)
					}
				}
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"no target", nil, map[string]string{"ATOMIX_API_KEY": "k"}},
		{"no key", []string{"-target", "http://127.0.0.1:1/v1", "-auth-rate", "0"}, nil},
		{"no password", []string{"-target", "http://127.0.0.1:1/v1"}, map[string]string{"ATOMIX_API_KEY": "k"}},
		{"negative rate", []string{"-target", "http://127.0.0.1:1/v1", "-rate", "-1", "-auth-rate", "0"}, map[string]string{"ATOMIX_API_KEY": "k"}},
		{"negative usage rate", []string{"-target", "http://127.0.0.1:1/v1", "-usage-rate", "-1", "-auth-rate", "0"}, map[string]string{"ATOMIX_API_KEY": "k"}},
		{"ingestion without workers", []string{"-target", "http://127.0.0.1:1/v1", "-usage-workers", "0", "-auth-rate", "0"}, map[string]string{"ATOMIX_API_KEY": "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err == nil {
				t.Errorf("parse(%q): got nil error, want one", tt.args)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	d := make([]time.Duration, 1000)
	for i := range d {
		d[i] = time.Duration(i + 1)
	}
	tests := []struct {
		name string
		got  int64
		want int64
	}{
		{"p50", int64(quantile(d, 500)), 500},
		{"p99", int64(quantile(d, 990)), 990},
		{"p99.9", int64(quantile10k(d, 9990)), 999},
		{"p100", int64(quantile(d, 1000)), 1000},
		{"empty", int64(quantile(nil, 500)), 0},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}
