package identity

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/atomixplatform/atomix/core"
	jose "github.com/go-jose/go-jose/v4"
)

// Algorithm is a JWS algorithm access tokens may be signed with.
type Algorithm string

// The signing algorithms. RS256 (RSA 2048, PKCS #1 v1.5) is the default,
// as seed 000 shows; ES256 (P-256) and EdDSA (Ed25519) sign much faster.
const (
	RS256 Algorithm = "RS256"
	ES256 Algorithm = "ES256"
	EdDSA Algorithm = "EdDSA"
)

// Valid reports whether a is a supported algorithm.
func (a Algorithm) Valid() bool { return a == RS256 || a == ES256 || a == EdDSA }

// rsaBits is the size of new RSA keys.
const rsaBits = 2048

// allowedAlgorithms are the only "alg" values a token may carry; anything
// else ("none", HS256, PS256, ...) fails to parse.
var allowedAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// liveKey is a signing key opened for use.
type liveKey struct {
	id        string
	alg       Algorithm
	pub       crypto.PublicKey
	signer    jose.Signer
	createdAt time.Time
	retiredAt *time.Time
}

// keyset is one snapshot of the keys, as loaded from the store.
type keyset struct {
	loadedAt time.Time
	byID     map[string]*liveKey
	current  *liveKey // the newest key; nil when there is none
	jwks     []byte
}

// keyring keeps the signing keys of the store cached for a short while.
// It always works on the store given to NewService, never on a
// transaction, so that it never caches a key a rollback removes.
type keyring struct {
	st          Store
	d           *derived
	alg         Algorithm
	now         core.Clock
	refresh     time.Duration
	retention   time.Duration
	rotateEvery time.Duration
	log         *slog.Logger

	set atomic.Pointer[keyset]

	mu       sync.Mutex // serializes loads and rotations
	opened   map[string]*liveKey
	lastMiss time.Time
}

// minMissReload is the least time between two reloads caused by tokens
// naming an unknown key, so that made-up key IDs cannot flood the store.
const minMissReload = time.Second

// validAt reports whether k still verifies tokens at now.
func (r *keyring) validAt(k *liveKey, now time.Time) bool {
	return k.retiredAt == nil || now.Before(k.retiredAt.Add(r.retention))
}

// get returns the cached keys, reloading them when they are older than the
// refresh interval.
func (r *keyring) get(ctx context.Context) (*keyset, error) {
	if ks := r.set.Load(); ks != nil && r.now.Now().Sub(ks.loadedAt) < r.refresh {
		return ks, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ks := r.set.Load(); ks != nil && r.now.Now().Sub(ks.loadedAt) < r.refresh {
		return ks, nil
	}
	return r.loadLocked(ctx)
}

// loadLocked reads the keys from the store. When the store fails and a
// previous snapshot exists, it keeps serving that one and tries again
// after a second. r.mu must be held.
func (r *keyring) loadLocked(ctx context.Context) (*keyset, error) {
	now := r.now.Now()
	ks, err := r.read(ctx, now)
	if err != nil {
		prev := r.set.Load()
		if prev == nil {
			return nil, err
		}
		r.log.ErrorContext(ctx, "identity: reloading the signing keys failed; using the cached ones", "err", err)
		retry := *prev
		retry.loadedAt = now.Add(-r.refresh + min(r.refresh, time.Second))
		r.set.Store(&retry)
		return &retry, nil
	}
	r.set.Store(ks)
	return ks, nil
}

func (r *keyring) read(ctx context.Context, now time.Time) (*keyset, error) {
	stored, err := r.st.ListSigningKeys(ctx, now.Add(-r.retention))
	if err != nil {
		return nil, err
	}
	if r.opened == nil {
		r.opened = make(map[string]*liveKey)
	}
	ks := &keyset{loadedAt: now, byID: make(map[string]*liveKey, len(stored))}
	seen := make(map[string]bool, len(stored))
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, sk := range stored {
		seen[sk.ID] = true
		opened, ok := r.opened[sk.ID]
		if !ok {
			opened, err = r.open(sk)
			if err != nil {
				// One unreadable key must not stop the others.
				r.log.ErrorContext(ctx, "identity: a signing key does not open; it is skipped", "kid", sk.ID, "err", err)
				continue
			}
			r.opened[sk.ID] = opened
		}
		// Each snapshot has its own copy: verifiers read the old one
		// while this one is built.
		k := new(*opened)
		if sk.RetiredAt != nil {
			k.retiredAt = new(*sk.RetiredAt)
		}
		if !r.validAt(k, now) {
			continue
		}
		ks.byID[k.id] = k
		if ks.current == nil || k.createdAt.After(ks.current.createdAt) ||
			(k.createdAt.Equal(ks.current.createdAt) && k.id > ks.current.id) {
			ks.current = k
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.pub, KeyID: k.id, Algorithm: string(k.alg), Use: "sig"})
	}
	for id := range r.opened {
		if !seen[id] {
			delete(r.opened, id)
		}
	}
	slices.SortFunc(set.Keys, func(a, b jose.JSONWebKey) int {
		return ks.byID[a.KeyID].createdAt.Compare(ks.byID[b.KeyID].createdAt)
	})
	ks.jwks, err = json.Marshal(set)
	if err != nil {
		return nil, core.Wrap(err, "encode the key set")
	}
	return ks, nil
}

