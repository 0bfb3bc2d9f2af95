package access_test

import (
	"fmt"
	"testing"

	"github.com/atomixplatform/atomix/access"
)

// benchGrants returns n grants over n/5 resources: exact allows, "_own"
// allows, a resource wildcard, an action wildcard, exact denies and a
// wildcard deny (which makes every check look at the wildcards).
func benchGrants(n int) []string {
	g := make([]string, 0, n)
	g = append(g, "!*:purge")
	for i := 0; len(g) < n; i++ {
		r := fmt.Sprintf("resource%d", i)
		for _, x := range []string{r + ":view", r + ":edit_own", "!" + r + ":delete", r + ":*", "*:export" + fmt.Sprint(i)} {
			if len(g) < n {
				g = append(g, x)
			}
		}
	}
	return g
}

// benchPerms are the permissions every Check benchmark asks about, in
// turn: an exact hit, a resource-wildcard hit, an action-wildcard hit, a
// deny overriding the wildcard, a wildcard deny, an unknown resource
// (miss), a prefix that must not match.
var benchPerms = []string{
	"resource1:view", "resource1:approve", "resource1:export0",
	"resource1:delete", "resource1:purge", "nothing:view", "resource1x:view",
}

func benchCheck(b *testing.B, n int) {
	s := access.MustCompile(benchGrants(n)...)
	b.ReportAllocs()
	b.ResetTimer()
	ok := 0
	for i := 0; b.Loop(); i++ {
		if s.Check(benchPerms[i%len(benchPerms)]) {
			ok++
		}
	}
	if ok == 0 {
		b.Fatal("got no allowed check, want some")
	}
}

func BenchmarkCheck10(b *testing.B)   { benchCheck(b, 10) }
func BenchmarkCheck100(b *testing.B)  { benchCheck(b, 100) }
func BenchmarkCheck1000(b *testing.B) { benchCheck(b, 1000) }

func BenchmarkCheckOwn(b *testing.B) {
	s := access.MustCompile(benchGrants(1000)...)
	b.ReportAllocs()
	ok := 0
	for i := 0; b.Loop(); i++ {
		owner := "usr_1"
		if i%2 == 0 {
			owner = "usr_2"
		}
		if s.CheckOwn("resource7:edit", owner, "usr_1") {
			ok++
		}
	}
	if ok == 0 {
		b.Fatal("got no allowed check, want some")
	}
}

func BenchmarkCheckCompile1000(b *testing.B) {
	g := benchGrants(1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := access.Compile(g); err != nil {
			b.Fatal(err)
		}
	}
}
