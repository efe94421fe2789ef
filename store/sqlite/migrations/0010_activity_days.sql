-- 0008: per-day activity, kept by triggers as events are written, changed
-- and deleted, so that the leaders' chart (active people and questions per
-- day over eight weeks) reads one row per person, day, platform and channel
-- instead of every event. Distinct people cannot be summed across days or
-- channels, so the rows keep who was active, not just how many: a day's
-- active people is the number of distinct non-empty user_id among its rows.
-- user_id '' holds the questions of people who opted out of analytics.
-- The table is always the aggregate of the events table: forgetting a
-- person, anonymising them and retention (which deletes raw events) update
-- it through the same triggers.
CREATE TABLE activity_days (
    day       INTEGER NOT NULL, -- unix milliseconds of UTC midnight
    platform  TEXT NOT NULL,
    channel   TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    questions INTEGER NOT NULL,
    events    INTEGER NOT NULL,
    PRIMARY KEY (day, platform, channel, user_id)
) STRICT, WITHOUT ROWID;

INSERT INTO activity_days (day, platform, channel, user_id, questions, events)
SELECT (time / 86400000) * 86400000, platform, channel, user_id, sum(kind = 'question'), count(*)
FROM events GROUP BY 1, 2, 3, 4;

CREATE TRIGGER events_activity_insert AFTER INSERT ON events BEGIN
    INSERT INTO activity_days (day, platform, channel, user_id, questions, events)
    VALUES ((NEW.time / 86400000) * 86400000, NEW.platform, NEW.channel, NEW.user_id, NEW.kind = 'question', 1)
    ON CONFLICT (day, platform, channel, user_id) DO UPDATE
    SET questions = questions + excluded.questions, events = events + 1;
END;

CREATE TRIGGER events_activity_delete AFTER DELETE ON events BEGIN
    UPDATE activity_days SET questions = questions - (OLD.kind = 'question'), events = events - 1
    WHERE day = (OLD.time / 86400000) * 86400000 AND platform = OLD.platform AND channel = OLD.channel AND user_id = OLD.user_id;
    DELETE FROM activity_days
    WHERE day = (OLD.time / 86400000) * 86400000 AND platform = OLD.platform AND channel = OLD.channel AND user_id = OLD.user_id
      AND events <= 0;
END;

CREATE TRIGGER events_activity_update AFTER UPDATE OF time, kind, platform, channel, user_id ON events BEGIN
    UPDATE activity_days SET questions = questions - (OLD.kind = 'question'), events = events - 1
    WHERE day = (OLD.time / 86400000) * 86400000 AND platform = OLD.platform AND channel = OLD.channel AND user_id = OLD.user_id;
    DELETE FROM activity_days
    WHERE day = (OLD.time / 86400000) * 86400000 AND platform = OLD.platform AND channel = OLD.channel AND user_id = OLD.user_id
      AND events <= 0;
    INSERT INTO activity_days (day, platform, channel, user_id, questions, events)
    VALUES ((NEW.time / 86400000) * 86400000, NEW.platform, NEW.channel, NEW.user_id, NEW.kind = 'question', 1)
    ON CONFLICT (day, platform, channel, user_id) DO UPDATE
    SET questions = questions + excluded.questions, events = events + 1;
END;
