package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
)

// The atom marketplace's endpoints. Their bodies are encoded with
// encoding/json: they are not on the hot path, and the wire structs below
// are the contract, validated against openapi.json by the tests.

// installAtomRequest is the body of POST /tenants/{tenantId}/atoms (seed
// 000).
type installAtomRequest struct {
	AtomID  string          `json:"atomId"`
	Version string          `json:"version"`
	Config  json.RawMessage `json:"config"`
}

// updateAtomRequest is the body of PATCH /tenants/{tenantId}/atoms/{atomId}.
type updateAtomRequest struct {
	Version     string          `json:"version"`
	Config      json.RawMessage `json:"config"`
	KeepOrphans bool            `json:"keepOrphans"`
}

// atomDetail is the answer of GET /atoms/{atomId}: the newest version and
// every version, newest first.
type atomDetail struct {
	atom.Atom
	Versions []atom.Atom `json:"versions"`
}

// installationBody is the wire form of an installation.
type installationBody struct {
	InstallationID string          `json:"installationId"`
	AtomID         string          `json:"atomId"`
	Version        string          `json:"version"`
	Mode           atom.Mode       `json:"mode"`
	Status         string          `json:"status"`
	Config         json.RawMessage `json:"config"`
	InstalledAt    time.Time       `json:"installedAt"`
	UpdatedAt      time.Time       `json:"updatedAt"`
}

func toInstallationBody(in atom.Installation) installationBody {
	return installationBody{InstallationID: in.ID, AtomID: in.AtomID, Version: in.Version, Mode: in.Mode,
		Status: string(in.Status), Config: in.Config, InstalledAt: in.InstalledAt.UTC(), UpdatedAt: in.UpdatedAt.UTC()}
}

// installationRef names an installation in a change: seed 000's
// installedDependencies items, with the installation's ID and mode.
type installationRef struct {
	InstallationID string    `json:"installationId"`
	AtomID         string    `json:"atomId"`
	Version        string    `json:"version"`
	FromVersion    string    `json:"fromVersion,omitempty"`
	Mode           atom.Mode `json:"mode"`
}

func refs(insts []atom.Installation) []installationRef {
	out := make([]installationRef, len(insts))
	for i, in := range insts {
		out[i] = installationRef{InstallationID: in.ID, AtomID: in.AtomID, Version: in.Version, Mode: in.Mode}
	}
	return out
}

type slotsBody struct {
	Before int `json:"before"`
	After  int `json:"after"`
}

// atomChangeBody answers POST /tenants/{tenantId}/atoms and PATCH
// /tenants/{tenantId}/atoms/{atomId}: seed 000's install answer, with what
// else the change did.
type atomChangeBody struct {
	installationBody
	PreviousVersion       string            `json:"previousVersion,omitempty"`
	InstalledDependencies []installationRef `json:"installedDependencies"`
	UpgradedDependencies  []installationRef `json:"upgradedDependencies"`
	RemovedDependencies   []installationRef `json:"removedDependencies"`
	KeptDependencies      []installationRef `json:"keptDependencies"`
	Summary               string            `json:"summary"`
	Notes                 []string          `json:"notes"`
	Slots                 slotsBody         `json:"slots"`
}

func toChangeBody(ch *atomix.AtomChange) atomChangeBody {
	b := atomChangeBody{
		installationBody:      toInstallationBody(ch.Installation),
		PreviousVersion:       ch.PreviousVersion,
		InstalledDependencies: refs(ch.InstalledDependencies),
		UpgradedDependencies:  make([]installationRef, len(ch.Upgraded)),
		RemovedDependencies:   refs(ch.RemovedDependencies),
		KeptDependencies:      refs(ch.KeptDependencies),
		Summary:               ch.Summary,
		Notes:                 ch.Notes,
		Slots:                 slotsBody{Before: ch.SlotsBefore, After: ch.SlotsAfter},
	}
	for i, u := range ch.Upgraded {
		b.UpgradedDependencies[i] = installationRef{InstallationID: u.Installation.ID, AtomID: u.Installation.AtomID,
			Version: u.Installation.Version, FromVersion: u.FromVersion, Mode: u.Installation.Mode}
	}
	if b.Notes == nil {
		b.Notes = []string{}
	}
	return b
}

// atomRemovalBody answers DELETE /tenants/{tenantId}/atoms/{atomId}.
type atomRemovalBody struct {
	Removed             []installationRef `json:"removed"`
	RemovedDependencies []installationRef `json:"removedDependencies"`
	KeptDependencies    []installationRef `json:"keptDependencies"`
	Summary             string            `json:"summary"`
	Slots               slotsBody         `json:"slots"`
}

