// Package access is the one access model of atomix: the K-002 permission
// grammar, permission sets compiled once and checked without allocating,
// the roles with their default sets, and the Actor that every Platform
// method reads from its context.
//
// Grammar: a permission is "resource:action". Segments are lowercase
// letters, digits and underscores; "*" stands for exactly one whole segment
// ("task:*", "*:view"), and "*" alone is every permission. An action ending
// in "_own" ("task:edit_own") allows the action only on resources the actor
// owns. A leading "!" makes a deny ("!crm:delete"), which overrides every
// allow. There is no prefix matching: "task:*" never matches "taskforce:x".
//
// The package imports nothing from atomix but core.
package access
