-- When the oracle signed each decision into a transaction, by its own clock: updated_at moves again when the receipt
-- settles the decision, so without this column "tick to signed" could only be read by polling for the SENT status.
-- Set once (a requeued or reorged decision keeps its first stamp); NULL until signed, and for rows written before it.
ALTER TABLE aml_audit_decision ADD COLUMN signed_at timestamptz NULL;
