package role_test

import (
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/role"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"support_agent", true},
		{"a", true},
		{"agent2", true},
		{"", false},
		{"2agent", false},
		{"_agent", false},
		{"Agent", false},
		{"sales-lead", false},
		{strings.Repeat("a", role.MaxNameLen), true},
		{strings.Repeat("a", role.MaxNameLen+1), false},
	}
	for _, tt := range tests {
		if got := role.ValidName(tt.name); got != tt.want {
			t.Errorf("ValidName(%q): got %v, want %v", tt.name, got, tt.want)
		}
	}
}
