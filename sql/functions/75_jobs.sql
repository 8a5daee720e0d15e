-- The scheduled jobs: their runs (admin/job.c records each one around the
-- job's work), the listing `certhall-admin jobs` shows, and the three
-- sweeps that delete what is over and kept no longer.
--
-- A sweep deletes at most p_limit rows of each table per call, rows
-- another sweep holds skipped (SKIP LOCKED), and returns how many it
-- deleted: the command calls it again, each call its own transaction,
-- until it deletes nothing, so that no sweep holds many locks long, and two
-- at once share the work.  The batch is a MATERIALIZED CTE: as a subquery
-- of "id IN (...)" the planner may scan it again for each row of a nested
-- loop, and each scan takes another p_limit rows.  Each is idempotent:
-- what is kept is decided by the row and p_now alone.

-- A run begins: its row, status running.
CREATE OR REPLACE FUNCTION admin.job_start(p_job text, p_host text, p_pid integer)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM FROM jobs WHERE name = p_job;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'job_not_found', '没有这个任务', 'job');
    END IF;
    INSERT INTO job_runs (job, host, pid)
    VALUES (p_job, coalesce(nullif(btrim(p_host), ''), 'unknown'), coalesce(p_pid, 0))
    RETURNING id INTO v_id;
    RETURN v_id;
END
$$;

COMMENT ON FUNCTION admin.job_start(text, text, integer) IS
    'a run of a job begins (status running): its job_runs id; CH404 job_not_found';

-- A run ends; the job keeps its last 1000 runs.
CREATE OR REPLACE FUNCTION admin.job_finish(p_run bigint, p_status text, p_done integer,
                                            p_failed integer, p_message text)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_job    text;
    v_oldest bigint;
BEGIN
    IF p_status IS NULL OR p_status NOT IN ('ok', 'failed', 'error') THEN
        PERFORM raise_api_error('CH422', 'invalid_status', '任务状态不正确', 'status');
    END IF;
    UPDATE job_runs
    SET finished_at = now(), status = p_status,
        done = greatest(p_done, 0), failed = greatest(p_failed, 0),
        message = left(nullif(btrim(p_message), ''), 500)
    WHERE id = p_run AND status = 'running'
    RETURNING job INTO v_job;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'run_not_found', '没有这次运行，或它已结束', 'run');
    END IF;

    SELECT id INTO v_oldest FROM job_runs
    WHERE job = v_job ORDER BY id DESC OFFSET 999 LIMIT 1;
    IF FOUND THEN
        DELETE FROM job_runs WHERE job = v_job AND id < v_oldest;
    END IF;
END
$$;

COMMENT ON FUNCTION admin.job_finish(bigint, text, integer, integer, text) IS
    'a run ends: ok, failed (some items) or error (could not run), with its counts and a line; trims the job''s history to its last 1000 runs; CH404 run_not_found, CH422 invalid_status';

-- `certhall-admin jobs` and /admin/jobs: every job and its last run.
-- running counts the runs not finished that began within a day: a run
-- killed midway stays running, and is not worth showing for ever.
CREATE OR REPLACE FUNCTION admin.jobs()
RETURNS TABLE (name text, title text, schedule text, description text,
               last_started_at timestamptz, last_finished_at timestamptz,
               last_status text, last_done integer, last_failed integer,
               last_message text, last_host text, running integer)
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
    SELECT j.name, j.title, j.schedule, j.description,
           r.started_at, r.finished_at, r.status, r.done, r.failed, r.message, r.host,
           (SELECT count(*)::integer FROM job_runs x
            WHERE x.job = j.name AND x.status = 'running'
              AND x.started_at > now() - interval '1 day')
    FROM jobs j
    LEFT JOIN LATERAL (SELECT * FROM job_runs x WHERE x.job = j.name
                       ORDER BY x.id DESC LIMIT 1) r ON true
    ORDER BY j.sort_order, j.name
$$;

COMMENT ON FUNCTION admin.jobs() IS
    'every job with its last run (started, finished, status, counts, message, host) and how many runs are under way';

-- The sweeps ----------------------------------------------------------------

