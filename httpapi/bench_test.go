package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// benchTenants is the number of tenants in the benchmark store.
const benchTenants = 1000

// benchSetup returns the real handler (default options but the key: the
// logger discards) over a memory store of benchTenants tenants, and the ID
// of one in the middle.
func benchSetup(b *testing.B) (http.Handler, string) {
	b.Helper()
	p, mid := benchPlatform(b)
	return httpapi.New(p, httpapi.WithAPIKey(testKey)), mid
}

// benchPlatform returns the platform of benchSetup and the tenant in the
// middle.
func benchPlatform(b *testing.B) (*atomix.Platform, string) {
	b.Helper()
	p, err := atomix.New(memory.New())
	if err != nil {
		b.Fatal(err)
	}
	seedPlans(b, p)
	var mid string
	for i := range benchTenants {
		out, err := p.CreateTenant(atomix.AsSystem(context.Background()), atomix.CreateTenantInput{
			Name:      fmt.Sprintf("Company %04d", i),
			Subdomain: fmt.Sprintf("company-%04d", i),
			PlanID:    "plan_professional",
			Contact:   tenant.Contact{Name: "John Doe", Email: "john@acme.com", Phone: "+905321234567"},
			Settings:  tenant.Settings{Industry: "technology", CompanySize: "51-200"},
		})
		if err != nil {
			b.Fatal(err)
		}
		if i == benchTenants/2 {
			mid = out.Tenant.ID
		}
	}
	return p, mid
}

// benchRequest returns an authenticated GET of path.
func benchRequest(path string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Header.Set("Authorization", "Bearer "+testKey)
	return r
}

// answer returns the body h answers to a GET of path, failing unless it
// is a 200.
func answer(b *testing.B, h http.Handler, path string) []byte {
	b.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, benchRequest(path))
	if rec.Code != http.StatusOK {
		b.Fatalf("got status %d (%s), want 200", rec.Code, rec.Body)
	}
	return bytes.Clone(rec.Body.Bytes())
}

// benchServe measures GETs of path answered by h with want, two ways:
//
//   - inproc: h.ServeHTTP with an httptest.ResponseRecorder, as the
//     handler tests call it; this shows the handler's own cost;
//   - loopback: a real net/http server and client over 127.0.0.1 with
//     keep-alive, as a deployment serves it.
func benchServe(b *testing.B, h http.Handler, path string, want []byte) {
	b.Run("inproc", func(b *testing.B) {
		r := benchRequest(path)
		var rec *httptest.ResponseRecorder
		b.ReportAllocs()
		for b.Loop() {
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, r)
		}
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), want) {
			b.Fatalf("got %d %s, want 200 %s", rec.Code, rec.Body, want)
		}
	})
	b.Run("loopback", func(b *testing.B) {
		srv := httptest.NewServer(h)
		defer srv.Close()
		client := srv.Client()
		r, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if err != nil {
			b.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+testKey)
		buf := make([]byte, 0, 64<<10)
		b.ReportAllocs()
		for b.Loop() {
			res, err := client.Do(r)
			if err != nil {
				b.Fatal(err)
			}
			buf = buf[:0]
			for {
				if len(buf) == cap(buf) {
					buf = append(buf, 0)[:len(buf)] // a larger answer: grow
				}
				n, err := res.Body.Read(buf[len(buf):cap(buf)])
				buf = buf[:len(buf)+n]
				if err != nil {
					break
				}
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !bytes.Equal(buf, want) {
				b.Fatalf("got %d %s, want 200 %s", res.StatusCode, buf, want)
			}
		}
	})
}

// The paths of the benchmarks: one tenant, and the third page of 20.
const benchListPath = "/v1/tenants?page=3&limit=20"

func benchGetPath(id string) string { return "/v1/tenants/" + id }

// BenchmarkHTTPTenantGet is GET /v1/tenants/{tenantId} through the real
// handler: routing, request ID, authentication, store read, encoding.
func BenchmarkHTTPTenantGet(b *testing.B) {
	h, id := benchSetup(b)
	benchServe(b, h, benchGetPath(id), answer(b, h, benchGetPath(id)))
}

// BenchmarkHTTPTenantList is GET /v1/tenants (the third page of 20 of
// 1,000) through the real handler.
func BenchmarkHTTPTenantList(b *testing.B) {
	h, _ := benchSetup(b)
	benchServe(b, h, benchListPath, answer(b, h, benchListPath))
}

// BenchmarkBareHandler is a bare net/http handler writing the very bytes
// the real handler answers to the two benchmarks above: the floor to
// compare them with, measured the same two ways.
func BenchmarkBareHandler(b *testing.B) {
	h, id := benchSetup(b)
	for _, bc := range []struct{ name, path string }{
		{"get", benchGetPath(id)},
		{"list", benchListPath},
	} {
		body := answer(b, h, bc.path)
		bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
		b.Run(bc.name, func(b *testing.B) { benchServe(b, bare, bc.path, body) })
	}
}

// BenchmarkTenantUsage is GET /v1/tenants/{tenantId}/usage (seed 002's
// usage report) through the real handler on the memory store of
// benchSetup: the tenant's users and atoms counted, and three SKUs'
// metrics aggregated over 1,000 usage records of the period.
func BenchmarkTenantUsage(b *testing.B) {
	p, id := benchPlatform(b)
	ctx := atomix.AsSystem(context.Background())
	for _, s := range []billing.SKU{
		{Code: "api_calls", Name: "API calls", Aggregation: billing.AggSum,
			Price: billing.Price{Metric: "api_calls", Currency: money.USD, Model: billing.PerUnit, UnitAmount: benchDecimal(b, "0.001")}},
		{Code: "storage_gb", Name: "Storage", Aggregation: billing.AggMax,
			Price: billing.Price{Metric: "storage_gb", Currency: money.USD, Model: billing.PerUnit, UnitAmount: benchDecimal(b, "0.10")}},
		{Code: "sms", Name: "SMS", Aggregation: billing.AggCount,
			Price: billing.Price{Metric: "sms", Currency: money.USD, Model: billing.PerUnit, UnitAmount: benchDecimal(b, "0.05")}},
	} {
		if _, err := p.CreateSKU(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	now := time.Now().UTC()
	recs := make([]billing.UsageRecord, 0, 1000)
	for i := range 1000 {
		metric := [...]string{"api_calls", "storage_gb", "sms"}[i%3]
		recs = append(recs, billing.UsageRecord{TenantID: id, IdempotencyKey: fmt.Sprintf("evt-%04d", i), Metric: metric,
			Quantity: int64(i%50 + 1), Timestamp: now.Add(-time.Duration(i) * time.Second)})
	}
	res, err := p.IngestUsage(ctx, recs)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res {
		if r.Outcome != billing.Accepted {
			b.Fatalf("record %d: got %s %s, want accepted", r.Index, r.Outcome, r.Message)
		}
	}
	h := httpapi.New(p, httpapi.WithAPIKey(testKey))
	path := "/v1/tenants/" + id + "/usage"
	benchServe(b, h, path, answer(b, h, path))
}

func benchDecimal(b *testing.B, s string) money.Decimal {
	d, err := money.ParseDecimal(s)
	if err != nil {
		b.Fatal(err)
	}
	return d
}
