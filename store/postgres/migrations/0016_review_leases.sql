-- Review leases, as in the SQLite store: a review notice is first claimed
-- for a short lease (state 'pending', until lease_until) and becomes
-- 'sent', quiet for the week, only once its reminder was delivered; a
-- pending claim whose lease ran out (a replica stopped between claim and
-- send) can be claimed again. Notices recorded before were sent.
ALTER TABLE review_notices
    ADD COLUMN state text NOT NULL DEFAULT 'sent' CHECK (state IN ('pending', 'sent')),
    ADD COLUMN lease_until timestamptz;
