package memory_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/store/memory"
)

// BenchmarkInsertEntries measures InsertEntries on a run of 30,000 new
// entries in batches of 1,000 (a distributor's, a partner's and the
// platform's entry per invoice line, over ten tenants and ten resellers'
// statements), reporting entries/s. Each run ends with a keyset walk of
// a statement's entries, which merges the batches into the key order.
func BenchmarkInsertEntries(b *testing.B) {
	const run, batchSize = 30_000, 1_000
	s := memory.New()
	defer s.Close()
	var statements []commission.Statement
	for r := range 10 {
		st, err := s.OpenStatement(b.Context(), fmt.Sprintf("dist_bench%02d", r), "2026-05", money.USD, time.Now())
		if err != nil {
			b.Fatalf("OpenStatement: got error %v, want nil", err)
		}
		statements = append(statements, st)
	}
	created := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	next := 0
	batch := func() []commission.Entry {
		out := make([]commission.Entry, 0, batchSize)
		for len(out) < batchSize {
			n := next
			next++
			st := statements[n%len(statements)]
			base := commission.Entry{
				TenantID: fmt.Sprintf("tn_bench%02d", n%10), InvoiceID: fmt.Sprintf("inv_%010d", n/20), Line: n % 20,
				Kind: commission.Earned, Month: "2026-05", InvoiceMonth: "2026-05", Currency: money.USD,
				LineKind: billing.LineUsage, SKU: "api_calls", BillingPlan: "plan_pro", NetAmount: 10_000, CreatedAt: created,
			}
			for _, p := range []commission.Party{commission.PartyDistributor, commission.PartyPartner, commission.PartyPlatform} {
				e := base
				e.Party = p
				if p == commission.PartyPlatform {
					e.Amount = 8_000
				} else {
					e.ResellerID, e.StatementID, e.RateBP, e.Amount = st.ResellerID, st.ID, 1000, 1_000
				}
				if len(out) < batchSize {
					out = append(out, e)
				}
			}
		}
		return out
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for range run / batchSize {
			b.StopTimer()
			es := batch()
			b.StartTimer()
			got, err := s.InsertEntries(b.Context(), es)
			if err != nil {
				b.Fatalf("InsertEntries: got error %v, want nil", err)
			}
			for i, ok := range got {
				if !ok {
					b.Fatalf("entry %d: got not inserted, want inserted (every key is new)", i)
				}
			}
		}
		if _, err := s.ListEntries(b.Context(), commission.EntryFilter{StatementID: statements[0].ID, Limit: 1}); err != nil {
			b.Fatalf("ListEntries: got error %v, want nil", err)
		}
	}
	b.ReportMetric(float64(b.N*run)/b.Elapsed().Seconds(), "entries/s")
}
