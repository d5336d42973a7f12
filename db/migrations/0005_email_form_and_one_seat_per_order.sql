-- The database enforces what the application already does, so no other writer (a script, a later feature) can
-- break it.

-- One active order per email is only case-insensitive because the application stores the normal form (trimmed,
-- lower-cased: Orders/EmailAddress.cs); the unique index is on the stored text. A CHECK keeps every stored email in
-- that form, which costs one comparison per insert, where an index on lower(btrim(email)) would cost every lookup an
-- expression.
ALTER TABLE orders ADD CONSTRAINT orders_email_normal_form CHECK (email = lower(btrim(email)));

-- A seat's holder is recorded twice: seats.order_id (one column, so a seat has at most one holder) and
-- orders.seat_id (orders_one_active_per_seat: at most one active order per seat). This index adds the converse,
-- one seat per order, so a claim that would give an order a second seat fails. Every writer sets both sides in one
-- statement; the invariant checks (tests' Sale.AssertInvariantsAsync, bench/invariants.sql, the fault suite) prove
-- they agree (docs/architecture.md).
CREATE UNIQUE INDEX seats_one_per_order ON seats (order_id) WHERE order_id IS NOT NULL;
