package httpapi

import (
	"net/http"
	"reflect"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
)

// Users and roles over REST: the tenant admin's user management. Every
// check (scope, permissions, grants) is the library's.

// userBody is the wire form of a user.
type userBody struct {
	ID          string     `json:"id"`
	TenantID    string     `json:"tenantId"`
	Scope       scopeBody  `json:"scope"`
	Name        string     `json:"name"`
	Email       string     `json:"email"`
	Phone       string     `json:"phone,omitempty"`
	Role        string     `json:"role"`
	Permissions []string   `json:"permissions"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	LastLoginAt *time.Time `json:"lastLoginAt,omitempty"`
}

type scopeBody struct {
	Kind string `json:"kind"`
	ID   string `json:"id,omitempty"`
}

func userOf(u identity.User) userBody {
	perms := u.Permissions
	if perms == nil {
		perms = []string{}
	}
	return userBody{
		ID: u.ID, TenantID: u.TenantID, Scope: scopeBody{Kind: string(u.Scope.Kind), ID: u.Scope.ID},
		Name: u.Name, Email: u.Email, Phone: u.Phone, Role: string(u.Role), Permissions: perms,
		Status: string(u.Status), CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(), LastLoginAt: u.LastLoginAt,
	}
}

// createUserRequest is the body of POST /tenants/{tenantId}/users.
type createUserRequest struct {
	Name        string   `json:"name"`
	Email       string   `json:"email"`
	Phone       string   `json:"phone"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
	Password    string   `json:"password"`
}

// updateUserRequest is the body of PATCH /users/{userId}.
type updateUserRequest struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
	Phone *string `json:"phone"`
}

// permissionsRequest is seed 000's body of PATCH /users/{userId}/permissions.
type permissionsRequest struct {
	Permissions []string `json:"permissions"`
}

// roleRequest is the body of PUT /users/{userId}/role.
type roleRequest struct {
	Role string `json:"role"`
}

// listUsers serves GET /tenants/{tenantId}/users?page&limit.
func (h *handler) listUsers(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "page", "limit")
	page := pageParams(q, &f)
	if len(f) > 0 {
		return sortedErr(f)
	}
	pg, err := h.p.ListUsers(r.Context(), r.PathValue("tenantId"), page)
	if err != nil {
		return err
	}
	out := listBody[userBody]{Data: make([]userBody, 0, len(pg.Items)),
		Pagination: paginationBody{Page: pg.Page, Limit: pg.Limit, Total: pg.Total, TotalPages: pg.TotalPages}}
	for _, u := range pg.Items {
		out.Data = append(out.Data, userOf(u))
	}
	return h.writeBody(c, http.StatusOK, out)
}

// createUser serves POST /tenants/{tenantId}/users: 201 with the user.
func (h *handler) createUser(c *call, r *http.Request) error {
	var in createUserRequest
	if err := decode(r, &in, shapeOf(reflect.TypeFor[createUserRequest]())); err != nil {
		return err
	}
	u, err := h.p.CreateUser(r.Context(), r.PathValue("tenantId"), atomix.NewUserInput{
		Name: in.Name, Email: in.Email, Phone: in.Phone, Role: identity.Role(in.Role),
		Permissions: in.Permissions, Password: in.Password,
	})
	if err != nil {
		return err
	}
	c.Header().Set("Location", h.prefix+"/users/"+u.ID)
	return h.writeBody(c, http.StatusCreated, userOf(u))
}

// getUser serves GET /users/{userId}.
func (h *handler) getUser(c *call, r *http.Request) error {
	u, err := h.p.GetUser(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, userOf(u))
}

// updateUser serves PATCH /users/{userId}.
func (h *handler) updateUser(c *call, r *http.Request) error {
	var in updateUserRequest
	if err := decode(r, &in, shapeOf(reflect.TypeFor[updateUserRequest]())); err != nil {
		return err
	}
	u, err := h.p.UpdateUser(r.Context(), r.PathValue("userId"), atomix.UserPatch{Name: in.Name, Email: in.Email, Phone: in.Phone})
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, userOf(u))
}

