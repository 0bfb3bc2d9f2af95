// Package tenant owns tenants and their lifecycle: the Tenant record, the
// status transition table (trial -> active -> suspended -> cancelled), the
// subdomain, email and phone rules, and the Service that applies them.
//
// The package declares the narrow Store it needs; implementations live in
// atomix/store/... and never in this package. It imports no database driver.
package tenant