-- Applicant and staff sessions over (ended, or idle or past their lifetime
-- under auth_policy) more than auth_policy.session_retention ago.  No row
-- refers to a session.
CREATE OR REPLACE FUNCTION admin.sweep_sessions(p_now timestamptz DEFAULT now(),
                                                p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    pol    auth_policy := auth_policy();
    v_upto timestamptz := p_now - pol.session_retention;
    v_n    integer;
    v_m    integer;
BEGIN
    WITH batch AS MATERIALIZED (
        SELECT s.id FROM sessions s
        WHERE coalesce(s.ended_at, least(s.last_seen_at + pol.session_idle,
                                         s.created_at + pol.session_lifetime)) < v_upto
        LIMIT greatest(p_limit, 0)
        FOR UPDATE SKIP LOCKED)
    DELETE FROM sessions x USING batch WHERE x.id = batch.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;

    WITH batch AS MATERIALIZED (
        SELECT s.id FROM staff_sessions s
        WHERE coalesce(s.ended_at, least(s.last_seen_at + pol.session_idle,
                                         s.created_at + pol.session_lifetime)) < v_upto
        LIMIT greatest(p_limit, 0)
        FOR UPDATE SKIP LOCKED)
    DELETE FROM staff_sessions x USING batch WHERE x.id = batch.id;
    GET DIAGNOSTICS v_m = ROW_COUNT;

    RETURN v_n + v_m;
END
$$;

COMMENT ON FUNCTION admin.sweep_sessions(timestamptz, integer) IS
    'sweep-sessions: deletes up to p_limit applicant and p_limit staff sessions over more than auth_policy.session_retention before p_now; how many';

-- SMS codes expired more than a day ago, and the texts never sent whose
-- code expired then (sms-send gave them up, or never got to them).  The
-- texts sent stay: they hold no code (content is NULL once sent).
CREATE OR REPLACE FUNCTION admin.sweep_sms_codes(p_now timestamptz DEFAULT now(),
                                                 p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_upto timestamptz := p_now - interval '1 day';
    v_n    integer;
    v_m    integer;
BEGIN
    WITH batch AS MATERIALIZED (
        SELECT c.id FROM sms_codes c
        WHERE c.expires_at < v_upto
        LIMIT greatest(p_limit, 0)
        FOR UPDATE SKIP LOCKED)
    DELETE FROM sms_codes x USING batch WHERE x.id = batch.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;

    WITH batch AS MATERIALIZED (
        SELECT o.id FROM sms_outbox o
        WHERE o.status <> 'sent' AND o.send_before < v_upto
        LIMIT greatest(p_limit, 0)
        FOR UPDATE SKIP LOCKED)
    DELETE FROM sms_outbox x USING batch WHERE x.id = batch.id;
    GET DIAGNOSTICS v_m = ROW_COUNT;

    RETURN v_n + v_m;
END
$$;

COMMENT ON FUNCTION admin.sweep_sms_codes(timestamptz, integer) IS
    'sweep-sms-codes: deletes up to p_limit SMS codes expired more than a day before p_now, and as many unsent texts as old; how many';

-- What the rate limits count, once it counts for nothing:
--   sms_requests      counted over an hour (and sms_resend_interval):
--                     older than that and an hour more
--   login_failures,   a streak of wrong passwords: unlocked (or its lock
--   staff_login_failures  ran out) and no failure for a day
--   realname_nonces   the module refuses callbacks older than 5 minutes:
--                     after an hour a nonce cannot come back
CREATE OR REPLACE FUNCTION admin.sweep_rate_limits(p_now timestamptz DEFAULT now(),
                                                   p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    pol    auth_policy := auth_policy();
    v_all  integer := 0;
    v_n    integer;
BEGIN
    WITH batch AS MATERIALIZED (
        SELECT r.id FROM sms_requests r
        WHERE r.created_at < p_now - greatest(interval '1 hour', pol.sms_resend_interval)
                                   - interval '1 hour'
        LIMIT greatest(p_limit, 0)
        FOR UPDATE SKIP LOCKED)
    DELETE FROM sms_requests x USING batch WHERE x.id = batch.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_all := v_all + v_n;

    WITH batch AS MATERIALIZED (
        SELECT f.phone FROM login_failures f
        WHERE (f.locked_until IS NULL OR f.locked_until < p_now)
          AND f.last_failure_at < p_now - greatest(interval '1 day', pol.login_lock)
        LIMIT greatest(p_limit, 0)
        FOR UPDATE SKIP LOCKED)
    DELETE FROM login_failures x USING batch WHERE x.phone = batch.phone;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_all := v_all + v_n;

    WITH batch AS MATERIALIZED (
        SELECT f.login FROM staff_login_failures f
        WHERE (f.locked_until IS NULL OR f.locked_until < p_now)
          AND f.last_failure_at < p_now - greatest(interval '1 day', pol.login_lock)
        LIMIT greatest(p_limit, 0)
        FOR UPDATE SKIP LOCKED)
    DELETE FROM staff_login_failures x USING batch WHERE x.login = batch.login;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_all := v_all + v_n;

    WITH batch AS MATERIALIZED (
        SELECT x.nonce FROM realname_nonces x
        WHERE x.received_at < p_now - interval '1 hour'
        LIMIT greatest(p_limit, 0)
        FOR UPDATE SKIP LOCKED)
    DELETE FROM realname_nonces x USING batch WHERE x.nonce = batch.nonce;
    GET DIAGNOSTICS v_n = ROW_COUNT;

    RETURN v_all + v_n;
END
$$;

COMMENT ON FUNCTION admin.sweep_rate_limits(timestamptz, integer) IS
    'sweep-rate-limits: deletes up to p_limit rows of each of sms_requests, login_failures, staff_login_failures, realname_nonces that no limit counts any more at p_now; how many';