// open decrypts a stored key and checks that it is what its record says.
func (r *keyring) open(sk SigningKey) (*liveKey, error) {
	der, err := r.d.open(purposeSigningKey, sk.ID+"\x00"+string(sk.Algorithm), sk.PrivateKey)
	if err != nil {
		return nil, err
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	var signer crypto.Signer
	switch p := priv.(type) {
	case *rsa.PrivateKey:
		if sk.Algorithm != RS256 {
			return nil, fmt.Errorf("an RSA key recorded as %s", sk.Algorithm)
		}
		signer = p
	case *ecdsa.PrivateKey:
		if sk.Algorithm != ES256 || p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("an ECDSA key recorded as %s", sk.Algorithm)
		}
		signer = p
	case ed25519.PrivateKey:
		if sk.Algorithm != EdDSA {
			return nil, fmt.Errorf("an Ed25519 key recorded as %s", sk.Algorithm)
		}
		signer = p
	default:
		return nil, fmt.Errorf("unsupported key type %T", priv)
	}
	js, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(sk.Algorithm), Key: jose.JSONWebKey{Key: signer, KeyID: sk.ID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	return &liveKey{id: sk.ID, alg: sk.Algorithm, pub: signer.Public(), signer: js, createdAt: sk.CreatedAt}, nil
}

// generateKey makes a new key of the algorithm, sealed for the store. Its ID
// is the RFC 7638 thumbprint of its public key.
func (r *keyring) generateKey(alg Algorithm, now time.Time) (SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		err = fmt.Errorf("unsupported algorithm %q", alg)
	}
	if err != nil {
		return SigningKey{}, core.Wrap(err, "generate a signing key")
	}
	tp, err := (&jose.JSONWebKey{Key: priv.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return SigningKey{}, core.Wrap(err, "generate a signing key")
	}
	id := base64.RawURLEncoding.EncodeToString(tp)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return SigningKey{}, core.Wrap(err, "generate a signing key")
	}
	sealed, err := r.d.seal(purposeSigningKey, id+"\x00"+string(alg), der)
	if err != nil {
		return SigningKey{}, core.Wrap(err, "seal a signing key")
	}
	return SigningKey{ID: id, Algorithm: alg, PrivateKey: sealed, CreatedAt: now}, nil
}

// rotateLocked stores a new current key, retires the older ones and reloads.
// r.mu must be held.
func (r *keyring) rotateLocked(ctx context.Context) (*keyset, error) {
	now := r.now.Now()
	// The new key must sort after every other (by creation time, then
	// ID), even when they were made within the same microsecond.
	stored, err := r.st.ListSigningKeys(ctx, now.Add(-r.retention))
	if err != nil {
		return nil, err
	}
	created := now
	for _, sk := range stored {
		if !created.After(sk.CreatedAt) {
			created = sk.CreatedAt.Add(time.Microsecond)
		}
	}
	k, err := r.generateKey(r.alg, created)
	if err != nil {
		return nil, err
	}
	if err := r.st.CreateSigningKey(ctx, k); err != nil {
		return nil, err
	}
	if _, err := r.st.RetireSigningKeys(ctx, k.ID, now); err != nil {
		return nil, err
	}
	r.log.InfoContext(ctx, "identity: signing key rotated", "kid", k.ID, "alg", string(k.Algorithm))
	ks, err := r.read(ctx, now)
	if err != nil {
		return nil, err
	}
	r.set.Store(ks)
	return ks, nil
}

// rotate makes a new current key. See Service.RotateSigningKey.
func (r *keyring) rotate(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ks, err := r.rotateLocked(ctx)
	if err != nil {
		return "", err
	}
	return ks.current.id, nil
}

// signer returns the key to sign with: the newest, unless there is none,
// it has another algorithm than the configured one, or it is older than the
// rotation interval; then a new key is made first.
func (r *keyring) signer(ctx context.Context) (*liveKey, error) {
	ks, err := r.get(ctx)
	if err != nil {
		return nil, err
	}
	if !r.needsRotation(ks) {
		return ks.current, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Another caller may have rotated meanwhile; look again at fresh keys.
	if ks, err = r.loadLocked(ctx); err != nil {
		return nil, err
	}
	if r.needsRotation(ks) {
		if ks, err = r.rotateLocked(ctx); err != nil {
			return nil, err
		}
	}
	return ks.current, nil
}

func (r *keyring) needsRotation(ks *keyset) bool {
	c := ks.current
	return c == nil || c.alg != r.alg || (r.rotateEvery > 0 && r.now.Now().Sub(c.createdAt) >= r.rotateEvery)
}

// lookup returns the key with the ID, reloading the keys once (at most
// every minMissReload) when it is not cached.
func (r *keyring) lookup(ctx context.Context, kid string) (*liveKey, error) {
	ks, err := r.get(ctx)
	if err != nil {
		return nil, err
	}
	now := r.now.Now()
	if k, ok := ks.byID[kid]; ok && r.validAt(k, now) {
		return k, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.set.Load(); cur != ks {
		ks = cur // reloaded meanwhile
	} else if now.Sub(r.lastMiss) >= minMissReload {
		r.lastMiss = now
		if ks, err = r.loadLocked(ctx); err != nil {
			return nil, err
		}
	}
	if k, ok := ks.byID[kid]; ok && r.validAt(k, now) {
		return k, nil
	}
	return nil, errUnknownKey
}

// errUnknownKey says no valid key has the ID a token names.
var errUnknownKey = errors.New("no valid signing key has this kid")
