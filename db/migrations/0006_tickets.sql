-- Tickets (issue 14): one per paid order, issued in the statement that marks the order paid; its e-mail's outbox
-- row is written in the same statement. A refund or chargeback revokes the ticket and ends the order as 'refunded'.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('pending', 'paid', 'expired', 'cancelled', 'refund_required', 'refunded'));

CREATE TABLE tickets (
    id               uuid        PRIMARY KEY,
    order_id         uuid        NOT NULL UNIQUE,
    seat_id          integer     NOT NULL REFERENCES seats (id),
    status           text        NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'checked_in', 'revoked')),
    -- The signed code (a compact JWS). ECDSA signatures are randomised, so it is signed once, by its first reader,
    -- and kept: the fan's page, the e-mail and the order all show the same code. NULL until first read.
    code             text,
    issued_at        timestamptz NOT NULL DEFAULT now(),
    checked_in_at    timestamptz,
    checked_in_gate  text,
    revoked_at       timestamptz,
    CHECK (status <> 'checked_in' OR (checked_in_at IS NOT NULL AND checked_in_gate IS NOT NULL)),
    CHECK (status <> 'revoked' OR revoked_at IS NOT NULL)
);

-- The ticket e-mails still to send (an outbox): written with the ticket, leased by the e-mail workers with SKIP
-- LOCKED, kept once sent (sent_at) as the record that it went out. Parked rows wait at next_attempt_at 'infinity'.
CREATE TABLE ticket_emails (
    ticket_id        uuid        PRIMARY KEY REFERENCES tickets (id),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    last_error       text
);
CREATE INDEX ticket_emails_due ON ticket_emails (next_attempt_at) WHERE sent_at IS NULL AND next_attempt_at IS NOT NULL;
