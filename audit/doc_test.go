package audit_test

import (
	"testing"
	"time"

	"github.com/atomixplatform/atomix/audit"
)

func TestMatch(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	e := audit.Entry{ID: "aud_1", At: at, ActorID: "usr_1", TenantID: "tn_a"}
	tests := []struct {
		name string
		f    audit.Filter
		want bool
	}{
		{"no filter", audit.Filter{}, true},
		{"its tenant", audit.Filter{TenantID: "tn_a"}, true},
		{"another tenant", audit.Filter{TenantID: "tn_b"}, false},
		{"in the scope", audit.Filter{TenantIDs: []string{"tn_b", "tn_a"}}, true},
		{"an empty scope", audit.Filter{TenantIDs: []string{}}, false},
		{"its actor", audit.Filter{ActorID: "usr_1"}, true},
		{"another actor", audit.Filter{ActorID: "usr_2"}, false},
		{"from its instant", audit.Filter{From: at}, true},
		{"to its instant, excluded", audit.Filter{To: at}, false},
		{"after it", audit.Filter{From: at.Add(time.Second)}, false},
	}
	for _, tt := range tests {
		if got := audit.Match(tt.f, e); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
