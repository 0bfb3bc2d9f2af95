package access

import "context"

// ScopeKind is a level of the chain platform > distributor > partner >
// tenant.
type ScopeKind string

// Scope kinds.
const (
	ScopePlatform    ScopeKind = "platform"
	ScopeDistributor ScopeKind = "distributor"
	ScopePartner     ScopeKind = "partner"
	ScopeTenant      ScopeKind = "tenant"
)

// Scope is where an actor works: the platform, or one distributor
// ("dist_..."), partner ("prt_...") or tenant ("tn_...").
type Scope struct {
	Kind ScopeKind
	ID   string // empty for the platform
}

// ActorKind says how an actor came to act.
type ActorKind string

// Actor kinds.
const (
	ActorUser   ActorKind = "user"    // a signed-in user
	ActorAPIKey ActorKind = "api_key" // the platform API key
	ActorSystem ActorKind = "system"  // trusted internal work
)

// Actor is who performs an operation. Platform methods read it from the
// context; an operation without an actor is refused.
type Actor struct {
	Kind  ActorKind
	ID    string // "usr_..." for a user, "platform" for the API key, "system"
	Role  string
	Scope Scope
	// Perms is the actor's compiled effective permission set.
	Perms *Set
}

// System returns the actor for trusted internal work: every permission,
// the platform scope.
func System() Actor {
	return Actor{Kind: ActorSystem, ID: "system", Role: "super_admin", Scope: Scope{Kind: ScopePlatform}, Perms: allSet}
}

var allSet = MustCompile("*")

type actorKey struct{}

// WithActor returns a context carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// AsSystem returns a context whose actor is System().
func AsSystem(ctx context.Context) context.Context { return WithActor(ctx, System()) }

// ActorFrom returns the context's actor.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}
