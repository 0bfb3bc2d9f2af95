package access_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/access"
)

// TestCheckMatrix checks one permission against a grant set three ways:
// Check, CheckOwn on the actor's own resource, and CheckOwn on another
// user's resource.
func TestCheckMatrix(t *testing.T) {
	tests := []struct {
		name   string
		grants []string
		perm   string
		check  bool // Check(perm)
		own    bool // CheckOwn(perm, "usr_1", "usr_1")
		other  bool // CheckOwn(perm, "usr_2", "usr_1")
	}{
		{"exact", []string{"task:view"}, "task:view", true, true, true},
		{"exact other action", []string{"task:view"}, "task:edit", false, false, false},
		{"exact other resource", []string{"task:view"}, "crm:view", false, false, false},
		{"resource wildcard", []string{"task:*"}, "task:delete", true, true, true},
		{"resource wildcard other resource", []string{"task:*"}, "crm:delete", false, false, false},
		{"action wildcard", []string{"*:view"}, "crm:view", true, true, true},
		{"action wildcard other action", []string{"*:view"}, "crm:edit", false, false, false},
		{"all", []string{"*"}, "billing:refund", true, true, true},
		{"all as *:*", []string{"*:*"}, "billing:refund", true, true, true},
		{"empty set", nil, "task:view", false, false, false},

		{"deny over exact", []string{"task:view", "!task:view"}, "task:view", false, false, false},
		{"deny before allow", []string{"!task:view", "task:view"}, "task:view", false, false, false},
		{"deny over resource wildcard", []string{"task:*", "!task:delete"}, "task:delete", false, false, false},
		{"deny leaves the rest", []string{"task:*", "!task:delete"}, "task:view", true, true, true},
		{"deny over action wildcard", []string{"*:view", "!crm:view"}, "crm:view", false, false, false},
		{"deny over all", []string{"*", "!crm:delete"}, "crm:delete", false, false, false},
		{"deny leaves all", []string{"*", "!crm:delete"}, "crm:view", true, true, true},
		{"resource wildcard deny over exact", []string{"task:view", "!task:*"}, "task:view", false, false, false},
		{"action wildcard deny over resource wildcard", []string{"task:*", "!*:delete"}, "task:delete", false, false, false},
		{"deny all over all", []string{"*", "!*"}, "task:view", false, false, false},
		{"deny all over exact", []string{"task:view", "!*:*"}, "task:view", false, false, false},
		{"deny alone", []string{"!task:view"}, "task:view", false, false, false},

		{"no prefix on resource wildcard", []string{"task:*"}, "taskforce:view", false, false, false},
		{"no prefix on resource", []string{"task:view"}, "tas:view", false, false, false},
		{"no prefix on action", []string{"task:view"}, "task:viewer", false, false, false},
		{"no prefix on action wildcard", []string{"*:view"}, "task:views", false, false, false},
		{"no suffix", []string{"force:view"}, "taskforce:view", false, false, false},

		{"own", []string{"task:edit_own"}, "task:edit", false, true, false},
		{"own through action wildcard", []string{"*:edit_own"}, "crm:edit", false, true, false},
		{"own is one action", []string{"task:edit_own"}, "task:view", false, false, false},
		{"own with plain allow", []string{"task:edit_own", "task:edit"}, "task:edit", true, true, true},
		{"own deny over own allow", []string{"task:edit_own", "!task:edit_own"}, "task:edit", false, false, false},
		{"own deny over plain allow", []string{"task:*", "!task:edit_own"}, "task:edit", false, false, true},
		{"own deny through wildcard", []string{"*", "!*:edit_own"}, "crm:edit", false, false, true},
		{"plain deny over own allow", []string{"task:edit_own", "!task:*"}, "task:edit", false, false, false},
		{"all deny over own allow", []string{"task:edit_own", "!*"}, "task:edit", false, false, false},
	}
	for _, tt := range tests {
		s, err := access.Compile(tt.grants)
		if err != nil {
			t.Fatalf("%s: Compile(%q): %v", tt.name, tt.grants, err)
		}
		if got := s.Check(tt.perm); got != tt.check {
			t.Errorf("%s: %q.Check(%q): got %v, want %v", tt.name, tt.grants, tt.perm, got, tt.check)
		}
		if got := s.CheckOwn(tt.perm, "usr_1", "usr_1"); got != tt.own {
			t.Errorf("%s: %q.CheckOwn(%q, own): got %v, want %v", tt.name, tt.grants, tt.perm, got, tt.own)
		}
		if got := s.CheckOwn(tt.perm, "usr_2", "usr_1"); got != tt.other {
			t.Errorf("%s: %q.CheckOwn(%q, another's): got %v, want %v", tt.name, tt.grants, tt.perm, got, tt.other)
		}
	}
}

