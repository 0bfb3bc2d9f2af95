package atom

import "math/bits"

// vset is a set of small non-negative integers: version indexes of one
// atom (0 is the newest) or positions in the catalog's topological order.
type vset []uint64

func newVset(n int) vset { return make(vset, (n+63)/64) }

func (s vset) has(i int) bool { return s[i>>6]&(1<<(uint(i)&63)) != 0 }
func (s vset) set(i int)      { s[i>>6] |= 1 << (uint(i) & 63) }
func (s vset) clear(i int)    { s[i>>6] &^= 1 << (uint(i) & 63) }

// and keeps in s only the members of o. Both have the same length.
func (s vset) and(o vset) {
	for i := range s {
		s[i] &= o[i]
	}
}

// next returns the smallest member >= i, or -1.
func (s vset) next(i int) int {
	w := i >> 6
	if w >= len(s) {
		return -1
	}
	x := s[w] >> (uint(i) & 63)
	if x != 0 {
		return i + bits.TrailingZeros64(x)
	}
	for w++; w < len(s); w++ {
		if s[w] != 0 {
			return w<<6 + bits.TrailingZeros64(s[w])
		}
	}
	return -1
}

func (s vset) empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

// fill sets the members 0..n-1.
func (s vset) fill(n int) {
	for i := 0; i < n; i++ {
		s.set(i)
	}
}
