-- 0009: per-day activity, kept by triggers as events are written, changed
-- and deleted, so that the leaders' chart (active people and questions per
-- day over eight weeks) reads one row per person, day, platform and channel
-- instead of every event. Distinct people cannot be summed across days or
-- channels, so the rows keep who was active, not just how many: a day's
-- active people is the number of distinct non-empty user_id among its rows.
-- user_id '' holds the questions of people who opted out of analytics.
-- The table is always the aggregate of the events table: forgetting a
-- person, anonymising them and retention (which deletes raw events) update
-- it through the same triggers. The triggers are per statement, over the
-- rows the statement changed, so a bulk load or a retention run updates
-- each row of the table once.
CREATE TABLE activity_days (
    day       date NOT NULL, -- UTC
    platform  text NOT NULL,
    channel   text NOT NULL,
    user_id   text NOT NULL,
    questions bigint NOT NULL,
    events    bigint NOT NULL,
    PRIMARY KEY (day, platform, channel, user_id)
);

INSERT INTO activity_days (day, platform, channel, user_id, questions, events)
SELECT (time AT TIME ZONE 'UTC')::date, platform, channel, user_id, count(*) FILTER (WHERE kind = 'question'), count(*)
FROM events GROUP BY 1, 2, 3, 4;

CREATE FUNCTION activity_days_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO activity_days AS a (day, platform, channel, user_id, questions, events)
    SELECT (time AT TIME ZONE 'UTC')::date, platform, channel, user_id, count(*) FILTER (WHERE kind = 'question'), count(*)
    FROM added GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (day, platform, channel, user_id) DO UPDATE
    SET questions = a.questions + excluded.questions, events = a.events + excluded.events;
    RETURN NULL;
END $$;

CREATE FUNCTION activity_days_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH gone AS (
        SELECT (time AT TIME ZONE 'UTC')::date AS day, platform, channel, user_id,
               count(*) FILTER (WHERE kind = 'question') AS questions, count(*) AS events
        FROM removed GROUP BY 1, 2, 3, 4
    )
    UPDATE activity_days a SET questions = a.questions - g.questions, events = a.events - g.events
    FROM gone g
    WHERE a.day = g.day AND a.platform = g.platform AND a.channel = g.channel AND a.user_id = g.user_id;
    DELETE FROM activity_days a USING (SELECT DISTINCT (time AT TIME ZONE 'UTC')::date AS day, platform, channel, user_id FROM removed) g
    WHERE a.day = g.day AND a.platform = g.platform AND a.channel = g.channel AND a.user_id = g.user_id AND a.events <= 0;
    RETURN NULL;
END $$;

CREATE FUNCTION activity_days_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH gone AS (
        SELECT (time AT TIME ZONE 'UTC')::date AS day, platform, channel, user_id,
               count(*) FILTER (WHERE kind = 'question') AS questions, count(*) AS events
        FROM removed GROUP BY 1, 2, 3, 4
    )
    UPDATE activity_days a SET questions = a.questions - g.questions, events = a.events - g.events
    FROM gone g
    WHERE a.day = g.day AND a.platform = g.platform AND a.channel = g.channel AND a.user_id = g.user_id;
    DELETE FROM activity_days a USING (SELECT DISTINCT (time AT TIME ZONE 'UTC')::date AS day, platform, channel, user_id FROM removed) g
    WHERE a.day = g.day AND a.platform = g.platform AND a.channel = g.channel AND a.user_id = g.user_id AND a.events <= 0;
    INSERT INTO activity_days AS a (day, platform, channel, user_id, questions, events)
    SELECT (time AT TIME ZONE 'UTC')::date, platform, channel, user_id, count(*) FILTER (WHERE kind = 'question'), count(*)
    FROM added GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (day, platform, channel, user_id) DO UPDATE
    SET questions = a.questions + excluded.questions, events = a.events + excluded.events;
    RETURN NULL;
END $$;

CREATE TRIGGER events_activity_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION activity_days_add();
CREATE TRIGGER events_activity_delete AFTER DELETE ON events
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION activity_days_remove();
CREATE TRIGGER events_activity_update AFTER UPDATE ON events
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION activity_days_change();
