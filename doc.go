// Package atomix is the control plane of a multi-tenant SaaS platform, to
// embed in a Go product: tenants and their lifecycle today, and the atom
// marketplace, identity, billing and reseller commissions as they land.
//
// WithIdentity turns on identity: users log in with a password (and TOTP),
// receive access and refresh tokens, and Platform.Identity serves them.
//
// New wires the domain services over one store.Store into a Platform. The
// Platform's methods run the workflows that span domains (creating a tenant
// with its admin user, subscription and initial atoms) inside one store
// transaction, so that any failure leaves nothing behind. Package httpapi
// mounts the REST contract on any net/http mux.
package atomix
