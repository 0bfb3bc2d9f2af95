package httpapi

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5/static"
	"github.com/swaggest/swgui/v5emb"

	"github.com/atomixplatform/atomix/core"
)

// swaggerUI serves Swagger UI 5 reading the document at
// {prefix}/swagger.json: the page at {prefix}/swagger and its assets at
// {prefix}/swagger/{file}. The assets are those embedded in the swgui
// module; nothing is fetched from elsewhere.
type swaggerUI struct {
	page http.Handler
	// files names the assets served, without the ".gz" of the embedded
	// compressed ones.
	files map[string]bool
}

// newSwaggerUI returns the Swagger UI of the handler mounted at prefix.
func newSwaggerUI(prefix string) swaggerUI {
	ui := swaggerUI{
		page: v5emb.NewHandlerWithConfig(swgui.Config{
			Title:       "atomix API",
			SwaggerJSON: prefix + "/swagger.json",
			BasePath:    prefix + "/swagger/",
		}),
		files: make(map[string]bool),
	}
	// The embedded directory is flat; an error would leave it empty, and
	// every asset 404, which the package's tests rule out.
	entries, _ := fs.ReadDir(static.FS, ".")
	for _, e := range entries {
		if !e.IsDir() {
			ui.files[strings.TrimSuffix(e.Name(), ".gz")] = true
		}
	}
	return ui
}

// swaggerPage serves GET /swagger: the Swagger UI page.
func (h *handler) swaggerPage(c *call, r *http.Request) error {
	h.swagger.page.ServeHTTP(c, r)
	return nil
}

// swaggerAsset serves GET /swagger/{file}: a script, style sheet or icon
// of the Swagger UI page, compressed when the client accepts gzip, with an
// ETag.
// Errors: core.NotFound for a file Swagger UI does not have.
func (h *handler) swaggerAsset(c *call, r *http.Request) error {
	name := r.PathValue("file")
	if !h.swagger.files[name] {
		return core.Errorf(core.NotFound, "Swagger UI has no file %q", name)
	}
	h.swagger.page.ServeHTTP(c, r)
	return nil
}
