// Package atom is the atom marketplace's domain core: the versioned catalog
// of atoms (the installable modules of the platform), its validation, the
// JSON Schema check of an installation's config, and a pure resolver that
// plans installs, upgrades and uninstalls for one tenant.
//
// Nothing here does I/O. A Catalog is immutable and safe for concurrent use;
// it is built once by NewCatalog (or LoadCatalogJSON, DemoCatalog), which
// validates everything a publish must: semantic versions, known and
// satisfiable dependencies, no dependency cycles, permissions and config
// schemas. The Plan* methods take the tenant's current installations as an
// Installed map and return a Plan that says what to write: new
// installations, upgrades, promotions and removals, and the atom slots used
// after it. A store applies the plan in one transaction; CheckSlots checks
// it against the tenant's plan limit.
//
// # Resolution rules
//
//   - A dependency names an atom id and, optionally, a constraint parsed by
//     Masterminds/semver ("^1.2", "~1.3", ">=1.3.0", "1.2 - 1.4",
//     ">=1.0.0, <2.0.0", "^1 || ^2"). A bare id means any release version.
//   - New atoms get the highest version that satisfies every constraint on
//     them, from the atoms being installed and from the ones already
//     installed. Installed atoms keep their version unless a new constraint
//     excludes it; then they move to the highest version satisfying every
//     constraint, and never to an older one. When the newest choices do not
//     fit together, older versions of the atoms being installed are tried
//     (within a bounded search) and the plan says why.
//   - Installations are explicit (asked for) or dependency (pulled in), as
//     apt marks packages manual or auto. A dependency installation that no
//     explicit one needs any more is removed with the change that orphaned
//     it, or promoted to explicit when the caller asks to keep orphans, so
//     the tenant never carries dependency installations nothing needs.
//   - Built-in atoms (like core_auth) are present for every tenant at their
//     newest catalog version, cost no slot, and are never installed,
//     upgraded or removed by hand.
//   - Dependency cycles are refused at publish time at the level of atom
//     ids: if any version of a depends on b, no version of b may depend,
//     directly or through others, on a.
//
// Every refusal is a *core.Error whose message explains the chain of needs
// that led to it, in the manner of PubGrub's reports.
//
// # Storage and limits
//
// Store is what the marketplace needs from storage: the published catalog
// (global, append-only, with a version stamp that moves at each
// publication) and each tenant's Installations, changed through an updater
// that holds the tenant for the rest of the transaction. Limits reads a
// tenant's atom-slot limit; billing implements it, StaticLimits maps plan
// IDs to limits. The workflows that tie them together (install, upgrade,
// uninstall in one transaction each) live in the root package's Platform.
package atom
