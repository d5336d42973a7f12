-- A ticket is keyed by its order. The primary key on the ticket's own id, a random UUID, made the pay statement
-- insert an entry at a random place of that index for every paid order: on the seed's scenario at 2000 VUs the
-- ticket row was the largest part of the pay statement's cost (docs/benchmarks.md). Orders' ids are time-ordered
-- (UUIDv7), so the order's key is appended to, and one ticket per order is the primary key itself.
-- The ticket id stays in the row and in the signed code; every statement finds a ticket by its order (the code
-- carries both) and checks the ticket id beside it.
ALTER TABLE tickets
    DROP CONSTRAINT tickets_pkey,
    DROP CONSTRAINT tickets_order_id_key,
    ADD CONSTRAINT tickets_pkey PRIMARY KEY (order_id);