func TestCheckOwnIDs(t *testing.T) {
	s := access.MustCompile("task:edit_own", "!crm:edit_own", "crm:*")
	tests := []struct {
		perm, owner, actor string
		want               bool
	}{
		{"task:edit", "usr_1", "usr_1", true},
		{"task:edit", "usr_2", "usr_1", false},
		{"task:edit", "", "", false},
		{"task:edit", "usr_1", "", false},
		{"task:edit", "", "usr_1", false},
		{"task:edit", "usr_1", "USR_1", false},
		{"crm:edit", "usr_1", "usr_1", false}, // the "_own" deny
		{"crm:edit", "usr_2", "usr_1", true},  // crm:* on another's
		{"crm:edit", "", "", true},            // no owner: not the actor's
	}
	for _, tt := range tests {
		if got := s.CheckOwn(tt.perm, tt.owner, tt.actor); got != tt.want {
			t.Errorf("CheckOwn(%q, %q, %q): got %v, want %v", tt.perm, tt.owner, tt.actor, got, tt.want)
		}
	}
}

// notConcrete are permissions no Check allows, whatever the set.
var notConcrete = []string{
	"", "*", "*:*", "task:*", "*:view", "!task:view", "!*", "task:edit_own", "task:view_own",
	"task", "task:", ":view", ":", "task:view:x", "Task:view", "task:View", "tâche:view",
	"task :view", "_task:view", "task_:view", "task:_x", "task-x:view",
	seg64 + "a:view", "task:" + seg64 + "a", seg64 + ":" + seg64,
}

func TestCheckNotConcrete(t *testing.T) {
	sets := [][]string{
		{"*"},
		{"task:*", "*:view", "*:edit_own", "task:edit_own", "task:view"},
		{"*", "task:*", "*:view", "*:*"},
	}
	for _, g := range sets {
		s := access.MustCompile(g...)
		for _, perm := range notConcrete {
			if s.Check(perm) {
				t.Errorf("%q.Check(%q): got true, want false", g, perm)
			}
			if s.CheckOwn(perm, "usr_1", "usr_1") {
				t.Errorf("%q.CheckOwn(%q, own): got true, want false", g, perm)
			}
		}
	}
}

func TestNilAndZeroSet(t *testing.T) {
	var nilSet *access.Set
	for _, s := range []*access.Set{nilSet, {}} {
		if s.Check("task:view") {
			t.Errorf("%v.Check: got true, want false", s)
		}
		if s.CheckOwn("task:view", "u", "u") {
			t.Errorf("%v.CheckOwn: got true, want false", s)
		}
		if g := s.Grants(); len(g) != 0 {
			t.Errorf("%v.Grants(): got %q, want none", s, g)
		}
	}
}

func TestGrants(t *testing.T) {
	in := []string{"task:view", "*:*", "!*:*", "!crm:delete", "task:edit_own", "task:view"}
	s := access.MustCompile(in...)
	want := []string{"task:view", "*", "!*", "!crm:delete", "task:edit_own", "task:view"}
	got := s.Grants()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Grants(): got %q, want %q", got, want)
	}
	got[0] = "changed"
	if again := s.Grants(); again[0] != "task:view" {
		t.Errorf("Grants() after changing a copy: got %q, want %q", again[0], "task:view")
	}
}

func TestMustCompilePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustCompile(\"Task:view\"): got no panic, want one")
		}
	}()
	access.MustCompile("Task:view")
}

