package core

import (
	"errors"
	"strconv"
	"time"
)

// Pagination defaults and bounds, as in seed 000.
const (
	DefaultPage  = 1
	DefaultLimit = 20
	MaxLimit     = 100
	// MaxPage bounds the page number so that the offset cannot overflow.
	MaxPage = 1_000_000
)

// ListKey is a record's place in a list ordered by creation time, then
// ID: the After of a keyset page, which holds the records that sort
// strictly after it. A walk of a whole list passes the key of the last
// record of each page as the next page's After, and so sees every record
// once even when records enter or leave the list's filter before its
// place meanwhile; offset pages would shift. Stores compare times to the
// microsecond, in UTC, as they keep them.
type ListKey struct {
	CreatedAt time.Time
	ID        string
}

// CheckAfter reports Invalid naming "page" when after is set and page asks
// for a page past the first: a keyset page is always the first after its
// key. Stores call it in the lists that take an After.
func CheckAfter(after *ListKey, page PageRequest) error {
	if after != nil && page.Page > 1 {
		return InvalidField("page", "must be 1 with a keyset (after) page")
	}
	return nil
}

// PageRequest asks for one page of a list. The zero value asks for the first
// page of DefaultLimit items.
type PageRequest struct {
	Page  int // 1-based; 0 means DefaultPage
	Limit int // 1..MaxLimit; 0 means DefaultLimit
}

// Normalize fills defaults and checks bounds. It returns an Invalid error
// naming "page" or "limit" when a value is out of range.
func (p PageRequest) Normalize() (PageRequest, error) {
	if p.Page == 0 {
		p.Page = DefaultPage
	}
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	var f Fields
	if p.Page < 1 || p.Page > MaxPage {
		f.Add("page", "must be between 1 and %d", MaxPage)
	}
	if p.Limit < 1 || p.Limit > MaxLimit {
		f.Add("limit", "must be between 1 and %d", MaxLimit)
	}
	return p, f.Err()
}

// Offset returns the number of items before the page. Call it on a
// normalized request.
func (p PageRequest) Offset() int { return (p.Page - 1) * p.Limit }

// ParsePageRequest reads page and limit from query-string values; an empty
// string means the default. Unlike the Go zero value, an explicit "0" is out
// of range. Errors are Invalid, naming the field.
func ParsePageRequest(page, limit string) (PageRequest, error) {
	var p PageRequest
	var f Fields
	parse := func(name, s string, dst *int) {
		if s == "" {
			return
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			f.Add(name, "must be an integer")
			return
		}
		if n == 0 {
			n = -1 // explicit zero is out of range, not "default"
		}
		*dst = n
	}
	parse("page", page, &p.Page)
	parse("limit", limit, &p.Limit)
	// A field that did not parse was left at its default, so Normalize
	// reports only the other one; together they name every bad field.
	p, err := p.Normalize()
	var ce *Error
	if errors.As(err, &ce) {
		f = append(f, ce.Fields...)
	}
	return p, f.Err()
}

// Page is one page of a list with its position in the whole.
type Page[T any] struct {
	Items      []T
	Page       int
	Limit      int
	Total      int
	TotalPages int
}

// NewPage builds a Page from a normalized request, the items of the page and
// the total number of matching items.
func NewPage[T any](req PageRequest, items []T, total int) Page[T] {
	pages := 0
	if req.Limit > 0 {
		pages = (total + req.Limit - 1) / req.Limit
	}
	if items == nil {
		items = []T{}
	}
	return Page[T]{Items: items, Page: req.Page, Limit: req.Limit, Total: total, TotalPages: pages}
}
