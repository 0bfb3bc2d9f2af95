package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/httpapi"
)

// linkRE finds the files the Swagger UI page links: its scripts, style
// sheet and icons.
var linkRE = regexp.MustCompile(`(?:src|href)="([^"]*)"`)

// TestSwaggerUI checks that GET /swagger serves the Swagger UI page reading
// the served document, under each prefix, and that every file the page
// links is served by the handler itself.
func TestSwaggerUI(t *testing.T) {
	tests := []struct {
		name   string
		opts   []httpapi.Option
		prefix string
	}{
		{"default", nil, "/v1"},
		{"platform", []httpapi.Option{httpapi.WithPrefix("/platform/v1")}, "/platform/v1"},
		{"root", []httpapi.Option{httpapi.WithPrefix("/")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts...)
			res := e.do(t, req{method: http.MethodGet, path: "/swagger", auth: "-"})
			res.wantStatus(t, http.StatusOK)
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("got Content-Type %q, want text/html", ct)
			}
			page := string(res.body)
			if want := `"swaggerJsonUrl":"` + tt.prefix + `/swagger.json"`; !strings.Contains(page, want) {
				t.Errorf("the page does not read the served document: got no %s in\n%s", want, page)
			}
			var links []string
			for _, m := range linkRE.FindAllStringSubmatch(page, -1) {
				links = append(links, m[1])
			}
			if len(links) < 3 {
				t.Fatalf("got links %q, want the page's scripts, style sheet and icons", links)
			}
			for _, l := range links {
				file, ok := strings.CutPrefix(l, tt.prefix+"/swagger/")
				if !ok {
					t.Errorf("the page links %q, want a file under %s/swagger/", l, tt.prefix)
					continue
				}
				res := e.do(t, req{method: http.MethodGet, path: "/swagger/" + file, auth: "-"})
				res.wantStatus(t, http.StatusOK)
				if len(res.body) == 0 {
					t.Errorf("GET %s: got an empty body, want the file", l)
				}
			}
		})
	}
}

// TestSwaggerUIAsset checks the asset route: compression as the client
// asks, ETags, and problems for what it does not serve.
func TestSwaggerUIAsset(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name        string
		path        string
		header      map[string]string
		wantStatus  int
		wantType    string // in the Content-Type
		wantGzip    bool
		wantContent string // in the body, decompressed
	}{
		{"plain", "/swagger/swagger-ui-bundle.js", nil, http.StatusOK, "javascript", false, "SwaggerUIBundle"},
		{"gzip", "/swagger/swagger-ui-bundle.js", map[string]string{"Accept-Encoding": "gzip"}, http.StatusOK, "javascript", true, "SwaggerUIBundle"},
		{"style sheet", "/swagger/swagger-ui.css", map[string]string{"Accept-Encoding": "gzip"}, http.StatusOK, "text/css", true, ".swagger-ui"},
		{"icon", "/swagger/favicon-32x32.png", nil, http.StatusOK, "image/png", false, "PNG"},
		{"unknown file", "/swagger/nothing.js", nil, http.StatusNotFound, "application/problem+json", false, "not_found"},
		{"go source", "/swagger/embed.go", nil, http.StatusNotFound, "application/problem+json", false, "not_found"},
		{"trailing slash", "/swagger/", nil, http.StatusNotFound, "application/problem+json", false, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(t, req{method: http.MethodGet, path: tt.path, auth: "-", header: tt.header})
			res.wantStatus(t, tt.wantStatus)
			if ct := res.header.Get("Content-Type"); !strings.Contains(ct, tt.wantType) {
				t.Errorf("got Content-Type %q, want %s", ct, tt.wantType)
			}
			body := res.body
			if gotGzip := res.header.Get("Content-Encoding") == "gzip"; gotGzip != tt.wantGzip {
				t.Fatalf("got Content-Encoding %q, want gzip %v", res.header.Get("Content-Encoding"), tt.wantGzip)
			}
			if tt.wantGzip {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Contains(body, []byte(tt.wantContent)) {
				t.Errorf("got a body without %q", tt.wantContent)
			}
		})
	}

	t.Run("etag", func(t *testing.T) {
		res := e.do(t, req{method: http.MethodGet, path: "/swagger/swagger-ui.css", auth: "-"})
		etag := res.header.Get("Etag")
		if etag == "" {
			t.Fatal("got no ETag, want one")
		}
		res = e.do(t, req{method: http.MethodGet, path: "/swagger/swagger-ui.css", auth: "-", header: map[string]string{"If-None-Match": etag}})
		res.wantStatus(t, http.StatusNotModified)
	})

	t.Run("method", func(t *testing.T) {
		res := e.do(t, req{method: http.MethodPost, path: "/swagger", auth: "-"})
		res.wantStatus(t, http.StatusMethodNotAllowed)
		if got := res.header.Get("Allow"); got != "GET, HEAD" {
			t.Errorf("got Allow %q, want GET, HEAD", got)
		}
	})
}

// BenchmarkSwaggerUI measures the page and its largest file, compressed.
func BenchmarkSwaggerUI(b *testing.B) {
	e := newEnv(b)
	for _, bb := range []struct {
		name, path string
	}{
		{"page", "/v1/swagger"},
		{"bundle-gzip", "/v1/swagger/swagger-ui-bundle.js"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, bb.path, nil)
			r.Header.Set("Accept-Encoding", "gzip")
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				e.h.ServeHTTP(rec, r)
				if rec.Code != http.StatusOK {
					b.Fatalf("got status %d, want 200", rec.Code)
				}
			}
		})
	}
}
