package access

import (
	"strings"

	"github.com/atomixplatform/atomix/core"
)

// MaxPermissionLen bounds one permission string.
const MaxPermissionLen = 128

// maxSegmentLen bounds one segment.
const maxSegmentLen = 64

// Permission is one parsed grant.
type Permission struct {
	Resource string // a segment, or "*"
	Action   string // a segment without "_own", or "*"
	Own      bool   // the action ended in "_own"
	Deny     bool   // the grant started with "!"
}

// String returns the grant in its canonical text form: "*:*" is written
// "*", everything else as it was parsed.
func (p Permission) String() string {
	var b strings.Builder
	b.Grow(len(p.Resource) + len(p.Action) + 6)
	if p.Deny {
		b.WriteByte('!')
	}
	if p.Resource == "*" && p.Action == "*" && !p.Own {
		b.WriteByte('*')
		return b.String()
	}
	b.WriteString(p.Resource)
	b.WriteByte(':')
	b.WriteString(p.Action)
	if p.Own {
		b.WriteString("_own")
	}
	return b.String()
}

// Parse parses one grant (see the package documentation for the grammar).
// Errors: core.Invalid naming "permissions" and saying what is wrong.
func Parse(s string) (Permission, error) {
	p, why := parse(s)
	if why != "" {
		return Permission{}, core.InvalidField("permissions", "%q %s", s, why)
	}
	return p, nil
}

// parse is Parse without the error value: why is empty when s is valid.
// Resource and Action are substrings of s; parse never allocates.
func parse(s string) (p Permission, why string) {
	if len(s) == 0 || len(s) > MaxPermissionLen {
		return p, "must be 1 to 128 characters"
	}
	rest := s
	if rest[0] == '!' {
		p.Deny = true
		rest = rest[1:]
	}
	if rest == "*" {
		p.Resource, p.Action = "*", "*"
		return p, ""
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 || strings.IndexByte(rest[i+1:], ':') >= 0 {
		return p, `must be "resource:action" or "*"`
	}
	res, act := rest[:i], rest[i+1:]
	if !validSegment(res) {
		return p, "has a malformed resource: want 1 to 64 of a-z, 0-9 and _, not starting or ending with _, or *"
	}
	if a, own := strings.CutSuffix(act, "_own"); own && a != "" && a != "*" {
		p.Own = true
		act = a
		if strings.HasSuffix(act, "_own") {
			return p, `has "_own" twice`
		}
	}
	if !validSegment(act) {
		return p, "has a malformed action: want 1 to 64 of a-z, 0-9 and _, not starting or ending with _, or *, optionally followed by _own"
	}
	p.Resource, p.Action = res, act
	return p, ""
}

// segmentByte marks the bytes a segment may hold: a-z, 0-9 and _.
var segmentByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['_'] = true
	return t
}()

// validSegment reports whether s is "*" or a name.
func validSegment(s string) bool {
	return s == "*" || validName(s)
}

// validName reports whether s is 1 to 64 of [a-z0-9_], not starting or
// ending with "_".
func validName(s string) bool {
	if len(s) == 0 || len(s) > maxSegmentLen || s[0] == '_' || s[len(s)-1] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !segmentByte[s[i]] {
			return false
		}
	}
	return true
}

// validAction reports whether act is the action of a concrete permission,
// one a Check may ask about: a name not ending in "_own".
func validAction(act string) bool {
	return validName(act) && !strings.HasSuffix(act, "_own")
}
