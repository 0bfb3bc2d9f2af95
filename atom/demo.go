package atom

import (
	"bytes"
	_ "embed"
)

//go:embed demo_catalog.json
var demoCatalogJSON []byte

// DemoCatalog returns a new catalog of demo atoms: seed 000's atom_wireframe
// 2.1.0 (needing core_auth), atom_task 1.8.0 and atom_crm 1.5.0 (needing
// atom_notification), atom_notification 1.3.0 and the built-in core_auth,
// with older versions and a few more atoms (atom_sms, atom_campaign,
// atom_analytics, atom_legacy_reports) so that chains, upgrades and
// conflicts can be tried. atom_crm has a config schema (enablePipeline, a
// boolean; defaultCurrency, an ISO 4217 code).
// Errors: none in practice; those of LoadCatalogJSON if the embedded file
// were broken.
func DemoCatalog() (*Catalog, error) {
	return LoadCatalogJSON(bytes.NewReader(demoCatalogJSON))
}
