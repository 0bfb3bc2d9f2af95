package access_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/core"
)

// seg64 is a segment of the longest length allowed.
var seg64 = strings.Repeat("a", 64)

func TestParseValid(t *testing.T) {
	tests := []struct {
		in   string
		want access.Permission
		str  string // canonical form; in when empty
	}{
		{in: "task:view", want: access.Permission{Resource: "task", Action: "view"}},
		{in: "task:*", want: access.Permission{Resource: "task", Action: "*"}},
		{in: "*:view", want: access.Permission{Resource: "*", Action: "view"}},
		{in: "*", want: access.Permission{Resource: "*", Action: "*"}},
		{in: "*:*", want: access.Permission{Resource: "*", Action: "*"}, str: "*"},
		{in: "!*", want: access.Permission{Resource: "*", Action: "*", Deny: true}},
		{in: "!*:*", want: access.Permission{Resource: "*", Action: "*", Deny: true}, str: "!*"},
		{in: "!crm:delete", want: access.Permission{Resource: "crm", Action: "delete", Deny: true}},
		{in: "!task:*", want: access.Permission{Resource: "task", Action: "*", Deny: true}},
		{in: "!*:delete", want: access.Permission{Resource: "*", Action: "delete", Deny: true}},
		{in: "task:edit_own", want: access.Permission{Resource: "task", Action: "edit", Own: true}},
		{in: "!task:edit_own", want: access.Permission{Resource: "task", Action: "edit", Own: true, Deny: true}},
		{in: "*:view_own", want: access.Permission{Resource: "*", Action: "view", Own: true}},
		{in: "task:own", want: access.Permission{Resource: "task", Action: "own"}},
		{in: "task:own_own", want: access.Permission{Resource: "task", Action: "own", Own: true}},
		{in: "crm_own:view", want: access.Permission{Resource: "crm_own", Action: "view"}},
		{in: "task_list:bulk_edit", want: access.Permission{Resource: "task_list", Action: "bulk_edit"}},
		{in: "2fa:setup", want: access.Permission{Resource: "2fa", Action: "setup"}},
		{in: "a:b", want: access.Permission{Resource: "a", Action: "b"}},
		{in: seg64 + ":" + seg64[:63], want: access.Permission{Resource: seg64, Action: seg64[:63]}},
	}
	for _, tt := range tests {
		got, err := access.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): got error %v, want none", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q): got %+v, want %+v", tt.in, got, tt.want)
		}
		want := tt.str
		if want == "" {
			want = tt.in
		}
		if s := got.String(); s != want {
			t.Errorf("Parse(%q).String(): got %q, want %q", tt.in, s, want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []string{
		"",
		"!",
		"!!task:view",
		"task",
		"task:",
		":view",
		":",
		"a:b:c",
		"task:view:",
		"Task:view",
		"task:View",
		"TASK:VIEW",
		"tâche:view",
		"task:voir✓",
		"task :view",
		" task:view",
		"task:view ",
		"task:edit\n",
		"task:\x00",
		"task-list:view",
		"task.list:view",
		"_task:view",
		"task_:view",
		"task:_view",
		"task:_own",
		"task:*_own",
		"*:*_own",
		"*_own",
		"!*_own",
		"task:view_own_own",
		"**",
		"*:**",
		"task*:view",
		"task:vi*",
		"*task:view",
		"*!",
		"task!:view",
		"task:!view",
		seg64 + "a:view",
		"task:" + seg64 + "a",
		seg64 + ":" + seg64,            // 129 characters
		"!" + seg64 + ":" + seg64[:63], // 129 characters
	}
	for _, in := range tests {
		p, err := access.Parse(in)
		if err == nil {
			t.Errorf("Parse(%q): got %+v, want an error", in, p)
			continue
		}
		if code := core.ErrorCode(err); code != core.Invalid {
			t.Errorf("Parse(%q): got code %q, want %q", in, code, core.Invalid)
		}
		var ce *core.Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "permissions") {
			t.Errorf("Parse(%q): got error %v, want a *core.Error naming permissions", in, err)
		}
		if _, err := access.Compile([]string{"task:view", in}); err == nil {
			t.Errorf("Compile(%q): got no error, want one", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"task:view", "task:*", "*:view", "*", "*:*", "!*", "!crm:delete", "task:edit_own",
		"!task:edit_own", "*:view_own", "task:own_own", "a:b:c", "Task:view", "task:*_own", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := access.Parse(s)
		if err != nil {
			return
		}
		str := p.String()
		if len(str) > len(s) {
			t.Fatalf("Parse(%q).String(): got %q, longer than the input", s, str)
		}
		q, err := access.Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q) of the String of Parse(%q): got error %v, want none", str, s, err)
		}
		if q != p {
			t.Fatalf("Parse(Parse(%q).String()): got %+v, want %+v", s, q, p)
		}
		if again := q.String(); again != str {
			t.Fatalf("String twice of %q: got %q, want %q", s, again, str)
		}
		set, err := access.Compile([]string{s})
		if err != nil {
			t.Fatalf("Compile(%q): got error %v, want none", s, err)
		}
		if g := set.Grants(); len(g) != 1 || g[0] != str {
			t.Fatalf("Compile(%q).Grants(): got %q, want [%q]", s, g, str)
		}
	})
}
