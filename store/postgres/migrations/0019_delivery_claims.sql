-- Delivery claims, as in the SQLite store: the attempt sending a delivery
-- holds it under a lease (claim names the attempt, lease_until ends the
-- lease, unix ms), so that two live attempts never both send it, while a
-- delivery whose attempt died is taken over once the lease has run out. A
-- delivery left being sent before this migration has no lease and can be
-- claimed at once.
ALTER TABLE deliveries
    ADD COLUMN claim text NOT NULL DEFAULT '',
    ADD COLUMN lease_until bigint NOT NULL DEFAULT 0;
