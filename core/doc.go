// Package core is the shared vocabulary of atomix: the one error type with
// its stable codes, prefixed opaque identifiers, pagination and the
// injectable clock.
//
// Every domain package (tenant, atom, identity, billing, commission) imports
// core; core imports nothing from atomix. Keep it small: a type belongs here
// only when two or more domains, or a domain and the HTTP layer, must agree
// on it.
package core
