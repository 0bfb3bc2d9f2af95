package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store"
	"github.com/uptrace/bun"
)

// Rows of the identity tables (migration 20260401000001_identity).

type userRow struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	TenantID  string `bun:"tenant_id,pk"`
	ID        string `bun:"id,pk"`
	ScopeKind string `bun:"scope_kind,notnull"`
	ScopeID   string `bun:"scope_id,notnull"`
	Name      string `bun:"name,notnull"`
	Email     string `bun:"email,notnull"`
	EmailKey  string `bun:"email_key,notnull"` // identity.EmailKey(Email)
	Phone     string `bun:"phone,notnull"`
	Role      string `bun:"role,notnull"`
	// Permissions is a JSON array of strings; NULL when there is none.
	Permissions  *string    `bun:"permissions"`
	Status       string     `bun:"status,notnull"`
	PasswordHash string     `bun:"password_hash,notnull"`
	CreatedAt    time.Time  `bun:"created_at,notnull"`
	UpdatedAt    time.Time  `bun:"updated_at,notnull"`
	LastLoginAt  *time.Time `bun:"last_login_at"`
}

type familyRow struct {
	bun.BaseModel `bun:"table:refresh_families,alias:rf"`

	TenantID  string     `bun:"tenant_id,pk"`
	ID        string     `bun:"id,pk"`
	UserID    string     `bun:"user_id,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	RevokedAt *time.Time `bun:"revoked_at"`
}

type refreshRow struct {
	bun.BaseModel `bun:"table:refresh_tokens,alias:rt"`

	TenantID  string     `bun:"tenant_id,pk"`
	Hash      string     `bun:"token_hash,pk"`
	KeyID     string     `bun:"key_id,notnull"`
	FamilyID  string     `bun:"family_id,notnull"`
	UserID    string     `bun:"user_id,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
}

