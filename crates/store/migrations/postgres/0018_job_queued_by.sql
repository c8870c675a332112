-- Who queued a job (the caller's actor, as JSON: kind, key, name, ip, userAgent), so that the
-- audit records the job writes later name that client or user rather than the job.
ALTER TABLE jobs ADD COLUMN queued_by TEXT;
