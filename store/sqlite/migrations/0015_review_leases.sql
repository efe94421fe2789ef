-- Review leases: a review notice is first claimed for a short lease
-- (state 'pending', until lease_until, unix milliseconds) and becomes
-- 'sent', quiet for the week, only once its reminder was delivered; a
-- pending claim whose lease ran out (a replica stopped between claim and
-- send) can be claimed again. Notices recorded before were sent.
ALTER TABLE review_notices ADD COLUMN state TEXT NOT NULL DEFAULT 'sent' CHECK (state IN ('pending', 'sent'));
ALTER TABLE review_notices ADD COLUMN lease_until INTEGER;