// listBody is the wire form of a list: {"data": [...], "pagination": {...}}.
type listBody[T any] struct {
	Data       []T            `json:"data"`
	Pagination paginationBody `json:"pagination"`
}

type paginationBody struct {
	Page       int `json:"page"`
	Limit      int `json:"limit"`
	Total      int `json:"total"`
	TotalPages int `json:"totalPages"`
}

// pageOf cuts one page out of all.
func pageOf[T any](all []T, req core.PageRequest) listBody[T] {
	from := min(req.Offset(), len(all))
	to := min(from+req.Limit, len(all))
	pg := core.NewPage(req, all[from:to], len(all))
	return listBody[T]{Data: pg.Items, Pagination: paginationBody{Page: pg.Page, Limit: pg.Limit, Total: pg.Total, TotalPages: pg.TotalPages}}
}

// writeBody writes v as a JSON response, without HTML escaping, so that
// configs and schemas keep their text.
func (h *handler) writeBody(c *call, status int, v any) error {
	b, err := marshalNoEscape(v)
	if err != nil {
		return core.Wrap(err, "encode the response")
	}
	writeJSON(c, status, b)
	return nil
}

// queryParams checks that q holds only the known parameters, each at most
// once, and returns the field errors.
func queryParams(q url.Values, known ...string) core.Fields {
	var f core.Fields
	for k, vs := range q {
		switch {
		case !slices.Contains(known, k):
			f.Add(k, "is not a query parameter of this operation")
		case len(vs) > 1:
			f.Add(k, "must be given at most once")
		}
	}
	return f
}

// boolParam reads an optional true/false query parameter.
func boolParam(q url.Values, name string, f *core.Fields) bool {
	switch q.Get(name) {
	case "", "false":
		return false
	case "true":
		return true
	}
	f.Add(name, "must be true or false")
	return false
}

// sortedErr returns the fields as one Invalid error, sorted by field.
func sortedErr(f core.Fields) error {
	slices.SortStableFunc(f, func(a, b core.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return f.Err()
}

// pageParams reads page and limit into f's errors.
func pageParams(q url.Values, f *core.Fields) core.PageRequest {
	page, err := core.ParsePageRequest(q.Get("page"), q.Get("limit"))
	var ce *core.Error
	if errors.As(err, &ce) {
		*f = append(*f, ce.Fields...)
	}
	return page
}

// listAtoms serves GET /atoms?category&q&page&limit: the newest version of
// each catalog atom, ordered by id.
func (h *handler) listAtoms(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "category", "q", "page", "limit")
	page := pageParams(q, &f)
	if len(q.Get("q")) > 200 {
		f.Add("q", "must be at most 200 characters")
	}
	if len(f) > 0 {
		return sortedErr(f)
	}
	cat, err := h.p.Catalog(r.Context())
	if err != nil {
		return err
	}
	atoms := cat.List(atom.Filter{Category: q.Get("category"), Query: q.Get("q")})
	if atoms == nil {
		atoms = []atom.Atom{}
	}
	return h.writeBody(c, http.StatusOK, pageOf(atoms, page))
}

// getAtom serves GET /atoms/{atomId}.
func (h *handler) getAtom(c *call, r *http.Request) error {
	if len(r.URL.Query()) > 0 {
		return sortedErr(queryParams(r.URL.Query()))
	}
	cat, err := h.p.Catalog(r.Context())
	if err != nil {
		return err
	}
	id := r.PathValue("atomId")
	latest, err := cat.Latest(id)
	if err != nil {
		return err
	}
	versions, err := cat.Versions(id)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, atomDetail{Atom: latest, Versions: versions})
}

// listTenantAtoms serves GET /tenants/{tenantId}/atoms?page&limit.
func (h *handler) listTenantAtoms(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "page", "limit")
	page := pageParams(q, &f)
	if len(f) > 0 {
		return sortedErr(f)
	}
	insts, err := h.p.ListTenantAtoms(r.Context(), r.PathValue("tenantId"))
	if err != nil {
		return err
	}
	bodies := make([]installationBody, len(insts))
	for i, in := range insts {
		bodies[i] = toInstallationBody(in)
	}
	return h.writeBody(c, http.StatusOK, pageOf(bodies, page))
}

// nullConfig treats a JSON null config as no config.
func nullConfig(cfg json.RawMessage) json.RawMessage {
	if string(bytes.TrimSpace(cfg)) == "null" {
		return nil
	}
	return cfg
}

