package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/identity"
)

// secretFileSuffix names the file beside a SQLite database that keeps the
// generated master secret: atomix.db.secret for atomix.db.
const secretFileSuffix = ".secret"

// secretID names a master secret in stored records: a short hash of it,
// so that ATOMIX_SECRET and ATOMIX_SECRET_PREVIOUS need no IDs.
func secretID(value []byte) string {
	sum := sha256.Sum256(value)
	return "s" + hex.EncodeToString(sum[:6])
}

func newSecret(value []byte) (identity.Secret, error) {
	if len(value) < identity.MinSecretLen {
		return identity.Secret{}, fmt.Errorf("a master secret must hold at least %d bytes; got %d (make one with: openssl rand -base64 48)", identity.MinSecretLen, len(value))
	}
	return identity.Secret{ID: secretID(value), Value: value}, nil
}

// masterSecrets returns the identity master secrets: ATOMIX_SECRET (and
// ATOMIX_SECRET_PREVIOUS, comma-separated, still verifying what they
// made), or, when ATOMIX_SECRET is unset, a generated one: kept in
// PATH.secret (0600) beside a SQLite database, so that restarts read their
// keys and tokens, and per process for the memory store. PostgreSQL
// serves several instances, which must share the secret: it needs
// ATOMIX_SECRET. where says which it was, for the log.
func masterSecrets(getenv func(string) string, dsn string) (s identity.Secrets, where string, err error) {
	if v := getenv("ATOMIX_SECRET"); v != "" {
		if s.Current, err = newSecret([]byte(v)); err != nil {
			return s, "", fmt.Errorf("ATOMIX_SECRET: %w", err)
		}
		for prev := range strings.SplitSeq(getenv("ATOMIX_SECRET_PREVIOUS"), ",") {
			if prev = strings.TrimSpace(prev); prev == "" {
				continue
			}
			p, err := newSecret([]byte(prev))
			if err != nil {
				return s, "", fmt.Errorf("ATOMIX_SECRET_PREVIOUS: %w", err)
			}
			s.Previous = append(s.Previous, p)
		}
		return s, "ATOMIX_SECRET", nil
	}
	switch kind, path := storeKind(dsn); kind {
	case "memory":
		s.Current, err = newSecret(randomSecret())
		return s, "generated for this process (memory store)", err
	case "sqlite":
		s.Current, err = fileSecret(path + secretFileSuffix)
		return s, path + secretFileSuffix, err
	}
	return s, "", errors.New("ATOMIX_SECRET is required with PostgreSQL: every instance over the database must share it (make one with: openssl rand -base64 48)")
}

// storeKind returns "memory", "sqlite" (with the database's path) or
// "postgres" for a DSN, read as openStore and sqlstore.Open read it.
func storeKind(dsn string) (kind, path string) {
	if dsn == "memory:" || dsn == "memory" {
		return "memory", ""
	}
	scheme, rest, _ := strings.Cut(dsn, ":")
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3", "file":
		path, _, _ = strings.Cut(strings.TrimPrefix(rest, "//"), "?")
		return "sqlite", path
	}
	return "postgres", ""
}

func randomSecret() []byte {
	b := make([]byte, 48)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	return []byte(base64.RawURLEncoding.EncodeToString(b))
}

// fileSecret reads the secret kept in path, or makes one there (mode 0600)
// when the file does not exist. A file others may read is refused.
func fileSecret(path string) (identity.Secret, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		v := randomSecret()
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return identity.Secret{}, fmt.Errorf("keep the generated master secret: %w", err)
		}
		if _, err := f.Write(append(v, '\n')); err != nil {
			f.Close()
			return identity.Secret{}, fmt.Errorf("keep the generated master secret: %w", err)
		}
		if err := f.Close(); err != nil {
			return identity.Secret{}, fmt.Errorf("keep the generated master secret: %w", err)
		}
		return newSecret(v)
	}
	if err != nil {
		return identity.Secret{}, fmt.Errorf("read the master secret: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return identity.Secret{}, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return identity.Secret{}, fmt.Errorf("the master secret file %s may be read by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	s, err := newSecret([]byte(strings.TrimSpace(string(b))))
	if err != nil {
		return identity.Secret{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ensureSuperAdmin creates the super admin of ATOMIX_ADMIN_EMAIL and
// ATOMIX_ADMIN_PASSWORD (named ATOMIX_ADMIN_NAME, "Super Admin" by
// default) unless a platform user has that email; then nothing changes.
// Without either variable it does nothing; with one only it fails.
func ensureSuperAdmin(ctx context.Context, p *atomix.Platform, getenv func(string) string, log *slog.Logger) error {
	email, password := getenv("ATOMIX_ADMIN_EMAIL"), getenv("ATOMIX_ADMIN_PASSWORD")
	switch {
	case email == "" && password == "":
		return nil
	case email == "" || password == "":
		return errors.New("set both ATOMIX_ADMIN_EMAIL and ATOMIX_ADMIN_PASSWORD, or neither")
	}
	u, created, err := p.EnsureSuperAdmin(ctx, atomix.SuperAdminInput{Name: envOr(getenv, "ATOMIX_ADMIN_NAME", "Super Admin"), Email: email, Password: password})
	if err != nil {
		return fmt.Errorf("create the super admin %s: %w", email, err)
	}
	if created {
		log.Info("created the super admin", "email", u.Email, "id", u.ID)
	} else {
		log.Info("the super admin exists; left as it is", "email", email)
	}
	return nil
}
