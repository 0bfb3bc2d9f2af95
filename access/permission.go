package access

import (
	"strings"

	"github.com/atomixplatform/atomix/core"
)

// MaxPermissionLen bounds one permission string.
const MaxPermissionLen = 128

// Permission is one parsed grant.
type Permission struct {
	Resource string // a segment, or "*"
	Action   string // a segment without "_own", or "*"
	Own      bool   // the action ended in "_own"
	Deny     bool   // the grant started with "!"
}

// String returns the grant in its canonical text form.
func (p Permission) String() string {
	var b strings.Builder
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

// Parse parses one grant. Errors: core.Invalid naming "permissions".
func Parse(s string) (Permission, error) {
	bad := func(why string) (Permission, error) {
		return Permission{}, core.InvalidField("permissions", "%q %s", s, why)
	}
	if len(s) == 0 || len(s) > MaxPermissionLen {
		return bad("must be 1 to 128 characters")
	}
	var p Permission
	rest := s
	if rest[0] == '!' {
		p.Deny = true
		rest = rest[1:]
	}
	if rest == "*" {
		p.Resource, p.Action = "*", "*"
		return p, nil
	}
	res, act, ok := strings.Cut(rest, ":")
	if !ok || strings.Contains(act, ":") {
		return bad(`must be "resource:action"`)
	}
	if !validSegment(res) {
		return bad("has a malformed resource")
	}
	if a, own := strings.CutSuffix(act, "_own"); own && a != "" && a != "*" {
		p.Own = true
		act = a
	}
	if !validSegment(act) {
		return bad("has a malformed action")
	}
	p.Resource, p.Action = res, act
	return p, nil
}

// validSegment reports whether s is "*" or 1 to 64 of [a-z0-9_], not
// starting or ending with "_".
func validSegment(s string) bool {
	if s == "*" {
		return true
	}
	if len(s) == 0 || len(s) > 64 || s[0] == '_' || s[len(s)-1] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