// refAllows is the naive reference: grants parsed one by one, perm on
// the own or the other path allowed when some allow covers it and no deny
// does.
func refAllows(grants []access.Permission, perm string, own bool) bool {
	p, err := access.Parse(perm)
	if err != nil || p.Deny || p.Own || p.Resource == "*" || p.Action == "*" {
		return false
	}
	allowed := false
	for _, g := range grants {
		covers := (g.Resource == "*" || g.Resource == p.Resource) &&
			(g.Action == "*" || g.Action == p.Action) && (own || !g.Own)
		if !covers {
			continue
		}
		if g.Deny {
			return false
		}
		allowed = true
	}
	return allowed
}

// TestCheckAgainstReference compares Check and CheckOwn with refAllows
// over random grant sets and permissions.
func TestCheckAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 2026))
	resources := []string{"task", "taskforce", "tas", "crm", "crm_own", "a"}
	actions := []string{"view", "viewer", "edit", "delete", "own", "x"}
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	grant := func() string {
		if r.IntN(40) == 0 {
			return pick([]string{"*", "!*", "*:*"})
		}
		res, act := pick(resources), pick(actions)
		if r.IntN(5) == 0 {
			res = "*"
		}
		if r.IntN(5) == 0 {
			act = "*"
		} else if r.IntN(4) == 0 {
			act += "_own"
		}
		g := res + ":" + act
		if r.IntN(4) == 0 {
			g = "!" + g
		}
		return g
	}
	perm := func() string {
		switch r.IntN(10) {
		case 0:
			return pick(notConcrete)
		case 1:
			return pick(resources) + ":" + pick(actions) + "_own"
		default:
			return pick(resources) + ":" + pick(actions)
		}
	}
	for range 2000 {
		n := r.IntN(12)
		if r.IntN(10) == 0 {
			n = r.IntN(200)
		}
		grants := make([]string, n)
		parsed := make([]access.Permission, n)
		for i := range grants {
			grants[i] = grant()
			p, err := access.Parse(grants[i])
			if err != nil {
				t.Fatalf("Parse(%q): %v", grants[i], err)
			}
			parsed[i] = p
		}
		s, err := access.Compile(grants)
		if err != nil {
			t.Fatalf("Compile(%q): %v", grants, err)
		}
		for range 20 {
			p := perm()
			want := refAllows(parsed, p, false) && refAllows(parsed, p, true)
			if got := s.Check(p); got != want {
				t.Fatalf("%q.Check(%q): got %v, want %v", grants, p, got, want)
			}
			want = refAllows(parsed, p, true)
			if got := s.CheckOwn(p, "usr_1", "usr_1"); got != want {
				t.Fatalf("%q.CheckOwn(%q, own): got %v, want %v", grants, p, got, want)
			}
			want = refAllows(parsed, p, false)
			if got := s.CheckOwn(p, "usr_2", "usr_1"); got != want {
				t.Fatalf("%q.CheckOwn(%q, another's): got %v, want %v", grants, p, got, want)
			}
		}
	}
}

func TestCheckAllocatesNothing(t *testing.T) {
	s := access.MustCompile(benchGrants(1000)...)
	all := access.MustCompile("*", "!crm:delete")
	perms := append([]string{"resource1:view", "resource1:approve", "resource9:export0",
		"resource1:delete", "nothing:view", "resource1x:view"}, notConcrete...)
	for _, p := range perms {
		n := testing.AllocsPerRun(100, func() {
			s.Check(p)
			s.CheckOwn(p, "usr_1", "usr_1")
			s.CheckOwn(p, "usr_2", "usr_1")
			all.Check(p)
			all.CheckOwn(p, "usr_1", "usr_1")
		})
		if n != 0 {
			t.Errorf("Check and CheckOwn of %q: got %v allocations, want 0", p, n)
		}
	}
}

