-- Measured on the seed's scenario at 1000 VUs (docs/benchmarks.md, "Before and after the 2026-12-01 features"): these
-- three checks cost the order path a tenth of its throughput, and each guards what one statement already writes
-- whole. The invariant checks (tests' Sale.AssertInvariantsAsync, bench/invariants.sql, the fault suite) prove after
-- every scenario that each active order holds exactly one seat and that every paid order has its ticket.

-- One seat per order: every writer sets seats.order_id and orders.seat_id together, by the seat's id, in one
-- statement (docs/architecture.md); the index added an index entry and its WAL to every claim and every release.
DROP INDEX seats_one_per_order;

-- The pay statements insert the ticket for the seat the order holds, and its e-mail row for that ticket, in the
-- same statement: the keys only re-read (and lock) rows that statement just proved or wrote.
ALTER TABLE tickets DROP CONSTRAINT tickets_seat_id_fkey;
ALTER TABLE ticket_emails DROP CONSTRAINT ticket_emails_ticket_id_fkey;
