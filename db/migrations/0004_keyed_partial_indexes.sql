-- Measured on the order path (docs/benchmarks.md). These partial indexes are chosen by their predicate, the
-- order's status, and a lookup by id shares that predicate: "WHERE id = $1 AND status IN ('pending', 'paid')"
-- could be answered by reading all of orders_one_active_per_seat and filtering on id. On an empty, analysed orders
-- table (a sale's first second) that whole-index read cost the planner no more than the primary key, PostgreSQL
-- cached it as the statement's generic plan, and as the sale grew every claim and every VA update read every active
-- order: one benchmark run's claims took 9 ms instead of 0.6.
-- Each predicate now also names the index's own key. The rows are the same (the key is never NULL in them), but
-- only a query that constrains the key (email = $1 implies email IS NOT NULL) can prove the predicate and use the
-- index. tests/…/QueryPlanTests checks every statement's generic plan for reads of a whole index.
DROP INDEX orders_one_active_per_email;
CREATE UNIQUE INDEX orders_one_active_per_email ON orders (email)
    WHERE status IN ('pending', 'paid') AND email IS NOT NULL;

DROP INDEX orders_one_active_per_seat;
CREATE UNIQUE INDEX orders_one_active_per_seat ON orders (seat_id)
    WHERE status IN ('pending', 'paid') AND seat_id IS NOT NULL;

DROP INDEX orders_pending_by_deadline;
CREATE INDEX orders_pending_by_deadline ON orders (expires_at)
    WHERE status = 'pending' AND expires_at IS NOT NULL;
