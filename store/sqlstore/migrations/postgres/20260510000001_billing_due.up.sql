-- Billing: overdue invoices are found by status and due date across
-- tenants (the subscriptions job reads open invoices due before now).
-- Another exception to the tenant_id rule, like invoices_month_idx. Every
-- statement is idempotent.
CREATE INDEX IF NOT EXISTS invoices_status_due_idx ON invoices (status, due_at)
