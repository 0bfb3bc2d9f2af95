package core_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/google/go-cmp/cmp"
)

// fieldNames returns the field names of an Invalid error, or nil.
func fieldNames(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *core.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is %T, want *core.Error", err, err)
	}
	if e.Code != core.Invalid {
		t.Fatalf("code: got %q, want %q", e.Code, core.Invalid)
	}
	var names []string
	for _, f := range e.Fields {
		names = append(names, f.Field)
	}
	return names
}

func TestPageRequestNormalize(t *testing.T) {
	tests := []struct {
		name       string
		in         core.PageRequest
		want       core.PageRequest
		wantFields []string
	}{
		{"zero", core.PageRequest{}, core.PageRequest{Page: 1, Limit: 20}, nil},
		{"given", core.PageRequest{Page: 3, Limit: 50}, core.PageRequest{Page: 3, Limit: 50}, nil},
		{"limit 1", core.PageRequest{Page: 1, Limit: 1}, core.PageRequest{Page: 1, Limit: 1}, nil},
		{"limit 100", core.PageRequest{Limit: 100}, core.PageRequest{Page: 1, Limit: 100}, nil},
		{"limit 101", core.PageRequest{Limit: 101}, core.PageRequest{Page: 1, Limit: 101}, []string{"limit"}},
		{"limit -1", core.PageRequest{Limit: -1}, core.PageRequest{Page: 1, Limit: -1}, []string{"limit"}},
		{"page -1", core.PageRequest{Page: -1}, core.PageRequest{Page: -1, Limit: 20}, []string{"page"}},
		{"max page", core.PageRequest{Page: core.MaxPage}, core.PageRequest{Page: core.MaxPage, Limit: 20}, nil},
		{"max page + 1", core.PageRequest{Page: core.MaxPage + 1}, core.PageRequest{Page: core.MaxPage + 1, Limit: 20}, []string{"page"}},
		{"both bad", core.PageRequest{Page: -5, Limit: 1000}, core.PageRequest{Page: -5, Limit: 1000}, []string{"page", "limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.Normalize()
			if diff := cmp.Diff(tt.wantFields, fieldNames(t, err)); diff != "" {
				t.Errorf("invalid fields (-want +got):\n%s", diff)
			}
			if err == nil && got != tt.want {
				t.Errorf("Normalize(%+v): got %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePageRequest(t *testing.T) {
	tests := []struct {
		name        string
		page, limit string
		want        core.PageRequest
		wantFields  []string
	}{
		{"empty", "", "", core.PageRequest{Page: 1, Limit: 20}, nil},
		{"explicit", "2", "5", core.PageRequest{Page: 2, Limit: 5}, nil},
		{"limit 100", "", "100", core.PageRequest{Page: 1, Limit: 100}, nil},
		{"limit 1", "", "1", core.PageRequest{Page: 1, Limit: 1}, nil},
		{"page 0", "0", "", core.PageRequest{}, []string{"page"}},
		{"limit 0", "", "0", core.PageRequest{}, []string{"limit"}},
		{"page -1", "-1", "", core.PageRequest{}, []string{"page"}},
		{"limit -1", "", "-1", core.PageRequest{}, []string{"limit"}},
		{"page abc", "abc", "", core.PageRequest{}, []string{"page"}},
		{"limit abc", "", "abc", core.PageRequest{}, []string{"limit"}},
		{"limit 101", "", "101", core.PageRequest{}, []string{"limit"}},
		{"page 1.5", "1.5", "", core.PageRequest{}, []string{"page"}},
		{"page overflow", "99999999999999999999999", "", core.PageRequest{}, []string{"page"}},
		{"max page", strconv.Itoa(core.MaxPage), "", core.PageRequest{Page: core.MaxPage, Limit: 20}, nil},
		{"max page + 1", strconv.Itoa(core.MaxPage + 1), "", core.PageRequest{}, []string{"page"}},
		{"both unparsable", "x", "y", core.PageRequest{}, []string{"page", "limit"}},
		{"page unparsable, limit out of range", "abc", "101", core.PageRequest{}, []string{"page", "limit"}},
		{"page out of range, limit unparsable", "0", "abc", core.PageRequest{}, []string{"limit", "page"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := core.ParsePageRequest(tt.page, tt.limit)
			if diff := cmp.Diff(tt.wantFields, fieldNames(t, err)); diff != "" {
				t.Errorf("ParsePageRequest(%q, %q) invalid fields (-want +got):\n%s", tt.page, tt.limit, diff)
			}
			if err == nil && got != tt.want {
				t.Errorf("ParsePageRequest(%q, %q): got %+v, want %+v", tt.page, tt.limit, got, tt.want)
			}
		})
	}
}

func TestPageRequestOffset(t *testing.T) {
	tests := []struct {
		in   core.PageRequest
		want int
	}{
		{core.PageRequest{Page: 1, Limit: 20}, 0},
		{core.PageRequest{Page: 2, Limit: 20}, 20},
		{core.PageRequest{Page: 5, Limit: 1}, 4},
		{core.PageRequest{Page: core.MaxPage, Limit: core.MaxLimit}, (core.MaxPage - 1) * core.MaxLimit},
	}
	for _, tt := range tests {
		if got := tt.in.Offset(); got != tt.want {
			t.Errorf("%+v.Offset(): got %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestNewPage(t *testing.T) {
	tests := []struct {
		name      string
		req       core.PageRequest
		items     []int
		total     int
		wantPages int
	}{
		{"no items", core.PageRequest{Page: 1, Limit: 20}, nil, 0, 0},
		{"one item", core.PageRequest{Page: 1, Limit: 20}, []int{1}, 1, 1},
		{"exact multiple", core.PageRequest{Page: 1, Limit: 20}, make([]int, 20), 40, 2},
		{"partial last page", core.PageRequest{Page: 3, Limit: 20}, []int{1}, 41, 3},
		{"limit 1", core.PageRequest{Page: 2, Limit: 1}, []int{2}, 7, 7},
		{"past the end", core.PageRequest{Page: 9, Limit: 10}, nil, 25, 3},
		{"limit 100", core.PageRequest{Page: 1, Limit: 100}, make([]int, 100), 100, 1},
		{"unnormalized zero limit", core.PageRequest{}, nil, 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := core.NewPage(tt.req, tt.items, tt.total)
			if p.TotalPages != tt.wantPages {
				t.Errorf("TotalPages: got %d, want %d", p.TotalPages, tt.wantPages)
			}
			if p.Total != tt.total || p.Page != tt.req.Page || p.Limit != tt.req.Limit {
				t.Errorf("got {Page %d Limit %d Total %d}, want {Page %d Limit %d Total %d}",
					p.Page, p.Limit, p.Total, tt.req.Page, tt.req.Limit, tt.total)
			}
			if p.Items == nil {
				t.Errorf("Items: got nil, want a non-nil slice (it encodes as [])")
			}
			if len(p.Items) != len(tt.items) {
				t.Errorf("len(Items): got %d, want %d", len(p.Items), len(tt.items))
			}
		})
	}
}

func TestCheckAfter(t *testing.T) {
	key := &core.ListKey{ID: "tn_x"}
	for _, tc := range []struct {
		name  string
		after *core.ListKey
		page  core.PageRequest
		want  bool // refused, naming "page"
	}{
		{name: "no key, any page", page: core.PageRequest{Page: 7}},
		{name: "a key, page 0", after: key},
		{name: "a key, page 1", after: key, page: core.PageRequest{Page: 1, Limit: 50}},
		{name: "a key, page 2", after: key, page: core.PageRequest{Page: 2}, want: true},
	} {
		err := core.CheckAfter(tc.after, tc.page)
		if got := err != nil; got != tc.want {
			t.Errorf("%s: got error %v, want refused %t", tc.name, err, tc.want)
			continue
		}
		if tc.want && (core.ErrorCode(err) != core.Invalid || !slices.Equal(fieldNames(t, err), []string{"page"})) {
			t.Errorf("%s: got %v, want core.Invalid naming page", tc.name, err)
		}
	}
}
