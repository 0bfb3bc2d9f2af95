// Package identity is who may call atomix: users, password login with
// argon2id, TOTP second factors, and the access and refresh tokens a login
// answers.
//
// # Users
//
// A User belongs to one tenant (TenantID set, Scope {tenant, TenantID}) or,
// for platform and reseller staff, to none: TenantID is empty and Scope says
// whether the user works for the platform, a distributor or a partner.
// Emails are unique per tenant, case-insensitively; the users without a
// tenant form one more such group.
//
// # Secrets at rest
//
// Nothing a caller could replay is stored in the clear. Passwords are
// argon2id hashes; refresh tokens, set-password tokens and recovery codes are
// keyed HMAC-SHA256 values; TOTP secrets and the private signing keys are
// sealed with AES-256-GCM. Every HMAC and encryption key is derived with
// HKDF-SHA256 from the master Secret of Config.Secrets, one key per purpose,
// and records name the master key that made them, so the master can rotate.
//
// # Tokens
//
// An access token is a JWT (RS256 by default; ES256 and EdDSA selectable)
// carrying iss, aud, sub, iat, nbf, exp, jti and the claims tenant_id, role,
// scope_kind, scope_id and sid (the refresh-token family, that is the
// session). The signing keys live in the Store, so that every server
// instance shares them; each instance caches them for a short while.
// Rotation makes a new key current; the old ones keep verifying for the
// retention window. JWT handling uses github.com/go-jose/go-jose/v4: one
// well-kept library for JWS, JWT and the RFC 7517 key set, whose parser
// takes an explicit list of allowed algorithms, so "alg: none" and an HS256
// token keyed with a public key are refused by construction.
//
// A refresh token is opaque: "rt_", 256 random bits in base64url and, for a
// tenant user, "." and the tenant ID. It is stored as an HMAC bound to that
// tenant. Each use spends it and issues its successor in the same family
// (one conditional update, so two concurrent uses give one new pair);
// presenting a spent token revokes the family; disabling a user or changing
// the password revokes all of the user's families.
//
// Access tokens end with their session. VerifyAccessToken checks the
// token's family in the Store and refuses the token ("the session ended",
// core.Unauthenticated) once the family is revoked (logout, reuse,
// disabling, a new password), deleted or past its absolute end. Each
// Service caches the states it read for Config.SessionCheck (5 seconds by
// default; at most 10,000 sessions), so a busy session costs one store
// read per SessionCheck. A revocation counts at once on the Service that
// made it; another instance over the same store may accept the session's
// tokens for up to SessionCheck after it, until its cached state is read
// again. The Store stays the truth. A negative SessionCheck turns the check
// off: access tokens are then stateless, valid until they expire.
//
// # Failed attempts
//
// Password failures are counted per login name (tenant and email, known or
// not, so the counter itself tells nothing) and TOTP failures per user.
// After Config.Attempts.Free failures each further attempt waits a delay
// that doubles per failure up to Config.Attempts.MaxDelay, and is refused
// with core.RateLimited before that (RetryAfter reads the wait); a success
// resets the counter. There is no permanent lockout for an attacker to
// trigger.
package identity
