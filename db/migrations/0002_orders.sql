-- Orders: one ticket per fan, a hold that expires, a payment that may arrive late.
CREATE TABLE orders (
    id                 uuid        PRIMARY KEY,
    -- Trimmed and lower-cased, so ' A@x.com' and 'a@x.com' are one fan.
    email              text        NOT NULL,
    category_id        integer     NOT NULL REFERENCES categories (id),
    seat_id            integer     REFERENCES seats (id),
    total              bigint      NOT NULL,
    status             text        NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'paid', 'expired', 'cancelled', 'refund_required')),
    va_number          text,
    bank               text,
    idempotency_key    text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL,
    paid_at            timestamptz,
    ended_at           timestamptz,
    cancel_reason      text,
    gateway_transaction_id text,
    refund_status      text,
    refunded_at        timestamptz,
    -- An active order always has its seat; an ended one keeps the seat it had, for the record (seats.order_id
    -- says who holds a seat now).
    CHECK (status NOT IN ('pending', 'paid') OR seat_id IS NOT NULL)
);

-- At most one active order per fan, enforced by the database itself.
CREATE UNIQUE INDEX orders_one_active_per_email ON orders (email) WHERE status IN ('pending', 'paid');
-- A seat belongs to at most one active order.
CREATE UNIQUE INDEX orders_one_active_per_seat ON orders (seat_id) WHERE status IN ('pending', 'paid');
-- A retried POST with the same Idempotency-Key finds its order.
CREATE UNIQUE INDEX orders_idempotency_key ON orders (idempotency_key) WHERE idempotency_key IS NOT NULL;
-- The expiry worker reads the pending orders that are due, oldest first.
CREATE INDEX orders_pending_by_deadline ON orders (expires_at) WHERE status = 'pending';

-- Transactions the gateway must be told to expire, kept until it has been told (best effort, retried).
CREATE TABLE gateway_voids (
    order_id         uuid        PRIMARY KEY REFERENCES orders (id),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text
);
CREATE INDEX gateway_voids_due ON gateway_voids (next_attempt_at);

-- Refund work: paid money without a seat to give.
CREATE INDEX orders_refund_required ON orders (created_at) WHERE status = 'refund_required';
