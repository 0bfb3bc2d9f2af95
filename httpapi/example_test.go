package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/store/memory"
)

// ExampleNew mounts the API under /platform/v1 on the embedder's own mux,
// then creates a tenant and fetches it back from the Location answered.
func ExampleNew() {
	p, err := atomix.New(memory.New())
	if err != nil {
		log.Fatal(err)
	}
	// Tenants subscribe to a stored plan.
	if _, err := p.CreatePlan(atomix.AsSystem(context.Background()), billing.Plan{
		ID: "plan_professional", Name: "Professional", Currency: money.USD,
		Prices: map[billing.Interval]int64{billing.Monthly: 14900}, TrialDays: 14,
		Limits: map[string]int64{billing.LimitAtoms: 15, billing.LimitUsers: 50},
	}); err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/platform/v1/", httpapi.New(p,
		httpapi.WithPrefix("/platform/v1"),
		httpapi.WithAPIKey("s3cret"),
	))

	send := func(method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer s3cret")
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		return w
	}
	var t struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Subdomain string `json:"subdomain"`
		Status    string `json:"status"`
		Plan      string `json:"plan"`
	}

	created := send("POST", "/platform/v1/tenants", `{
		"name": "Acme Corporation",
		"subdomain": "acme",
		"planId": "plan_professional",
		"contact": {"name": "John Doe", "email": "john@acme.com", "phone": "+905321234567"}
	}`)
	if err := json.Unmarshal(created.Body.Bytes(), &t); err != nil {
		log.Fatal(err)
	}
	fmt.Println(created.Code, t.Name, t.Status, t.Plan, strings.HasPrefix(t.ID, "tn_"))

	fetched := send("GET", created.Header().Get("Location"), "")
	if err := json.Unmarshal(fetched.Body.Bytes(), &t); err != nil {
		log.Fatal(err)
	}
	fmt.Println(fetched.Code, t.Subdomain, t.Status)

	missing := send("GET", "/platform/v1/tenants/tn_nope", "")
	fmt.Println(missing.Code, missing.Header().Get("Content-Type"))
	// Output:
	// 201 Acme Corporation trial professional true
	// 200 acme trial
	// 404 application/problem+json
}
