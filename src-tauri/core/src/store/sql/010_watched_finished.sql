-- Finding the completed uploads a watch queued, newest first, to keep only the newest of them
-- in the queue (the watch's file index keeps the rest from being queued again).
CREATE INDEX jobs_watched_completed ON jobs(watch_id, id) WHERE state = 'completed' AND watch_id IS NOT NULL;
