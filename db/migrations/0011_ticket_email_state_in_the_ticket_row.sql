-- The ticket e-mail's outbox state moves into the ticket's own row. The pay statement wrote two rows per paid order
-- (the ticket, then its outbox row), each with its own primary key: on the seed's scenario at 1000 VUs that was
-- 6 WAL records and 0.05 ms of PostgreSQL time more per paid order than before tickets (docs/benchmarks.md).
-- Now it writes one row; the defaults make it due for its e-mail at once. The e-mail is still part of the
-- payment's transaction, so it is never lost (docs/tickets.md).
ALTER TABLE tickets
    ADD COLUMN email_attempts        integer     NOT NULL DEFAULT 0,
    -- 'infinity' once parked (Email:MaxAttempts) or when the ticket was revoked before its e-mail went out.
    ADD COLUMN email_next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN email_sent_at         timestamptz,
    ADD COLUMN email_last_error      text;

UPDATE tickets t
SET email_attempts = e.attempts, email_next_attempt_at = e.next_attempt_at, email_sent_at = e.sent_at,
    email_last_error = e.last_error
FROM ticket_emails e WHERE e.ticket_id = t.id;

DROP TABLE ticket_emails;

-- The worker's queue: unsent e-mails by when they are due. The predicate names the key, as 0004 explains, so that a
-- statement that only says "unsent" (releasing leased rows by id) cannot read this whole index instead of the key.
CREATE INDEX tickets_email_due ON tickets (email_next_attempt_at)
    WHERE email_sent_at IS NULL AND email_next_attempt_at IS NOT NULL;
