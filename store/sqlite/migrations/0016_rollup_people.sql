-- 0016: the distinct people of each day retention folds. event_rollups
-- counts people per platform and channel, which cannot be added up: a
-- person active in five channels is in five of its rows. Retention now
-- also keeps, for every day it folds, the distinct people of the whole day,
-- of each platform, of each channel and of each platform and channel
-- (by_platform and by_channel say which; the other column is then ''), and
-- daily activity reads a rolled-up day's people from here.
--
-- Retention folds whole UTC days, so a day is folded once. Events recorded
-- for a day after it was folded (an import, a late delivery) are folded
-- into the same row later: the row keeps the larger count, since who was
-- in both folds is no longer known and their sum could count a person
-- twice.
--
-- Days folded before this table existed have no row: their per-channel
-- counts overstate the day's people (and were summed when a day was folded
-- twice), so they count no one, and charts withhold them.
CREATE TABLE rollup_people (
    day         INTEGER NOT NULL, -- unix milliseconds of UTC midnight
    by_platform INTEGER NOT NULL CHECK (by_platform IN (0, 1)),
    by_channel  INTEGER NOT NULL CHECK (by_channel IN (0, 1)),
    platform    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    users       INTEGER NOT NULL,
    PRIMARY KEY (day, by_platform, by_channel, platform, channel)
) STRICT, WITHOUT ROWID;