func TestActorContext(t *testing.T) {
	ctx := context.Background()
	if a, ok := access.ActorFrom(ctx); ok {
		t.Errorf("ActorFrom(empty context): got %+v, true; want false", a)
	}
	u := access.Actor{Kind: access.ActorUser, ID: "usr_1", Role: "tenant_member",
		Scope: access.Scope{Kind: access.ScopeTenant, ID: "tn_1"}, Perms: access.MustCompile("task:edit_own")}
	got, ok := access.ActorFrom(access.WithActor(ctx, u))
	if !ok || got.ID != "usr_1" || got.Scope != u.Scope || got.Perms != u.Perms {
		t.Errorf("ActorFrom(WithActor(u)): got %+v, %v; want %+v, true", got, ok, u)
	}
	sys, ok := access.ActorFrom(access.AsSystem(ctx))
	if !ok || sys.Kind != access.ActorSystem || sys.Scope.Kind != access.ScopePlatform {
		t.Errorf("ActorFrom(AsSystem): got %+v, %v; want the system actor", sys, ok)
	}
	if !sys.Perms.Check("billing:refund") || !sys.Perms.CheckOwn("task:edit", "usr_9", "system") {
		t.Error("System().Perms: got a refusal, want every permission")
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		grants []string
		grant  string
		want   bool
	}{
		{[]string{"*"}, "crm:*", true},
		{[]string{"*"}, "*", true},
		{[]string{"*", "!crm:delete"}, "crm:view", true},
		{[]string{"*", "!crm:delete"}, "crm:*", false},
		{[]string{"*", "!crm:delete"}, "*:delete", false},
		{[]string{"*", "!crm:delete"}, "*", false},
		{[]string{"*", "!crm:delete"}, "!*", true},
		{[]string{"task:*"}, "task:edit_own", true},
		{[]string{"task:*"}, "task:*", true},
		{[]string{"task:*"}, "taskforce:view", false},
		{[]string{"task:*"}, "*:view", false},
		{[]string{"task:edit_own"}, "task:edit", false},
		{[]string{"task:edit_own"}, "task:edit_own", true},
		{[]string{"*:view"}, "crm:view", true},
		{[]string{"*:view"}, "crm:view_own", true},
		{[]string{"*:view_own"}, "crm:view", false},
		{[]string{"task:*", "!task:edit_own"}, "task:edit", false},
		{[]string{"task:*", "!task:edit_own"}, "task:view", true},
		{[]string{"task:view", "task:edit"}, "task:*", false},
		{[]string{"*", "!*"}, "task:view", false},
		{nil, "task:view", false},
		{nil, "!task:view", true},
		{[]string{"*"}, "Task:view", false},
	}
	for _, tt := range tests {
		s := access.MustCompile(tt.grants...)
		if got := s.Covers(tt.grant); got != tt.want {
			t.Errorf("%q.Covers(%q): got %v, want %v", tt.grants, tt.grant, got, tt.want)
		}
	}
	var nilSet *access.Set
	if nilSet.Covers("task:view") {
		t.Error("nil.Covers(\"task:view\"): got true, want false")
	}
}

// TestCoversAgainstChecks compares Covers with Check over a universe in
// which a fresh resource and a fresh action stand for every name the sets
// do not mention: a grant is covered when every permission it allows is.
func TestCoversAgainstChecks(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 7))
	resources := []string{"task", "crm", "zz_fresh"}
	actions := []string{"view", "edit", "zz_fresh"}
	segRes := []string{"task", "crm", "*"}
	segAct := []string{"view", "edit", "*"}
	grant := func() string {
		if r.IntN(20) == 0 {
			return "*"
		}
		act := segAct[r.IntN(3)]
		if act != "*" && r.IntN(3) == 0 {
			act += "_own"
		}
		g := segRes[r.IntN(3)] + ":" + act
		if r.IntN(4) == 0 {
			g = "!" + g
		}
		return g
	}
	for range 3000 {
		grants := make([]string, r.IntN(6))
		for i := range grants {
			grants[i] = grant()
		}
		s := access.MustCompile(grants...)
		g := strings.TrimPrefix(grant(), "!")
		p, err := access.Parse(g)
		if err != nil {
			t.Fatalf("Parse(%q): %v", g, err)
		}
		want := true
		for _, res := range resources {
			for _, act := range actions {
				if (p.Resource != "*" && p.Resource != res) || (p.Action != "*" && p.Action != act) {
					continue
				}
				perm := res + ":" + act
				if p.Own && !s.CheckOwn(perm, "usr_1", "usr_1") || !p.Own && !s.Check(perm) {
					want = false
				}
			}
		}
		if got := s.Covers(g); got != want {
			t.Fatalf("%q.Covers(%q): got %v, want %v", grants, g, got, want)
		}
	}
}
