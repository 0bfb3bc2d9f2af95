package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/store/memory"
)

// The team's own route and the mounted API live side by side on one mux,
// and the API answers only under its prefix.
func TestMux(t *testing.T) {
	p, err := atomix.New(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newMux(p, "k", slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()

	cases := []struct {
		path, key string
		want      int
		body      string
	}{
		{"/hello", "", http.StatusOK, "hello from the team's own route"},
		{"/platform/v1/tenants", "k", http.StatusOK, `"pagination"`},
		{"/platform/v1/tenants", "", http.StatusUnauthorized, `"unauthenticated"`},
		{"/platform/v1/swagger.json", "", http.StatusOK, `"/platform/v1"`},
		{"/v1/tenants", "k", http.StatusNotFound, ""},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
		if tc.key != "" {
			req.Header.Set("Authorization", "Bearer "+tc.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || !strings.Contains(string(b), tc.body) {
			t.Errorf("GET %s: got %d %q, want %d containing %q", tc.path, resp.StatusCode, b, tc.want, tc.body)
		}
	}
}
