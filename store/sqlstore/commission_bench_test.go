package sqlstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/store"
)

// Shape of BenchmarkInsertEntries: a commission run of 30,000 entries
// sent in batches of 1,000.
const (
	entryRun   = 30_000
	entryBatch = 1_000
)

// commissionBench makes the batches of BenchmarkInsertEntries: each
// invoice line gives a distributor's, a partner's and the platform's
// entry, over ten tenants and ten resellers' statements.
type commissionBench struct {
	next       int // the next invoice line
	statements []commission.Statement
}

func (c *commissionBench) open(b *testing.B, s store.Store) {
	for r := range 10 {
		st, err := s.OpenStatement(b.Context(), fmt.Sprintf("dist_bench%02d", r), "2026-05", money.USD, time.Now())
		if err != nil {
			b.Fatalf("OpenStatement: got error %v, want nil", err)
		}
		c.statements = append(c.statements, st)
	}
}

func (c *commissionBench) batch() []commission.Entry {
	created := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	out := make([]commission.Entry, 0, entryBatch)
	for len(out) < entryBatch {
		n := c.next
		c.next++
		st := c.statements[n%len(c.statements)]
		base := commission.Entry{
			TenantID: fmt.Sprintf("tn_bench%02d", n%10), InvoiceID: fmt.Sprintf("inv_%010d", n/20), Line: n % 20,
			Kind: commission.Earned, Month: "2026-05", InvoiceMonth: "2026-05", Currency: money.USD,
			LineKind: billing.LineUsage, SKU: "api_calls", BillingPlan: "plan_pro", NetAmount: 10_000, CreatedAt: created,
		}
		for _, p := range []commission.Party{commission.PartyDistributor, commission.PartyPartner, commission.PartyPlatform} {
			e := base
			e.Party = p
			switch p {
			case commission.PartyPlatform:
				e.Amount = 8_000
			default:
				e.ResellerID, e.StatementID, e.RateBP, e.Amount, e.PlanID, e.VersionMonth = st.ResellerID, st.ID, 1000, 1_000, "cpl_bench", "2026-01"
			}
			if len(out) < entryBatch {
				out = append(out, e)
			}
		}
	}
	return out
}

// BenchmarkInsertEntries measures InsertEntries on a run of 30,000 new
// entries in batches of 1,000, reporting entries/s.
func BenchmarkInsertEntries(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			s := open(b, be.dsn(b))
			var c commissionBench
			c.open(b, s)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				for range entryRun / entryBatch {
					b.StopTimer()
					es := c.batch()
					b.StartTimer()
					got, err := s.InsertEntries(b.Context(), es)
					if err != nil {
						b.Fatalf("InsertEntries: got error %v, want nil", err)
					}
					b.StopTimer()
					for i, ok := range got {
						if !ok {
							b.Fatalf("entry %d: got not inserted, want inserted (every key is new)", i)
						}
					}
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(b.N*entryRun)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
