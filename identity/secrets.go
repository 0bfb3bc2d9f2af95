package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/atomixplatform/atomix/core"
)

// MinSecretLen is the least number of bytes of a master secret.
const MinSecretLen = 32

// Secret is one master secret, named by ID so that what it derived can be
// traced back to it after a rotation.
type Secret struct {
	// ID names the secret in stored records: 1 to 32 letters, digits,
	// "-" or "_".
	ID string
	// Value holds at least MinSecretLen random bytes.
	Value []byte
}

// Secrets are the master secrets every HMAC and encryption key of the
// package is derived from (HKDF-SHA256, one key per purpose). Current makes
// everything new; Previous secrets still verify and decrypt what they made,
// so that a master secret can be replaced without logging everybody out:
// add the new one as Current, keep the old one in Previous for as long as
// its refresh tokens, set-password tokens and recovery codes may be used,
// and re-enrol or rotate what it sealed (signing keys: RotateSigningKey;
// TOTP secrets stay readable while it is kept).
type Secrets struct {
	Current  Secret
	Previous []Secret
}

// Purposes of the derived keys. Changing one invalidates what it made.
const (
	purposeRefresh     = "atomix/identity/refresh-token/v1"
	purposeSetPassword = "atomix/identity/set-password-token/v1"
	purposeRecovery    = "atomix/identity/recovery-code/v1"
	purposeLoginName   = "atomix/identity/login-name/v1"
	purposeSigningKey  = "atomix/identity/signing-key/v1"
	purposeTOTPSecret  = "atomix/identity/totp-secret/v1"
	purposeOTP         = "atomix/identity/otp-code/v1"
)

var purposes = []string{purposeRefresh, purposeSetPassword, purposeRecovery, purposeLoginName, purposeSigningKey, purposeTOTPSecret, purposeOTP}

// derived holds the keys derived from Secrets, by secret ID and purpose.
type derived struct {
	current string
	order   []string // current first
	keys    map[string]map[string][]byte
}

func validSecretID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// derive checks s and derives every purpose key of every secret.
func derive(s Secrets) (*derived, error) {
	all := append([]Secret{s.Current}, s.Previous...)
	d := &derived{current: s.Current.ID, keys: make(map[string]map[string][]byte, len(all))}
	for _, sec := range all {
		if !validSecretID(sec.ID) {
			return nil, fmt.Errorf("identity: secret ID %q must be 1 to 32 letters, digits, - or _", sec.ID)
		}
		if len(sec.Value) < MinSecretLen {
			return nil, fmt.Errorf("identity: secret %q holds %d bytes, want at least %d", sec.ID, len(sec.Value), MinSecretLen)
		}
		if _, dup := d.keys[sec.ID]; dup {
			return nil, fmt.Errorf("identity: secret ID %q is given twice", sec.ID)
		}
		m := make(map[string][]byte, len(purposes))
		for _, p := range purposes {
			k, err := hkdf.Key(sha256.New, sec.Value, nil, p, 32)
			if err != nil {
				return nil, fmt.Errorf("identity: derive a key: %w", err)
			}
			m[p] = k
		}
		d.keys[sec.ID] = m
		d.order = append(d.order, sec.ID)
	}
	return d, nil
}

// mac returns the HMAC-SHA256 of the parts (each followed by a zero byte)
// under the purpose key of the secret keyID, in unpadded base64url.
func (d *derived) mac(keyID, purpose string, parts ...string) string {
	h := hmac.New(sha256.New, d.keys[keyID][purpose])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// sealVersion is the first byte of a sealed value.
const sealVersion = 1

var errSealed = errors.New("identity: a sealed value does not open")

// seal encrypts plaintext with AES-256-GCM under the current secret's purpose
// key, binding aad. The result is: version, the length of the secret ID, the
// secret ID, the 12-byte nonce, and the ciphertext with its tag.
func (d *derived) seal(purpose, aad string, plaintext []byte) ([]byte, error) {
	aead, err := newGCM(d.keys[d.current][purpose])
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 2+len(d.current)+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out = append(out, sealVersion, byte(len(d.current)))
	out = append(out, d.current...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, []byte(purpose+"\x00"+aad)), nil
}

// open decrypts what seal made with the same purpose and aad.
func (d *derived) open(purpose, aad string, sealed []byte) ([]byte, error) {
	if len(sealed) < 2 || sealed[0] != sealVersion || len(sealed) < 2+int(sealed[1]) {
		return nil, errSealed
	}
	id := string(sealed[2 : 2+int(sealed[1])])
	keys, ok := d.keys[id]
	if !ok {
		return nil, fmt.Errorf("%w: it was sealed under secret %q, which is not configured", errSealed, id)
	}
	aead, err := newGCM(keys[purpose])
	if err != nil {
		return nil, err
	}
	rest := sealed[2+int(sealed[1]):]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, errSealed
	}
	pt, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], []byte(purpose+"\x00"+aad))
	if err != nil {
		return nil, errSealed
	}
	return pt, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// randomToken returns n random bytes in unpadded base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	// crypto/rand.Read never fails on supported platforms (Go 1.24+).
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenSecretLen is the random part of refresh and set-password tokens:
// 32 bytes, 256 bits, 43 base64url characters.
const (
	tokenSecretBytes = 32
	tokenSecretLen   = 43
)

// newOpaque returns a new token "<prefix>_<43 random characters>", followed
// for a tenant user by "." and the tenant ID, and its random part.
func newOpaque(prefix, tenantID string) (token, secret string) {
	secret = randomToken(tokenSecretBytes)
	token = prefix + "_" + secret
	if tenantID != "" {
		token += "." + tenantID
	}
	return token, secret
}

// parseOpaque splits a token made by newOpaque; ok is false for anything
// else.
func parseOpaque(prefix, token string) (tenantID, secret string, ok bool) {
	rest, found := strings.CutPrefix(token, prefix+"_")
	if !found || len(rest) < tokenSecretLen {
		return "", "", false
	}
	secret, rest = rest[:tokenSecretLen], rest[tokenSecretLen:]
	if _, err := base64.RawURLEncoding.Strict().DecodeString(secret); err != nil {
		return "", "", false
	}
	switch {
	case rest == "":
		return "", secret, true
	case rest[0] == '.' && len(rest) > 1:
		// core.ValidID bounds the length of what follows.
		if tid := rest[1:]; core.ValidID(core.PrefixTenant, tid) {
			return tid, secret, true
		}
	}
	return "", "", false
}
