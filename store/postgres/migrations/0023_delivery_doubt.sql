-- Deliveries in doubt, as in the SQLite store: claimed_at is when the
-- attempt holding a delivery claimed it (unix ms), in_doubt when an
-- attempt that may have sent it claimed it (0: none). An attempt that
-- held a delivery until its lease ran out, or released it unsure whether
-- its message went out, leaves it in doubt, and the next attempt does
-- not send it blindly again.
ALTER TABLE deliveries
    ADD COLUMN claimed_at bigint NOT NULL DEFAULT 0,
    ADD COLUMN in_doubt bigint NOT NULL DEFAULT 0;
