// Package reseller is the reseller chain of atomix: distributors, the
// partners that sell under them (or directly under the platform), which
// reseller owns each tenant and since when, and the customer profile a
// reseller keeps for each of its tenants (seed 003's customer view).
//
// # The chain
//
// A Reseller is a distributor ("dist_...") or a partner ("prt_..."); a
// partner sells under one distributor or directly under the platform, and
// never changes distributor. Both carry a name, a contact, a billing
// address whose country is an ISO 3166-1 alpha-2 code, a registration
// number (seed 003's abn), a website and a status: active or suspended. A
// suspended reseller, and a partner under a suspended distributor, takes no
// new tenants. Resellers are soft-deleted, and only once they own no tenant
// and, for a distributor, have no partner.
//
// # Ownership
//
// A tenant is owned by a partner, a distributor or the platform. Who owned
// it when is kept as effective-dated history: one Ownership row per owner,
// valid from one instant to the next move (ValidTo), the newest open. A
// move appends a row and closes the one before; it never rewrites an
// earlier row, so revenue can be attributed by date (OwnerAt).
// Tenant.OwnerID mirrors the newest row, for fast list filtering.
//
// # Customers
//
// A customer is a tenant seen from its reseller: the tenant with its
// customer Profile (nickname, address, registration number, website). The
// profile is a record of its own, owned by the tenant, rather than fields of
// tenant.Tenant: the tenant core and its hot read paths stay as they are,
// and a tenant created through /tenants is a customer without a profile.
//
// The package holds the types, the rules and the narrow Store; the
// workflows that span tenants and resellers (creating a customer, moving a
// tenant) run in the root package, inside one store transaction.
package reseller
