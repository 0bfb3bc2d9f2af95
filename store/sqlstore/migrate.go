package sqlstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

// ErrSchemaNewer is returned (wrapped) by Open, New and Migrate when the
// database records a migration this binary does not know: the schema is
// newer than the code, and writing to it could corrupt it.
var ErrSchemaNewer = errors.New("the database schema is newer than this binary")

// migrationTable is where bun/migrate records the applied versions.
const migrationTable = "bun_migrations"

//go:embed migrations
var migrationFiles embed.FS

var migrationName = regexp.MustCompile(`^(\d{14})_([0-9a-z_]+)\.up\.sql$`)

// migrations returns the embedded migrations of a dialect ("sqlite" or
// "postgres"). Each runs its statements (separated by "--bun:split" lines)
// and records itself in one transaction.
func migrations(dialect string) (*migrate.Migrations, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	ms := migrate.NewMigrations()
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("sqlstore: unexpected migration file %s", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var stmts []string
		for _, part := range strings.Split(string(body), "--bun:split") {
			if st := strings.TrimSpace(stripComments(part)); st != "" {
				stmts = append(stmts, st)
			}
		}
		ms.Add(migrate.Migration{
			Name:    m[1],
			Comment: m[2],
			Up: func(ctx context.Context, mg *migrate.Migrator, mig *migrate.Migration) error {
				return runMigration(ctx, mg.DB(), mig, stmts)
			},
		})
	}
	return ms, nil
}

func stripComments(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// runMigration applies one migration and records it in one transaction. A
// migration that another process applied meanwhile is skipped.
func runMigration(ctx context.Context, db *bun.DB, mig *migrate.Migration, stmts []string) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := lockMigrations(ctx, tx); err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*migrate.Migration)(nil)).ModelTableExpr(migrationTable).
			Where("name = ?", mig.Name).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		for _, st := range stmts {
			if _, err := tx.ExecContext(ctx, st); err != nil {
				return fmt.Errorf("%s: %w", firstLine(st), err)
			}
		}
		// A copy, so that the ID the insert returns stays out of mig: the
		// migrator then upserts its own record by name, which is a no-op.
		rec := migrate.Migration{Name: mig.Name, GroupID: mig.GroupID}
		_, err = tx.NewInsert().Model(&rec).ModelTableExpr(migrationTable).Exec(ctx)
		return err
	})
}

// lockMigrations serializes migrators on PostgreSQL until the end of tx (per
// schema, so that tests in separate schemas do not wait on each other). On
// SQLite the IMMEDIATE transaction already excludes other writers.
func lockMigrations(ctx context.Context, tx bun.Tx) error {
	if tx.Dialect().Name() != dialect.PG {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('atomix.migrate.' || current_schema()))")
	return err
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// Migrate brings the schema to the latest version this binary knows. It is
// idempotent: on an up-to-date database it changes nothing.
// Errors: ErrSchemaNewer (wrapped) when the database records a migration
// this binary does not know; any database error, wrapped with the migration
// that failed.
func (s *Store) Migrate(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	dir := "sqlite"
	if s.pg {
		dir = "postgres"
	}
	ms, err := migrations(dir)
	if err != nil {
		return fmt.Errorf("sqlstore: load migrations: %w", err)
	}
	m := migrate.NewMigrator(s.db, ms, migrate.WithTableName(migrationTable),
		migrate.WithMarkAppliedOnSuccess(true), migrate.WithUpsert(true))
	if err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := lockMigrations(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.NewCreateTable().Model((*migrate.Migration)(nil)).ModelTableExpr(migrationTable).
			IfNotExists().Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewCreateIndex().Unique().TableExpr(migrationTable).Index(migrationTable + "_name_unique").
			Column("name").IfNotExists().Exec(ctx)
		return err
	}); err != nil {
		return fmt.Errorf("sqlstore: create the migrations table: %w", err)
	}
	missing, err := m.MissingMigrations(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: read the applied migrations: %w", err)
	}
	if len(missing) > 0 {
		names := make([]string, len(missing))
		for i, mg := range missing {
			names[i] = mg.Name
			if mg.Comment != "" {
				names[i] += "_" + mg.Comment
			}
		}
		return fmt.Errorf("sqlstore: %w: it records migration %s, which this binary does not know; run a newer atomix on it, or point this one at another database",
			ErrSchemaNewer, strings.Join(names, ", "))
	}
	if _, err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	return nil
}