type setTokenRow struct {
	bun.BaseModel `bun:"table:set_password_tokens,alias:sp"`

	TenantID  string     `bun:"tenant_id,pk"`
	Hash      string     `bun:"token_hash,pk"`
	KeyID     string     `bun:"key_id,notnull"`
	UserID    string     `bun:"user_id,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
}

type signingKeyRow struct {
	bun.BaseModel `bun:"table:signing_keys,alias:sk"`

	ID         string     `bun:"id,pk"`
	Algorithm  string     `bun:"algorithm,notnull"`
	PrivateKey []byte     `bun:"private_key,notnull"`
	CreatedAt  time.Time  `bun:"created_at,notnull"`
	RetiredAt  *time.Time `bun:"retired_at"`
}

type totpRow struct {
	bun.BaseModel `bun:"table:user_totp,alias:ut"`

	TenantID    string     `bun:"tenant_id,pk"`
	UserID      string     `bun:"user_id,pk"`
	Secret      []byte     `bun:"secret,notnull"`
	Confirmed   bool       `bun:"confirmed,notnull"`
	LastStep    int64      `bun:"last_step,notnull"`
	CreatedAt   time.Time  `bun:"created_at,notnull"`
	ConfirmedAt *time.Time `bun:"confirmed_at"`
}

type recoveryRow struct {
	bun.BaseModel `bun:"table:user_recovery_codes,alias:rc"`

	TenantID string `bun:"tenant_id,pk"`
	UserID   string `bun:"user_id,pk"`
	Hash     string `bun:"code_hash,pk"`
}

type attemptRow struct {
	bun.BaseModel `bun:"table:login_attempts,alias:la"`

	TenantID    string    `bun:"tenant_id,pk"`
	Subject     string    `bun:"subject,pk"`
	Kind        string    `bun:"kind,pk"`
	Count       int64     `bun:"count,notnull"`
	LastFailure time.Time `bun:"last_failure,notnull"`
}

// identityModels lists the row models, for the schema tests.
var identityModels = []any{
	(*userRow)(nil), (*familyRow)(nil), (*refreshRow)(nil), (*setTokenRow)(nil),
	(*signingKeyRow)(nil), (*totpRow)(nil), (*recoveryRow)(nil), (*attemptRow)(nil),
}

// Conversions.

func optTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return new(dbTime(*t))
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return new(t.UTC())
}

func toUserRow(u identity.User) (userRow, error) {
	r := userRow{
		TenantID: u.TenantID, ID: u.ID, ScopeKind: string(u.Scope.Kind), ScopeID: u.Scope.ID,
		Name: u.Name, Email: u.Email, EmailKey: identity.EmailKey(u.Email), Phone: u.Phone,
		Role: string(u.Role), Status: string(u.Status), PasswordHash: u.PasswordHash,
		CreatedAt: dbTime(u.CreatedAt), UpdatedAt: dbTime(u.UpdatedAt), LastLoginAt: optTime(u.LastLoginAt),
	}
	if len(u.Permissions) > 0 {
		b, err := json.Marshal(u.Permissions)
		if err != nil {
			return r, core.InvalidField("permissions", "must be strings")
		}
		r.Permissions = new(string(b))
	}
	return r, nil
}

func (r *userRow) toUser() (identity.User, error) {
	u := identity.User{
		ID: r.ID, TenantID: r.TenantID, Scope: identity.Scope{Kind: identity.ScopeKind(r.ScopeKind), ID: r.ScopeID},
		Name: r.Name, Email: r.Email, Phone: r.Phone, Role: identity.Role(r.Role), Status: identity.Status(r.Status),
		PasswordHash: r.PasswordHash, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), LastLoginAt: utcPtr(r.LastLoginAt),
	}
	if r.Permissions != nil {
		if err := json.Unmarshal([]byte(*r.Permissions), &u.Permissions); err != nil {
			return u, core.Wrap(err, "read the permissions of user "+r.ID)
		}
		if len(u.Permissions) == 0 {
			u.Permissions = nil
		}
	}
	return u, nil
}

func (r *familyRow) toFamily() identity.RefreshFamily {
	return identity.RefreshFamily{TenantID: r.TenantID, ID: r.ID, UserID: r.UserID,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), RevokedAt: utcPtr(r.RevokedAt)}
}

func toFamilyRow(f identity.RefreshFamily) familyRow {
	return familyRow{TenantID: f.TenantID, ID: f.ID, UserID: f.UserID,
		CreatedAt: dbTime(f.CreatedAt), ExpiresAt: dbTime(f.ExpiresAt), RevokedAt: optTime(f.RevokedAt)}
}

func (r *refreshRow) toToken() identity.RefreshToken {
	return identity.RefreshToken{TenantID: r.TenantID, Hash: r.Hash, KeyID: r.KeyID, FamilyID: r.FamilyID, UserID: r.UserID,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), UsedAt: utcPtr(r.UsedAt)}
}

func toRefreshRow(t identity.RefreshToken) refreshRow {
	return refreshRow{TenantID: t.TenantID, Hash: t.Hash, KeyID: t.KeyID, FamilyID: t.FamilyID, UserID: t.UserID,
		CreatedAt: dbTime(t.CreatedAt), ExpiresAt: dbTime(t.ExpiresAt), UsedAt: optTime(t.UsedAt)}
}

func (r *setTokenRow) toToken() identity.SetPasswordToken {
	return identity.SetPasswordToken{TenantID: r.TenantID, Hash: r.Hash, KeyID: r.KeyID, UserID: r.UserID,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), UsedAt: utcPtr(r.UsedAt)}
}

func (r *signingKeyRow) toKey() identity.SigningKey {
	return identity.SigningKey{ID: r.ID, Algorithm: identity.Algorithm(r.Algorithm), PrivateKey: r.PrivateKey,
		CreatedAt: r.CreatedAt.UTC(), RetiredAt: utcPtr(r.RetiredAt)}
}

func userNotFound(id string) error { return core.Errorf(core.NotFound, "user %q not found", id) }

func refreshNotFound() error { return core.Errorf(core.NotFound, "refresh token not found") }

func totpNotFound() error { return core.Errorf(core.NotFound, "no TOTP enrolment") }

func emailTaken(email string) error {
	return core.Errorf(core.EmailTaken, "a user with email %q exists already", email)
}

// affected returns a function that answers the rows a statement changed,
// translating its error: s.affected(ctx, doing)(q.Exec(ctx)).
func (s *Store) affected(ctx context.Context, doing string) func(sql.Result, error) (int64, error) {
	return func(res sql.Result, err error) (int64, error) {
		if err != nil {
			return 0, s.translate(ctx, err, doing, "")
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, s.translate(ctx, err, doing, "")
		}
		return n, nil
	}
}

// exists reports whether q selects a row.
func (s *Store) exists(ctx context.Context, q *bun.SelectQuery, doing string) (bool, error) {
	ok, err := q.Exists(ctx)
	if err != nil {
		return false, s.translate(ctx, err, doing, "")
	}
	return ok, nil
}

// scanOne runs q into its model; a missing row gives notFound.
func (s *Store) scanOne(ctx context.Context, q *bun.SelectQuery, doing string, notFound error) error {
	err := q.Scan(ctx)
	if err == nil {
		return nil
	}
	err = s.translate(ctx, err, doing, "")
	if core.ErrorCode(err) == core.NotFound {
		return notFound
	}
	return err
}

// The work of each method, over a bun.IDB: the read pool or a transaction.

func (s *Store) createUser(ctx context.Context, idb bun.IDB, u identity.User) error {
	r, err := toUserRow(u)
	if err != nil {
		return err
	}
	// ON CONFLICT DO NOTHING, then find out which key was taken: a failed
	// statement would abort a caller's PostgreSQL transaction.
	n, err := s.affected(ctx, "create user "+u.ID)(idb.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx))
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	taken, err := s.exists(ctx, idb.NewSelect().Model((*userRow)(nil)).Where("u.id = ?", u.ID), "create user "+u.ID)
	if err != nil {
		return err
	}
	if taken {
		return core.Errorf(core.Conflict, "user %s already exists", u.ID)
	}
	return emailTaken(u.Email)
}

func (s *Store) getUser(ctx context.Context, idb bun.IDB, tenantID, id string, forUpdate bool) (identity.User, error) {
	var r userRow
	q := idb.NewSelect().Model(&r).Where("u.tenant_id = ? AND u.id = ?", tenantID, id)
	if forUpdate && s.pg {
		q = q.For("UPDATE")
	}
	if err := s.scanOne(ctx, q, "read user "+id, userNotFound(id)); err != nil {
		return identity.User{}, err
	}
	return r.toUser()
}

func (s *Store) findUser(ctx context.Context, idb bun.IDB, id string) (identity.User, error) {
	var r userRow
	if err := s.scanOne(ctx, idb.NewSelect().Model(&r).Where("u.id = ?", id), "read user "+id, userNotFound(id)); err != nil {
		return identity.User{}, err
	}
	return r.toUser()
}

func (s *Store) getUserByEmail(ctx context.Context, idb bun.IDB, tenantID, email string) (identity.User, error) {
	var r userRow
	q := idb.NewSelect().Model(&r).Where("u.tenant_id = ? AND u.email_key = ?", tenantID, identity.EmailKey(email))
	if err := s.scanOne(ctx, q, "read a user by email", core.Errorf(core.NotFound, "no user with email %q", email)); err != nil {
		return identity.User{}, err
	}
	return r.toUser()
}

func (s *Store) updateUser(ctx context.Context, idb bun.IDB, tenantID, id string, update func(identity.User) (identity.User, error), inTx bool) (identity.User, error) {
	old, err := s.getUser(ctx, idb, tenantID, id, true)
	if err != nil {
		return identity.User{}, err
	}
	next, err := update(old)
	if err != nil {
		return identity.User{}, err
	}
	if next.ID != id || next.TenantID != tenantID || !next.CreatedAt.Equal(old.CreatedAt) {
		return identity.User{}, core.Errorf(core.Invalid, "a user's ID, tenant and creation time cannot change")
	}
	r, err := toUserRow(next)
	if err != nil {
		return identity.User{}, err
	}
	r.CreatedAt = dbTime(old.CreatedAt)
	// A new email may violate the unique index; inside a caller's
	// PostgreSQL transaction a savepoint keeps that from aborting it.
	savepoint := s.pg && inTx && r.EmailKey != identity.EmailKey(old.Email)
	if savepoint {
		if _, err := idb.ExecContext(ctx, "SAVEPOINT atomix_user"); err != nil {
			return identity.User{}, s.translate(ctx, err, "update user "+id, "")
		}
	}
	_, err = idb.NewUpdate().Model(&r).WherePK().ExcludeColumn("tenant_id", "id", "created_at").Exec(ctx)
	if err != nil {
		if savepoint {
			if _, rerr := idb.ExecContext(ctx, "ROLLBACK TO SAVEPOINT atomix_user"); rerr != nil {
				return identity.User{}, s.translate(ctx, rerr, "update user "+id, "")
			}
		}
		if k, _ := classify(err); k == kindUnique {
			return identity.User{}, emailTaken(next.Email)
		}
		return identity.User{}, s.translate(ctx, err, "update user "+id, "")
	}
	if savepoint {
		if _, err := idb.ExecContext(ctx, "RELEASE SAVEPOINT atomix_user"); err != nil {
			return identity.User{}, s.translate(ctx, err, "update user "+id, "")
		}
	}
	return r.toUser()
}

func (s *Store) deleteUser(ctx context.Context, idb bun.IDB, tenantID, id string) error {
	doing := "delete user " + id
	n, err := s.affected(ctx, doing)(idb.NewDelete().Model((*userRow)(nil)).Where("tenant_id = ? AND id = ?", tenantID, id).Exec(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return userNotFound(id)
	}
	for _, m := range []any{(*refreshRow)(nil), (*familyRow)(nil), (*setTokenRow)(nil), (*totpRow)(nil), (*recoveryRow)(nil)} {
		if _, err := idb.NewDelete().Model(m).Where("tenant_id = ? AND user_id = ?", tenantID, id).Exec(ctx); err != nil {
			return s.translate(ctx, err, doing, "")
		}
	}
	_, err = idb.NewDelete().Model((*attemptRow)(nil)).
		Where("tenant_id = ? AND subject = ? AND kind = ?", tenantID, id, string(identity.AttemptTOTP)).Exec(ctx)
	return s.translate(ctx, err, doing, "")
}

// userColumns are the columns of users, qualified by alias p, as scanUser
// reads them.
const userColumns = "p.tenant_id, p.id, p.scope_kind, p.scope_id, p.name, p.email, p.phone, p.role, p.permissions, " +
	"p.status, p.password_hash, p.created_at, p.updated_at, p.last_login_at"

// listUsers reads a page and the tenant's total in one statement, so both
// come from one snapshot; an empty page has one row of NULLs.
func (s *Store) listUsers(ctx context.Context, idb bun.IDB, tenantID string, page core.PageRequest) ([]identity.User, int, error) {
	if page.Page < 1 {
		page.Page = core.DefaultPage
	}
	if page.Limit < 1 {
		page.Limit = core.DefaultLimit
	}
	q := "SELECT c.total, " + userColumns + " FROM (SELECT count(*) AS total FROM users WHERE tenant_id = ?) AS c " +
		"LEFT JOIN (SELECT * FROM users WHERE tenant_id = ? ORDER BY created_at, id LIMIT " + strconv.Itoa(page.Limit) +
		" OFFSET " + strconv.Itoa(page.Offset()) + ") AS p ON 1 = 1 ORDER BY p.created_at, p.id"
	rows, err := idb.QueryContext(ctx, q, tenantID, tenantID)
	if err != nil {
		return nil, 0, s.translate(ctx, err, "list users", "")
	}
	defer rows.Close()
	out := make([]identity.User, 0, page.Limit)
	var total int64
	for rows.Next() {
		var tid, id, kind, sid, name, email, phone, role, perms, status, hash sql.NullString
		var created, updated, last sql.NullTime
		if err := rows.Scan(&total, &tid, &id, &kind, &sid, &name, &email, &phone, &role, &perms, &status, &hash,
			&created, &updated, &last); err != nil {
			return nil, 0, s.translate(ctx, err, "list users", "")
		}
		if !id.Valid {
			continue // the empty page's row of NULLs
		}
		r := userRow{TenantID: tid.String, ID: id.String, ScopeKind: kind.String, ScopeID: sid.String, Name: name.String,
			Email: email.String, Phone: phone.String, Role: role.String, Status: status.String, PasswordHash: hash.String,
			CreatedAt: created.Time, UpdatedAt: updated.Time}
		if perms.Valid {
			r.Permissions = &perms.String
		}
		if last.Valid {
			r.LastLoginAt = &last.Time
		}
		u, err := r.toUser()
		if err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, s.translate(ctx, err, "list users", "")
	}
	return out, int(total), nil
}

// userCountColumn is the derived user count of the tenant aliased p, for
// the tenant reads: an index-only count on the users key.
const userCountColumn = "(SELECT count(*) FROM users AS uc WHERE uc.tenant_id = p.id)"

func (s *Store) countUsers(ctx context.Context, idb bun.IDB, tenantID string) (int, error) {
	n, err := idb.NewSelect().Model((*userRow)(nil)).Where("u.tenant_id = ?", tenantID).Count(ctx)
	if err != nil {
		return 0, s.translate(ctx, err, "count users", "")
	}
	return int(n), nil
}

func (s *Store) createFamily(ctx context.Context, idb bun.IDB, f identity.RefreshFamily, first identity.RefreshToken) error {
	if first.TenantID != f.TenantID || first.FamilyID != f.ID || first.UserID != f.UserID {
		return core.Errorf(core.Invalid, "the first refresh token must belong to its family")
	}
	doing := "create a refresh family"
	taken, err := s.exists(ctx, idb.NewSelect().Model((*refreshRow)(nil)).Where("rt.tenant_id = ? AND rt.token_hash = ?", first.TenantID, first.Hash), doing)
	if err != nil {
		return err
	}
	if taken {
		return core.Errorf(core.Conflict, "the refresh token already exists")
	}
	fr := toFamilyRow(f)
	n, err := s.affected(ctx, doing)(idb.NewInsert().Model(&fr).On("CONFLICT DO NOTHING").Exec(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.Conflict, "refresh family %s already exists", f.ID)
	}
	tr := toRefreshRow(first)
	n, err = s.affected(ctx, doing)(idb.NewInsert().Model(&tr).On("CONFLICT DO NOTHING").Exec(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.Conflict, "the refresh token already exists")
	}
	return nil
}

func (s *Store) getRefresh(ctx context.Context, idb bun.IDB, tenantID, hash string) (identity.RefreshToken, identity.RefreshFamily, error) {
	var r refreshRow
	if err := s.scanOne(ctx, idb.NewSelect().Model(&r).Where("rt.tenant_id = ? AND rt.token_hash = ?", tenantID, hash),
		"read a refresh token", refreshNotFound()); err != nil {
		return identity.RefreshToken{}, identity.RefreshFamily{}, err
	}
	f, err := s.getFamily(ctx, idb, tenantID, r.FamilyID, refreshNotFound())
	if err != nil {
		return identity.RefreshToken{}, identity.RefreshFamily{}, err
	}
	return r.toToken(), f, nil
}

// getFamily reads the tenant's refresh family, answering notFound when
// there is none.
func (s *Store) getFamily(ctx context.Context, idb bun.IDB, tenantID, familyID string, notFound error) (identity.RefreshFamily, error) {
	var f familyRow
	if err := s.scanOne(ctx, idb.NewSelect().Model(&f).Where("rf.tenant_id = ? AND rf.id = ?", tenantID, familyID),
		"read a refresh family", notFound); err != nil {
		return identity.RefreshFamily{}, err
	}
	return f.toFamily(), nil
}

func familyNotFound(familyID string) error {
	return core.Errorf(core.NotFound, "refresh family %q not found", familyID)
}

// rotateRefresh spends the token with one conditional update and stores
// next. It first locks the family row (PostgreSQL FOR UPDATE; SQLite's
// writer lock is held already), so that a rotation and a revocation of one
// family are ordered: a rotation after a revocation reports false rather
// than adding a token to a dead family. (Revocation is of the family, so
// a token added just before it is revoked with it either way.)
func (s *Store) rotateRefresh(ctx context.Context, idb bun.IDB, tenantID, hash string, next identity.RefreshToken, at time.Time) (bool, error) {
	doing := "rotate a refresh token"
	var old refreshRow
	if err := s.scanOne(ctx, idb.NewSelect().Model(&old).Where("rt.tenant_id = ? AND rt.token_hash = ?", tenantID, hash),
		doing, refreshNotFound()); err != nil {
		return false, err
	}
	if next.TenantID != tenantID || next.FamilyID != old.FamilyID || next.UserID != old.UserID {
		return false, core.Errorf(core.Invalid, "the next refresh token must belong to the family")
	}
	var fam familyRow
	q := idb.NewSelect().Model(&fam).Where("rf.tenant_id = ? AND rf.id = ?", tenantID, old.FamilyID)
	if s.pg {
		q = q.For("UPDATE")
	}
	if err := s.scanOne(ctx, q, doing, refreshNotFound()); err != nil {
		return false, err
	}
	if fam.RevokedAt != nil {
		return false, nil
	}
	taken, err := s.exists(ctx, idb.NewSelect().Model((*refreshRow)(nil)).Where("rt.tenant_id = ? AND rt.token_hash = ?", tenantID, next.Hash), doing)
	if err != nil {
		return false, err
	}
	if taken {
		return false, core.Errorf(core.Conflict, "the refresh token already exists")
	}
	n, err := s.affected(ctx, doing)(idb.NewUpdate().Model((*refreshRow)(nil)).Set("used_at = ?", dbTime(at)).
		Where("tenant_id = ? AND token_hash = ? AND used_at IS NULL", tenantID, hash).Exec(ctx))
	if err != nil || n == 0 {
		return false, err
	}
	nr := toRefreshRow(next)
	if _, err := idb.NewInsert().Model(&nr).Exec(ctx); err != nil {
		return false, s.translate(ctx, err, doing, "")
	}
	return true, nil
}

func (s *Store) revokeFamily(ctx context.Context, idb bun.IDB, tenantID, familyID string, at time.Time) error {
	doing := "revoke a refresh family"
	n, err := s.affected(ctx, doing)(idb.NewUpdate().Model((*familyRow)(nil)).Set("revoked_at = ?", dbTime(at)).
		Where("tenant_id = ? AND id = ? AND revoked_at IS NULL", tenantID, familyID).Exec(ctx))
	if err != nil || n == 1 {
		return err
	}
	found, err := s.exists(ctx, idb.NewSelect().Model((*familyRow)(nil)).Where("rf.tenant_id = ? AND rf.id = ?", tenantID, familyID), doing)
	if err != nil {
		return err
	}
	if !found {
		return familyNotFound(familyID)
	}
	return nil
}

func (s *Store) revokeUserFamilies(ctx context.Context, idb bun.IDB, tenantID, userID string, at time.Time) (int, error) {
	n, err := s.affected(ctx, "revoke refresh families")(idb.NewUpdate().Model((*familyRow)(nil)).Set("revoked_at = ?", dbTime(at)).
		Where("tenant_id = ? AND user_id = ? AND revoked_at IS NULL", tenantID, userID).Exec(ctx))
	return int(n), err
}

func (s *Store) deleteFamilies(ctx context.Context, idb bun.IDB, before time.Time) (int, error) {
	b := dbTime(before)
	if _, err := idb.NewDelete().TableExpr("refresh_tokens").Where("EXISTS (SELECT 1 FROM refresh_families AS f "+
		"WHERE f.tenant_id = refresh_tokens.tenant_id AND f.id = refresh_tokens.family_id AND (f.expires_at < ? OR f.revoked_at < ?))", b, b).
		Exec(ctx); err != nil {
		return 0, s.translate(ctx, err, "delete refresh tokens", "")
	}
	n, err := s.affected(ctx, "delete refresh families")(idb.NewDelete().Model((*familyRow)(nil)).Where("expires_at < ? OR revoked_at < ?", b, b).Exec(ctx))
	return int(n), err
}

func (s *Store) createSetToken(ctx context.Context, idb bun.IDB, t identity.SetPasswordToken) error {
	r := setTokenRow{TenantID: t.TenantID, Hash: t.Hash, KeyID: t.KeyID, UserID: t.UserID,
		CreatedAt: dbTime(t.CreatedAt), ExpiresAt: dbTime(t.ExpiresAt), UsedAt: optTime(t.UsedAt)}
	n, err := s.affected(ctx, "create a set-password token")(idb.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.Conflict, "the set-password token already exists")
	}
	return nil
}

func setTokenNotFound() error { return core.Errorf(core.NotFound, "set-password token not found") }

func (s *Store) getSetToken(ctx context.Context, idb bun.IDB, tenantID, hash string) (identity.SetPasswordToken, error) {
	var r setTokenRow
	if err := s.scanOne(ctx, idb.NewSelect().Model(&r).Where("sp.tenant_id = ? AND sp.token_hash = ?", tenantID, hash),
		"read a set-password token", setTokenNotFound()); err != nil {
		return identity.SetPasswordToken{}, err
	}
	return r.toToken(), nil
}

func (s *Store) useSetToken(ctx context.Context, idb bun.IDB, tenantID, hash string, at time.Time) (bool, error) {
	doing := "use a set-password token"
	n, err := s.affected(ctx, doing)(idb.NewUpdate().Model((*setTokenRow)(nil)).Set("used_at = ?", dbTime(at)).
		Where("tenant_id = ? AND token_hash = ? AND used_at IS NULL AND expires_at > ?", tenantID, hash, dbTime(at)).Exec(ctx))
	if err != nil || n == 1 {
		return n == 1, err
	}
	found, err := s.exists(ctx, idb.NewSelect().Model((*setTokenRow)(nil)).Where("sp.tenant_id = ? AND sp.token_hash = ?", tenantID, hash), doing)
	if err != nil {
		return false, err
	}
	if !found {
		return false, setTokenNotFound()
	}
	return false, nil
}

func (s *Store) deleteSetTokens(ctx context.Context, idb bun.IDB, tenantID, userID string) (int, error) {
	n, err := s.affected(ctx, "delete set-password tokens")(idb.NewDelete().Model((*setTokenRow)(nil)).Where("tenant_id = ? AND user_id = ?", tenantID, userID).Exec(ctx))
	return int(n), err
}

func (s *Store) createSigningKey(ctx context.Context, idb bun.IDB, k identity.SigningKey) error {
	r := signingKeyRow{ID: k.ID, Algorithm: string(k.Algorithm), PrivateKey: k.PrivateKey,
		CreatedAt: dbTime(k.CreatedAt), RetiredAt: optTime(k.RetiredAt)}
	n, err := s.affected(ctx, "create a signing key")(idb.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.Conflict, "signing key %s already exists", k.ID)
	}
	return nil
}

func (s *Store) listSigningKeys(ctx context.Context, idb bun.IDB, retiredAfter time.Time) ([]identity.SigningKey, error) {
	var rows []signingKeyRow
	if err := idb.NewSelect().Model(&rows).Where("sk.retired_at IS NULL OR sk.retired_at > ?", dbTime(retiredAfter)).
		Order("sk.created_at", "sk.id").Scan(ctx); err != nil {
		return nil, s.translate(ctx, err, "list signing keys", "")
	}
	out := make([]identity.SigningKey, 0, len(rows))
	for i := range rows {
		out = append(out, rows[i].toKey())
	}
	return out, nil
}

func (s *Store) retireSigningKeys(ctx context.Context, idb bun.IDB, newest string, at time.Time) (int, error) {
	var top signingKeyRow
	if err := s.scanOne(ctx, idb.NewSelect().Model(&top).Where("sk.id = ?", newest), "retire signing keys",
		core.Errorf(core.NotFound, "signing key %q not found", newest)); err != nil {
		return 0, err
	}
	n, err := s.affected(ctx, "retire signing keys")(idb.NewUpdate().Model((*signingKeyRow)(nil)).Set("retired_at = ?", dbTime(at)).
		Where("retired_at IS NULL AND (created_at < ? OR (created_at = ? AND id < ?))", top.CreatedAt, top.CreatedAt, top.ID).Exec(ctx))
	return int(n), err
}

func (s *Store) deleteSigningKeys(ctx context.Context, idb bun.IDB, before time.Time) (int, error) {
	n, err := s.affected(ctx, "delete signing keys")(idb.NewDelete().Model((*signingKeyRow)(nil)).Where("retired_at < ?", dbTime(before)).Exec(ctx))
	return int(n), err
}

func (s *Store) putTOTP(ctx context.Context, idb bun.IDB, t identity.TOTP) error {
	r := totpRow{TenantID: t.TenantID, UserID: t.UserID, Secret: t.Secret, Confirmed: t.Confirmed, LastStep: t.LastStep,
		CreatedAt: dbTime(t.CreatedAt), ConfirmedAt: optTime(t.ConfirmedAt)}
	n, err := s.affected(ctx, "store a TOTP enrolment")(idb.NewInsert().Model(&r).
		On("CONFLICT (tenant_id, user_id) DO UPDATE").
		Set("secret = EXCLUDED.secret, confirmed = EXCLUDED.confirmed, last_step = EXCLUDED.last_step").
		Set("created_at = EXCLUDED.created_at, confirmed_at = EXCLUDED.confirmed_at").
		Where("ut.confirmed = ?", false).Exec(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.TOTPAlreadyEnabled, "TOTP is enabled already")
	}
	return nil
}

func (s *Store) getTOTP(ctx context.Context, idb bun.IDB, tenantID, userID string) (identity.TOTP, error) {
	var r totpRow
	if err := s.scanOne(ctx, idb.NewSelect().Model(&r).Where("ut.tenant_id = ? AND ut.user_id = ?", tenantID, userID),
		"read a TOTP enrolment", totpNotFound()); err != nil {
		return identity.TOTP{}, err
	}
	var codes []string
	if err := idb.NewSelect().Model((*recoveryRow)(nil)).Column("code_hash").
		Where("rc.tenant_id = ? AND rc.user_id = ?", tenantID, userID).Order("rc.code_hash").Scan(ctx, &codes); err != nil {
		return identity.TOTP{}, s.translate(ctx, err, "read recovery codes", "")
	}
	if len(codes) == 0 {
		codes = nil
	}
	return identity.TOTP{TenantID: r.TenantID, UserID: r.UserID, Secret: r.Secret, Confirmed: r.Confirmed, LastStep: r.LastStep,
		CreatedAt: r.CreatedAt.UTC(), ConfirmedAt: utcPtr(r.ConfirmedAt), RecoveryCodes: codes}, nil
}

// totpMissing answers a conditional update that changed nothing: NotFound
// when there is no enrolment, else false.
func (s *Store) totpMissing(ctx context.Context, idb bun.IDB, tenantID, userID string) error {
	found, err := s.exists(ctx, idb.NewSelect().Model((*totpRow)(nil)).Where("ut.tenant_id = ? AND ut.user_id = ?", tenantID, userID), "read a TOTP enrolment")
	if err != nil {
		return err
	}
	if !found {
		return totpNotFound()
	}
	return nil
}

func (s *Store) confirmTOTP(ctx context.Context, idb bun.IDB, tenantID, userID string, step int64, at time.Time, hashes []string) (bool, error) {
	doing := "confirm a TOTP enrolment"
	n, err := s.affected(ctx, doing)(idb.NewUpdate().Model((*totpRow)(nil)).
		Set("confirmed = ?, last_step = ?, confirmed_at = ?", true, step, dbTime(at)).
		Where("tenant_id = ? AND user_id = ? AND confirmed = ? AND last_step < ?", tenantID, userID, false, step).Exec(ctx))
	if err != nil {
		return false, err
	}
	if n == 0 {
		return false, s.totpMissing(ctx, idb, tenantID, userID)
	}
	if _, err := idb.NewDelete().Model((*recoveryRow)(nil)).Where("tenant_id = ? AND user_id = ?", tenantID, userID).Exec(ctx); err != nil {
		return false, s.translate(ctx, err, doing, "")
	}
	if len(hashes) > 0 {
		rows := make([]recoveryRow, len(hashes))
		for i, h := range hashes {
			rows[i] = recoveryRow{TenantID: tenantID, UserID: userID, Hash: h}
		}
		if _, err := idb.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return false, s.translate(ctx, err, doing, "")
		}
	}
	return true, nil
}

func (s *Store) useTOTPStep(ctx context.Context, idb bun.IDB, tenantID, userID string, step int64) (bool, error) {
	n, err := s.affected(ctx, "use a TOTP step")(idb.NewUpdate().Model((*totpRow)(nil)).Set("last_step = ?", step).
		Where("tenant_id = ? AND user_id = ? AND last_step < ?", tenantID, userID, step).Exec(ctx))
	if err != nil {
		return false, err
	}
	if n == 0 {
		return false, s.totpMissing(ctx, idb, tenantID, userID)
	}
	return true, nil
}

func (s *Store) useRecoveryCode(ctx context.Context, idb bun.IDB, tenantID, userID, hash string) (bool, error) {
	n, err := s.affected(ctx, "use a recovery code")(idb.NewDelete().Model((*recoveryRow)(nil)).
		Where("tenant_id = ? AND user_id = ? AND code_hash = ?", tenantID, userID, hash).Exec(ctx))
	return n == 1, err
}

func (s *Store) deleteTOTP(ctx context.Context, idb bun.IDB, tenantID, userID string) error {
	n, err := s.affected(ctx, "delete a TOTP enrolment")(idb.NewDelete().Model((*totpRow)(nil)).Where("tenant_id = ? AND user_id = ?", tenantID, userID).Exec(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return totpNotFound()
	}
	_, err = idb.NewDelete().Model((*recoveryRow)(nil)).Where("tenant_id = ? AND user_id = ?", tenantID, userID).Exec(ctx)
	return s.translate(ctx, err, "delete recovery codes", "")
}

func (s *Store) getAttempts(ctx context.Context, idb bun.IDB, tenantID, subject string, kind identity.AttemptKind) (identity.Attempts, error) {
	var r attemptRow
	err := s.scanOne(ctx, idb.NewSelect().Model(&r).Where("la.tenant_id = ? AND la.subject = ? AND la.kind = ?", tenantID, subject, string(kind)),
		"read a failure counter", errNoCounter)
	if err == errNoCounter {
		return identity.Attempts{}, nil
	}
	if err != nil {
		return identity.Attempts{}, err
	}
	return identity.Attempts{Count: int(r.Count), LastFailure: r.LastFailure.UTC()}, nil
}

var errNoCounter = core.Errorf(core.NotFound, "no failure counter")

// recordFailure adds one failure with one atomic upsert.
func (s *Store) recordFailure(ctx context.Context, idb bun.IDB, tenantID, subject string, kind identity.AttemptKind, at time.Time) (identity.Attempts, error) {
	r := attemptRow{TenantID: tenantID, Subject: subject, Kind: string(kind), Count: 1, LastFailure: dbTime(at)}
	if err := idb.NewInsert().Model(&r).
		On("CONFLICT (tenant_id, subject, kind) DO UPDATE").
		Set("count = la.count + 1, last_failure = EXCLUDED.last_failure").
		Returning("count, last_failure").Scan(ctx, &r.Count, &r.LastFailure); err != nil {
		return identity.Attempts{}, s.translate(ctx, err, "record a failed attempt", "")
	}
	return identity.Attempts{Count: int(r.Count), LastFailure: r.LastFailure.UTC()}, nil
}

func (s *Store) resetAttempts(ctx context.Context, idb bun.IDB, tenantID, subject string, kind identity.AttemptKind) error {
	_, err := idb.NewDelete().Model((*attemptRow)(nil)).Where("tenant_id = ? AND subject = ? AND kind = ?", tenantID, subject, string(kind)).Exec(ctx)
	return s.translate(ctx, err, "reset a failure counter", "")
}

// The Store's identity methods: reads on the read pool, writes in a
// transaction of their own.

func readWith[T any](ctx context.Context, s *Store, fn func(idb bun.IDB) (T, error)) (T, error) {
	if err := s.check(ctx); err != nil {
		var zero T
		return zero, err
	}
	return fn(s.read)
}

func writeWith[T any](ctx context.Context, s *Store, fn func(tx *txStore) (T, error)) (T, error) {
	var out T
	err := s.inTx(ctx, true, func(tx store.Store) (err error) {
		out, err = fn(tx.(*txStore))
		return err
	})
	return out, err
}

func withTx[T any](ctx context.Context, tx *txStore, fn func(idb bun.IDB) (T, error)) (T, error) {
	if err := tx.check(ctx); err != nil {
		var zero T
		return zero, err
	}
	return fn(tx.tx)
}

type none struct{}

func noValue(err error) (none, error) { return none{}, err }

// CreateUser implements identity.Store. Errors: core.Conflict;
// core.EmailTaken; core.Internal.
func (s *Store) CreateUser(ctx context.Context, u identity.User) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.CreateUser(ctx, u)) })
	return err
}

// GetUser implements identity.Store. Errors: core.NotFound; core.Internal.
func (s *Store) GetUser(ctx context.Context, tenantID, id string) (identity.User, error) {
	return readWith(ctx, s, func(idb bun.IDB) (identity.User, error) { return s.getUser(ctx, idb, tenantID, id, false) })
}

// FindUser implements identity.Store. Errors: core.NotFound; core.Internal.
func (s *Store) FindUser(ctx context.Context, id string) (identity.User, error) {
	return readWith(ctx, s, func(idb bun.IDB) (identity.User, error) { return s.findUser(ctx, idb, id) })
}

// GetUserByEmail implements identity.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) GetUserByEmail(ctx context.Context, tenantID, email string) (identity.User, error) {
	return readWith(ctx, s, func(idb bun.IDB) (identity.User, error) { return s.getUserByEmail(ctx, idb, tenantID, email) })
}

// UpdateUser implements identity.Store. Errors: core.NotFound;
// core.EmailTaken; core.Invalid; those of update; core.Internal.
func (s *Store) UpdateUser(ctx context.Context, tenantID, id string, update func(identity.User) (identity.User, error)) (identity.User, error) {
	return writeWith(ctx, s, func(tx *txStore) (identity.User, error) { return tx.UpdateUser(ctx, tenantID, id, update) })
}

// DeleteUser implements identity.Store. Errors: core.NotFound; core.Internal.
func (s *Store) DeleteUser(ctx context.Context, tenantID, id string) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.DeleteUser(ctx, tenantID, id)) })
	return err
}

// ListUsers implements identity.Store. Errors: core.Internal.
func (s *Store) ListUsers(ctx context.Context, tenantID string, page core.PageRequest) ([]identity.User, int, error) {
	var total int
	out, err := readWith(ctx, s, func(idb bun.IDB) (out []identity.User, err error) {
		out, total, err = s.listUsers(ctx, idb, tenantID, page)
		return out, err
	})
	return out, total, err
}

// CountUsers implements identity.Store. Errors: core.Internal.
func (s *Store) CountUsers(ctx context.Context, tenantID string) (int, error) {
	return readWith(ctx, s, func(idb bun.IDB) (int, error) { return s.countUsers(ctx, idb, tenantID) })
}

// CreateRefreshFamily implements identity.Store. Errors: core.Conflict;
// core.Invalid; core.Internal.
func (s *Store) CreateRefreshFamily(ctx context.Context, f identity.RefreshFamily, first identity.RefreshToken) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.CreateRefreshFamily(ctx, f, first)) })
	return err
}

// GetRefreshToken implements identity.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) GetRefreshToken(ctx context.Context, tenantID, hash string) (identity.RefreshToken, identity.RefreshFamily, error) {
	var fam identity.RefreshFamily
	rec, err := readWith(ctx, s, func(idb bun.IDB) (rec identity.RefreshToken, err error) {
		rec, fam, err = s.getRefresh(ctx, idb, tenantID, hash)
		return rec, err
	})
	return rec, fam, err
}

// GetRefreshFamily implements identity.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) GetRefreshFamily(ctx context.Context, tenantID, familyID string) (identity.RefreshFamily, error) {
	return readWith(ctx, s, func(idb bun.IDB) (identity.RefreshFamily, error) {
		return s.getFamily(ctx, idb, tenantID, familyID, familyNotFound(familyID))
	})
}

// RotateRefreshToken implements identity.Store. Errors: core.NotFound;
// core.Invalid; core.Conflict; core.Internal.
func (s *Store) RotateRefreshToken(ctx context.Context, tenantID, hash string, next identity.RefreshToken, at time.Time) (bool, error) {
	return writeWith(ctx, s, func(tx *txStore) (bool, error) { return tx.RotateRefreshToken(ctx, tenantID, hash, next, at) })
}

// RevokeRefreshFamily implements identity.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) RevokeRefreshFamily(ctx context.Context, tenantID, familyID string, at time.Time) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) {
		return noValue(tx.RevokeRefreshFamily(ctx, tenantID, familyID, at))
	})
	return err
}

// RevokeUserRefreshFamilies implements identity.Store. Errors: core.Internal.
func (s *Store) RevokeUserRefreshFamilies(ctx context.Context, tenantID, userID string, at time.Time) (int, error) {
	return writeWith(ctx, s, func(tx *txStore) (int, error) { return tx.RevokeUserRefreshFamilies(ctx, tenantID, userID, at) })
}

// DeleteRefreshFamilies implements identity.Store. Errors: core.Internal.
func (s *Store) DeleteRefreshFamilies(ctx context.Context, before time.Time) (int, error) {
	return writeWith(ctx, s, func(tx *txStore) (int, error) { return tx.DeleteRefreshFamilies(ctx, before) })
}

// CreateSetPasswordToken implements identity.Store. Errors: core.Conflict;
// core.Internal.
func (s *Store) CreateSetPasswordToken(ctx context.Context, t identity.SetPasswordToken) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.CreateSetPasswordToken(ctx, t)) })
	return err
}

// GetSetPasswordToken implements identity.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) GetSetPasswordToken(ctx context.Context, tenantID, hash string) (identity.SetPasswordToken, error) {
	return readWith(ctx, s, func(idb bun.IDB) (identity.SetPasswordToken, error) { return s.getSetToken(ctx, idb, tenantID, hash) })
}

// UseSetPasswordToken implements identity.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) UseSetPasswordToken(ctx context.Context, tenantID, hash string, at time.Time) (bool, error) {
	return writeWith(ctx, s, func(tx *txStore) (bool, error) { return tx.UseSetPasswordToken(ctx, tenantID, hash, at) })
}

// DeleteSetPasswordTokens implements identity.Store. Errors: core.Internal.
func (s *Store) DeleteSetPasswordTokens(ctx context.Context, tenantID, userID string) (int, error) {
	return writeWith(ctx, s, func(tx *txStore) (int, error) { return tx.DeleteSetPasswordTokens(ctx, tenantID, userID) })
}

// CreateSigningKey implements identity.Store. Errors: core.Conflict;
// core.Internal.
func (s *Store) CreateSigningKey(ctx context.Context, k identity.SigningKey) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.CreateSigningKey(ctx, k)) })
	return err
}

// ListSigningKeys implements identity.Store. Errors: core.Internal.
func (s *Store) ListSigningKeys(ctx context.Context, retiredAfter time.Time) ([]identity.SigningKey, error) {
	return readWith(ctx, s, func(idb bun.IDB) ([]identity.SigningKey, error) { return s.listSigningKeys(ctx, idb, retiredAfter) })
}

// RetireSigningKeys implements identity.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) RetireSigningKeys(ctx context.Context, newest string, at time.Time) (int, error) {
	return writeWith(ctx, s, func(tx *txStore) (int, error) { return tx.RetireSigningKeys(ctx, newest, at) })
}

// DeleteSigningKeys implements identity.Store. Errors: core.Internal.
func (s *Store) DeleteSigningKeys(ctx context.Context, before time.Time) (int, error) {
	return writeWith(ctx, s, func(tx *txStore) (int, error) { return tx.DeleteSigningKeys(ctx, before) })
}

// PutTOTP implements identity.Store. Errors: core.TOTPAlreadyEnabled;
// core.Internal.
func (s *Store) PutTOTP(ctx context.Context, t identity.TOTP) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.PutTOTP(ctx, t)) })
	return err
}

// GetTOTP implements identity.Store. Errors: core.NotFound; core.Internal.
func (s *Store) GetTOTP(ctx context.Context, tenantID, userID string) (identity.TOTP, error) {
	return readWith(ctx, s, func(idb bun.IDB) (identity.TOTP, error) { return s.getTOTP(ctx, idb, tenantID, userID) })
}

// ConfirmTOTP implements identity.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) ConfirmTOTP(ctx context.Context, tenantID, userID string, step int64, at time.Time, recoveryHashes []string) (bool, error) {
	return writeWith(ctx, s, func(tx *txStore) (bool, error) {
		return tx.ConfirmTOTP(ctx, tenantID, userID, step, at, recoveryHashes)
	})
}

// UseTOTPStep implements identity.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) UseTOTPStep(ctx context.Context, tenantID, userID string, step int64) (bool, error) {
	return writeWith(ctx, s, func(tx *txStore) (bool, error) { return tx.UseTOTPStep(ctx, tenantID, userID, step) })
}

// UseRecoveryCode implements identity.Store. Errors: core.Internal.
func (s *Store) UseRecoveryCode(ctx context.Context, tenantID, userID, hash string) (bool, error) {
	return writeWith(ctx, s, func(tx *txStore) (bool, error) { return tx.UseRecoveryCode(ctx, tenantID, userID, hash) })
}

// DeleteTOTP implements identity.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) DeleteTOTP(ctx context.Context, tenantID, userID string) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.DeleteTOTP(ctx, tenantID, userID)) })
	return err
}

// GetAttempts implements identity.Store. Errors: core.Internal.
func (s *Store) GetAttempts(ctx context.Context, tenantID, subject string, kind identity.AttemptKind) (identity.Attempts, error) {
	return readWith(ctx, s, func(idb bun.IDB) (identity.Attempts, error) { return s.getAttempts(ctx, idb, tenantID, subject, kind) })
}

// RecordFailedAttempt implements identity.Store. Errors: core.Internal.
func (s *Store) RecordFailedAttempt(ctx context.Context, tenantID, subject string, kind identity.AttemptKind, at time.Time) (identity.Attempts, error) {
	return writeWith(ctx, s, func(tx *txStore) (identity.Attempts, error) {
		return tx.RecordFailedAttempt(ctx, tenantID, subject, kind, at)
	})
}

// ResetAttempts implements identity.Store. Errors: core.Internal.
func (s *Store) ResetAttempts(ctx context.Context, tenantID, subject string, kind identity.AttemptKind) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.ResetAttempts(ctx, tenantID, subject, kind)) })
	return err
}

// The transaction's identity methods.

func (tx *txStore) CreateUser(ctx context.Context, u identity.User) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.createUser(ctx, idb, u)) })
	return err
}

func (tx *txStore) GetUser(ctx context.Context, tenantID, id string) (identity.User, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (identity.User, error) { return tx.s.getUser(ctx, idb, tenantID, id, false) })
}

func (tx *txStore) FindUser(ctx context.Context, id string) (identity.User, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (identity.User, error) { return tx.s.findUser(ctx, idb, id) })
}

func (tx *txStore) GetUserByEmail(ctx context.Context, tenantID, email string) (identity.User, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (identity.User, error) { return tx.s.getUserByEmail(ctx, idb, tenantID, email) })
}

func (tx *txStore) UpdateUser(ctx context.Context, tenantID, id string, update func(identity.User) (identity.User, error)) (identity.User, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (identity.User, error) {
		return tx.s.updateUser(ctx, idb, tenantID, id, update, !tx.single)
	})
}

func (tx *txStore) DeleteUser(ctx context.Context, tenantID, id string) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.deleteUser(ctx, idb, tenantID, id)) })
	return err
}

func (tx *txStore) ListUsers(ctx context.Context, tenantID string, page core.PageRequest) ([]identity.User, int, error) {
	var total int
	out, err := withTx(ctx, tx, func(idb bun.IDB) (out []identity.User, err error) {
		out, total, err = tx.s.listUsers(ctx, idb, tenantID, page)
		return out, err
	})
	return out, total, err
}

func (tx *txStore) CountUsers(ctx context.Context, tenantID string) (int, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (int, error) { return tx.s.countUsers(ctx, idb, tenantID) })
}

func (tx *txStore) CreateRefreshFamily(ctx context.Context, f identity.RefreshFamily, first identity.RefreshToken) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.createFamily(ctx, idb, f, first)) })
	return err
}

func (tx *txStore) GetRefreshToken(ctx context.Context, tenantID, hash string) (identity.RefreshToken, identity.RefreshFamily, error) {
	var fam identity.RefreshFamily
	rec, err := withTx(ctx, tx, func(idb bun.IDB) (rec identity.RefreshToken, err error) {
		rec, fam, err = tx.s.getRefresh(ctx, idb, tenantID, hash)
		return rec, err
	})
	return rec, fam, err
}

func (tx *txStore) GetRefreshFamily(ctx context.Context, tenantID, familyID string) (identity.RefreshFamily, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (identity.RefreshFamily, error) {
		return tx.s.getFamily(ctx, idb, tenantID, familyID, familyNotFound(familyID))
	})
}

func (tx *txStore) RotateRefreshToken(ctx context.Context, tenantID, hash string, next identity.RefreshToken, at time.Time) (bool, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (bool, error) { return tx.s.rotateRefresh(ctx, idb, tenantID, hash, next, at) })
}

func (tx *txStore) RevokeRefreshFamily(ctx context.Context, tenantID, familyID string, at time.Time) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) {
		return noValue(tx.s.revokeFamily(ctx, idb, tenantID, familyID, at))
	})
	return err
}

func (tx *txStore) RevokeUserRefreshFamilies(ctx context.Context, tenantID, userID string, at time.Time) (int, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (int, error) { return tx.s.revokeUserFamilies(ctx, idb, tenantID, userID, at) })
}

func (tx *txStore) DeleteRefreshFamilies(ctx context.Context, before time.Time) (int, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (int, error) { return tx.s.deleteFamilies(ctx, idb, before) })
}

func (tx *txStore) CreateSetPasswordToken(ctx context.Context, t identity.SetPasswordToken) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.createSetToken(ctx, idb, t)) })
	return err
}

func (tx *txStore) GetSetPasswordToken(ctx context.Context, tenantID, hash string) (identity.SetPasswordToken, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (identity.SetPasswordToken, error) {
		return tx.s.getSetToken(ctx, idb, tenantID, hash)
	})
}

func (tx *txStore) UseSetPasswordToken(ctx context.Context, tenantID, hash string, at time.Time) (bool, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (bool, error) { return tx.s.useSetToken(ctx, idb, tenantID, hash, at) })
}

func (tx *txStore) DeleteSetPasswordTokens(ctx context.Context, tenantID, userID string) (int, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (int, error) { return tx.s.deleteSetTokens(ctx, idb, tenantID, userID) })
}

func (tx *txStore) CreateSigningKey(ctx context.Context, k identity.SigningKey) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.createSigningKey(ctx, idb, k)) })
	return err
}

func (tx *txStore) ListSigningKeys(ctx context.Context, retiredAfter time.Time) ([]identity.SigningKey, error) {
	return withTx(ctx, tx, func(idb bun.IDB) ([]identity.SigningKey, error) { return tx.s.listSigningKeys(ctx, idb, retiredAfter) })
}

func (tx *txStore) RetireSigningKeys(ctx context.Context, newest string, at time.Time) (int, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (int, error) { return tx.s.retireSigningKeys(ctx, idb, newest, at) })
}

func (tx *txStore) DeleteSigningKeys(ctx context.Context, before time.Time) (int, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (int, error) { return tx.s.deleteSigningKeys(ctx, idb, before) })
}

func (tx *txStore) PutTOTP(ctx context.Context, t identity.TOTP) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.putTOTP(ctx, idb, t)) })
	return err
}

func (tx *txStore) GetTOTP(ctx context.Context, tenantID, userID string) (identity.TOTP, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (identity.TOTP, error) { return tx.s.getTOTP(ctx, idb, tenantID, userID) })
}

func (tx *txStore) ConfirmTOTP(ctx context.Context, tenantID, userID string, step int64, at time.Time, recoveryHashes []string) (bool, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (bool, error) {
		return tx.s.confirmTOTP(ctx, idb, tenantID, userID, step, at, recoveryHashes)
	})
}

func (tx *txStore) UseTOTPStep(ctx context.Context, tenantID, userID string, step int64) (bool, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (bool, error) { return tx.s.useTOTPStep(ctx, idb, tenantID, userID, step) })
}

func (tx *txStore) UseRecoveryCode(ctx context.Context, tenantID, userID, hash string) (bool, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (bool, error) { return tx.s.useRecoveryCode(ctx, idb, tenantID, userID, hash) })
}

func (tx *txStore) DeleteTOTP(ctx context.Context, tenantID, userID string) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.deleteTOTP(ctx, idb, tenantID, userID)) })
	return err
}

func (tx *txStore) GetAttempts(ctx context.Context, tenantID, subject string, kind identity.AttemptKind) (identity.Attempts, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (identity.Attempts, error) {
		return tx.s.getAttempts(ctx, idb, tenantID, subject, kind)
	})
}

func (tx *txStore) RecordFailedAttempt(ctx context.Context, tenantID, subject string, kind identity.AttemptKind, at time.Time) (identity.Attempts, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (identity.Attempts, error) {
		return tx.s.recordFailure(ctx, idb, tenantID, subject, kind, at)
	})
}

func (tx *txStore) ResetAttempts(ctx context.Context, tenantID, subject string, kind identity.AttemptKind) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.resetAttempts(ctx, idb, tenantID, subject, kind)) })
	return err
}
