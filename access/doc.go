// Package access is the one access model of atomix: the K-002 permission
// grammar, permission sets compiled once and checked without allocating,
// the roles with their default sets, and the Actor that every Platform
// method reads from its context.
//
// # Grammar
//
// A grant is, in full:
//
//	grant   = [ "!" ] ( "*" | segment ":" action )
//	action  = segment [ "_own" ] | "*"
//	segment = "*" | name
//	name    = 1 to 64 of a-z 0-9 _, not starting or ending with "_"
//
// at most MaxPermissionLen (128) bytes. Uppercase, other characters,
// spaces, empty segments, a third segment ("a:b:c"), a wildcard inside a
// segment ("task*", "*_own") and a doubled "_own" are refused. "*" is one
// whole segment: "task:*" is every action on tasks, "*:view" is viewing
// every resource; "*" alone (or "*:*") is every permission, "!*" none.
// An action ending in "_own" ("task:edit_own", "*:view_own") is that
// action, allowed only on resources the actor owns. A leading "!" makes a
// deny. There is no prefix matching: "task:*" never matches
// "taskforce:view", "task:view" never matches "task:viewer".
//
// # Semantics
//
// A concrete permission is "name:name" whose action does not end in
// "_own"; it is what Check and CheckOwn are asked about, and anything else
// (a wildcard, a deny, an "_own" action, a malformed string) is refused
// whatever the set holds. A grant covers a concrete permission when each of
// its segments is "*" or equal; an "_own" grant covers it only on a
// resource the actor owns. The permission is allowed when some allow covers
// it and no deny does: a deny overrides every allow, whatever their order
// or wildcards. So "!task:*" refuses "task:edit" through "task:edit_own"
// too; "!task:edit_own" refuses editing the actor's own tasks and leaves
// editing others' tasks to the allows ("task:*" still allows it); "!*"
// refuses everything.
//
// Check asks whether the permission is allowed on every resource, whoever
// owns it, so an "_own" allow never satisfies it and an "_own" deny
// refuses it. CheckOwn asks about one resource and its owner: on the
// actor's own resource (owner and actor IDs equal, not empty) both the
// plain and the "_own" grants count; on any other, only the plain ones.
//
// The package imports nothing from atomix but core.
package access
