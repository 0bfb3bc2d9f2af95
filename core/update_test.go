package core_test

import (
	"errors"
	"testing"

	"github.com/atomixplatform/atomix/core"
)

func TestApply(t *testing.T) {
	errUpdate, errCheck := errors.New("update"), errors.New("check")
	double := func(n int) (int, error) { return 2 * n, nil }
	grows := func(cur, next int) error {
		if next <= cur {
			return errCheck
		}
		return nil
	}
	tests := []struct {
		name    string
		cur     int
		update  func(int) (int, error)
		want    int
		wantErr error
	}{
		{"applied and checked", 3, double, 6, nil},
		{"the check refuses", -3, double, 0, errCheck},
		{"the update fails", 3, func(int) (int, error) { return 9, errUpdate }, 0, errUpdate},
	}
	for _, tt := range tests {
		got, err := core.Apply(tt.cur, tt.update, grows)
		if got != tt.want || err != tt.wantErr {
			t.Errorf("%s: got %d, %v, want %d, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}