// deleteUser serves DELETE /users/{userId}: 204.
func (h *handler) deleteUser(c *call, r *http.Request) error {
	if err := h.p.DeleteUser(r.Context(), r.PathValue("userId")); err != nil {
		return err
	}
	c.WriteHeader(http.StatusNoContent)
	return nil
}

// setUserPermissions serves PATCH /users/{userId}/permissions: the user's
// grants become the list given.
func (h *handler) setUserPermissions(c *call, r *http.Request) error {
	var in permissionsRequest
	if err := decode(r, &in, shapeOf(reflect.TypeFor[permissionsRequest]())); err != nil {
		return err
	}
	if in.Permissions == nil {
		return core.InvalidField("permissions", "is required: a list of grants such as \"task:view\"")
	}
	u, err := h.p.SetUserPermissions(r.Context(), r.PathValue("userId"), in.Permissions)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, userOf(u))
}

// setUserRole serves PUT /users/{userId}/role.
func (h *handler) setUserRole(c *call, r *http.Request) error {
	var in roleRequest
	if err := decode(r, &in, shapeOf(reflect.TypeFor[roleRequest]())); err != nil {
		return err
	}
	if in.Role == "" {
		return core.InvalidField("role", "is required")
	}
	u, err := h.p.SetUserRole(r.Context(), r.PathValue("userId"), identity.Role(in.Role))
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, userOf(u))
}

// roleBody is the wire form of a role.
type roleBody struct {
	Name        string   `json:"name"`
	Scope       string   `json:"scope"`
	Permissions []string `json:"permissions"`
	Custom      bool     `json:"custom"`
	TenantID    string   `json:"tenantId,omitempty"`
	Description string   `json:"description,omitempty"`
}

func roleOf(ro atomix.Role) roleBody {
	perms := ro.Permissions
	if perms == nil {
		perms = []string{}
	}
	return roleBody{Name: string(ro.Name), Scope: string(ro.Scope), Permissions: perms,
		Custom: ro.Custom, TenantID: ro.TenantID, Description: ro.Description}
}

// listRoles serves GET /roles?tenantId: the built-in roles and their
// default permissions, then the tenant's custom roles (a tenant user's
// own tenant by default).
func (h *handler) listRoles(c *call, r *http.Request) error {
	q := r.URL.Query()
	if f := queryParams(q, "tenantId"); len(f) > 0 {
		return sortedErr(f)
	}
	roles, err := h.p.Roles(r.Context(), q.Get("tenantId"))
	if err != nil {
		return err
	}
	out := struct {
		Data []roleBody `json:"data"`
	}{Data: make([]roleBody, 0, len(roles))}
	for _, ro := range roles {
		out.Data = append(out.Data, roleOf(ro))
	}
	return h.writeBody(c, http.StatusOK, out)
}

// createRoleRequest is the body of POST /roles.
type createRoleRequest struct {
	// TenantID is the tenant of the role; a tenant user's own by default.
	TenantID    string   `json:"tenantId"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
}

// createRole serves POST /roles: a custom role of a tenant, 201.
func (h *handler) createRole(c *call, r *http.Request) error {
	var in createRoleRequest
	if err := decode(r, &in, shapeOf(reflect.TypeFor[createRoleRequest]())); err != nil {
		return err
	}
	tenantID := in.TenantID
	if p := principal(r.Context()); tenantID == "" && p.Scope.Kind == identity.ScopeTenant {
		tenantID = p.Scope.ID
	}
	if tenantID == "" {
		return core.InvalidField("tenantId", "is required: the tenant whose role this is")
	}
	ro, err := h.p.CreateRole(r.Context(), tenantID, atomix.NewRoleInput{Name: in.Name, Description: in.Description, Permissions: in.Permissions})
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusCreated, roleOf(ro))
}
