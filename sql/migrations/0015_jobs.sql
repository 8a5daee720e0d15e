-- Schema v1: the scheduled jobs (issue 17).
--
--   jobs       every command a timer or cron runs (conf/systemd, conf/cron.d),
--              with the schedule conf/ ships, for `certhall-admin jobs`
--   job_runs   one row per run: who, when, how it went (admin.job_start /
--              admin.job_finish, called by admin/job.c around each run)
--
-- And how long the sweeps keep what is over: auth_policy.session_retention
-- (ended and expired applicant and staff sessions).
--
-- The functions are in sql/functions/75_jobs.sql.

SET LOCAL timezone = 'Asia/Shanghai';

CREATE TABLE jobs (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]*$'),
    title       text NOT NULL CHECK (btrim(title) <> ''),
    schedule    text NOT NULL CHECK (btrim(schedule) <> ''),
    description text NOT NULL,
    sort_order  integer NOT NULL
);
COMMENT ON TABLE jobs IS 'the scheduled jobs: each is the command certhall-admin <name>, run by a systemd timer or cron';
COMMENT ON COLUMN jobs.description IS 'what the job does, for staff (Chinese)';
COMMENT ON COLUMN jobs.schedule IS 'the schedule conf/cron.d/certhall ships (cron syntax, the machine''s time zone); conf/systemd has the same';

INSERT INTO jobs (name, title, schedule, description, sort_order) VALUES
    ('sms-send', '发送短信', '* * * * *',
     '把排队的短信（验证码）发往短信网关；失败的按计划重试，5 次后放弃', 10),
    ('alipay-sync', '支付宝对账', '* * * * *',
     '向支付宝查询未结的支付（入账已付的、关闭过期的），并发送财务发起的退款', 20),
    ('auto-confirm', '自动确认收货', '17 * * * *',
     '寄出满 auto_confirm_days 天（北京时间日历日）仍未确认收货的订单，由系统确认收货，转为待开票', 30),
    ('sweep-sessions', '清理会话', '43 3 * * *',
     '删除结束或过期超过 session_retention 的申请人与后台会话', 40),
    ('sweep-sms-codes', '清理短信验证码', '23 * * * *',
     '删除过期超过一天的短信验证码，以及未发出的相应短信', 50),
    ('sweep-rate-limits', '清理限流记录', '33 * * * *',
     '删除已不在限流窗口内的验证码请求、登录失败记录和实名回调 nonce', 60);

CREATE TABLE job_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job         text NOT NULL REFERENCES jobs,
    host        text NOT NULL,
    pid         integer NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'ok', 'failed', 'error')),
    done        integer CHECK (done >= 0),
    failed      integer CHECK (failed >= 0),
    message     text,
    CHECK ((status = 'running') = (finished_at IS NULL))
);
COMMENT ON TABLE job_runs IS 'every run of a job (the last 1000 of each): ok ran and nothing failed, failed some items failed, error could not run, running not finished (or died)';
CREATE INDEX job_runs_job_idx ON job_runs (job, id DESC);

ALTER TABLE auth_policy
    ADD COLUMN session_retention interval NOT NULL DEFAULT '30 days'
        CHECK (session_retention >= '0');
COMMENT ON COLUMN auth_policy.session_retention IS
    'sweep-sessions deletes applicant and staff sessions this long after they ended or expired';
