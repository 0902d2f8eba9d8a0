-- A workspace's settings for its confined anonymous clients (those below anonymous_topic_prefix): the rates each of
-- them may publish at (NULL: the platform's default, anchormq.workspaces.anonymous-rate-quota; 0: none of its own),
-- and whether their topics are in the integrity log (by default they are not).

ALTER TABLE workspace ADD COLUMN anonymous_messages_per_second INT;
ALTER TABLE workspace ADD COLUMN anonymous_bytes_per_second BIGINT;
ALTER TABLE workspace ADD COLUMN log_anonymous_topics BOOLEAN DEFAULT FALSE NOT NULL;
