-- Billing: a month's invoices are scanned in key order (tenant, then ID)
-- across tenants (billing.Store.ScanInvoices: the commission run and the
-- reconciliation). An exception to the tenant_id rule, like the index it
-- replaces: invoices_month_idx (month) is a prefix of this one, which
-- serves every lookup by month. Every statement is idempotent.
CREATE INDEX IF NOT EXISTS invoices_month_tenant_idx ON invoices (month, tenant_id, id)
--bun:split
DROP INDEX IF EXISTS invoices_month_idx
