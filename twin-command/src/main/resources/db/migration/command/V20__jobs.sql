-- Bulk twin update jobs: the write side's read model of each job (GET /jobs/{id}) and the runner's work list.
-- Lifecycle columns are written by the job events' handler in the transaction that appends them; the counters,
-- the resume point and the claim are written by the runner as it goes.
CREATE TABLE job (
    job_id                 VARCHAR(128) PRIMARY KEY,
    type                   VARCHAR(64)  NOT NULL,
    query_condition        TEXT         NOT NULL,
    update_twin            JSONB        NOT NULL,
    created_time           TIMESTAMPTZ  NOT NULL,
    start_time             TIMESTAMPTZ  NOT NULL,
    max_execution_seconds  INTEGER      NOT NULL,
    end_time               TIMESTAMPTZ,
    -- scheduled, running, completed, failed or cancelled (queued is a scheduled job whose start time has come)
    status                 VARCHAR(16)  NOT NULL,
    failure_reason         TEXT,
    status_message         TEXT,
    -- the X-Change-Reason the job was created with; carried into every twin change it makes
    reason                 TEXT,
    device_count           INTEGER      NOT NULL DEFAULT 0,
    succeeded_count        INTEGER      NOT NULL DEFAULT 0,
    failed_count           INTEGER      NOT NULL DEFAULT 0,
    -- where the last fully processed page of twins ended, and the counts at that point: a restart resumes there
    resume_token           TEXT,
    resume_succeeded       INTEGER      NOT NULL DEFAULT 0,
    resume_failed          INTEGER      NOT NULL DEFAULT 0,
    -- which runner works on the job, and until when its claim holds unless renewed
    claimed_by             VARCHAR(64),
    claimed_until          TIMESTAMPTZ
);
CREATE INDEX job_due ON job (start_time) WHERE status IN ('scheduled', 'running');
CREATE INDEX job_recent ON job (created_time DESC);