// installAtom serves POST /tenants/{tenantId}/atoms: 201 when the
// installation is created, 200 when it was there (installed explicitly, or
// promoted from a dependency).
func (h *handler) installAtom(c *call, r *http.Request) error {
	var in installAtomRequest
	if err := decode(r, &in, h.shapes.installAtom); err != nil {
		return err
	}
	ch, err := h.p.InstallAtom(r.Context(), r.PathValue("tenantId"), atomix.InstallAtomInput{
		AtomID: in.AtomID, Version: in.Version, Config: nullConfig(in.Config),
	})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if ch.Created {
		status = http.StatusCreated
	}
	return h.writeBody(c, status, toChangeBody(&ch))
}

// updateTenantAtom serves PATCH /tenants/{tenantId}/atoms/{atomId}.
func (h *handler) updateTenantAtom(c *call, r *http.Request) error {
	var in updateAtomRequest
	if err := decode(r, &in, h.shapes.updateAtom); err != nil {
		return err
	}
	ch, err := h.p.UpdateAtom(r.Context(), r.PathValue("tenantId"), r.PathValue("atomId"), atomix.AtomUpdate{
		Version: in.Version, Config: nullConfig(in.Config), KeepOrphans: in.KeepOrphans,
	})
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toChangeBody(&ch))
}

// uninstallAtom serves DELETE /tenants/{tenantId}/atoms/{atomId}?cascade&keepOrphans.
func (h *handler) uninstallAtom(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "cascade", "keepOrphans")
	opt := atomix.AtomUninstall{Cascade: boolParam(q, "cascade", &f), KeepOrphans: boolParam(q, "keepOrphans", &f)}
	if len(f) > 0 {
		return sortedErr(f)
	}
	rm, err := h.p.UninstallAtom(r.Context(), r.PathValue("tenantId"), r.PathValue("atomId"), opt)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, atomRemovalBody{
		Removed:             refs(rm.Removed),
		RemovedDependencies: refs(rm.RemovedDependencies),
		KeptDependencies:    refs(rm.KeptDependencies),
		Summary:             rm.Summary,
		Slots:               slotsBody{Before: rm.SlotsBefore, After: rm.SlotsAfter},
	})
}

// problemLimit is the "limit" extension member of a plan_limit_exceeded
// problem.
type problemLimit struct {
	Resource string `json:"resource"`
	Needed   int    `json:"needed"`
	Allowed  int    `json:"allowed"`
	Used     int    `json:"used"`
}

// atomProblem fills the extension members of the atom marketplace's
// problems from the error's cause: the dependents of atom_has_dependents
// and the numbers of plan_limit_exceeded.
func atomProblem(pb *problem, e *core.Error) {
	var de *atom.DependentsError
	if e.Code == core.AtomHasDependents && errors.As(e.Err, &de) {
		pb.Dependents = de.Dependents
	}
	var se *atom.SlotsError
	if e.Code == core.PlanLimitExceeded && errors.As(e.Err, &se) {
		pb.Limit = &problemLimit{Resource: "atomSlots", Needed: se.Needed, Allowed: se.Allowed, Used: se.Used}
	}
}

// createdTenantBody appends the installations of a created tenant to its
// wire form, as the "installations" member.
func createdTenantBody(tenantJSON []byte, insts []atom.Installation) ([]byte, error) {
	bodies := make([]installationBody, len(insts))
	for i, in := range insts {
		bodies[i] = toInstallationBody(in)
	}
	b, err := marshalNoEscape(bodies)
	if err != nil {
		return nil, core.Wrap(err, "encode the installations")
	}
	out := append(tenantJSON[:len(tenantJSON)-1:len(tenantJSON)-1], `,"installations":`...)
	out = append(out, b...)
	return append(out, '}'), nil
}

// writeCreatedTenant answers POST /tenants: the tenant, with the
// installations of its initial atoms.
func (h *handler) writeCreatedTenant(c *call, out *atomix.CreatedTenant) error {
	bp := h.getBuf()
	defer h.putBuf(bp)
	b, err := appendTenant((*bp)[:0], &out.Tenant)
	*bp = b
	if err != nil {
		return err
	}
	body, err := createdTenantBody(b, out.Installations)
	if err != nil {
		return err
	}
	body = appendAdmin(c, body, out) // auth_endpoints.go
	writeJSON(c, http.StatusCreated, body)
	return nil
}

// marshalNoEscape is json.Marshal without HTML escaping, as the
// hand-written encoders write strings.
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
