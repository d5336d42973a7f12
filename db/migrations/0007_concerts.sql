-- Several concerts: each with a venue, a time zone, a sale window and a state; every sale table carries the
-- concert's id (the distribution key on a distributed PostgreSQL, docs/scaling.md); one active order per email
-- per concert; the organiser's audit trail and the refunds recorded by hand.

-- Rows inserted without a state are on sale: the seed command's concert (and the one already in a database this
-- migration finds) keeps selling as before. The admin API always names the state (draft unless asked).
ALTER TABLE concerts
    ADD COLUMN venue          text        NOT NULL DEFAULT '',
    ADD COLUMN time_zone      text        NOT NULL DEFAULT 'UTC',
    -- NULL: no bound on that side.
    ADD COLUMN sale_opens_at  timestamptz,
    ADD COLUMN sale_closes_at timestamptz,
    ADD COLUMN state          text        NOT NULL DEFAULT 'on_sale'
                              CHECK (state IN ('draft', 'on_sale', 'paused', 'closed')),
    ADD COLUMN created_at     timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT concerts_sale_window CHECK (sale_opens_at < sale_closes_at);

-- For the seats' composite key below: a seat's concert is its category's concert.
ALTER TABLE categories ADD CONSTRAINT categories_id_concert UNIQUE (id, concert_id);

-- Fills concert_id from the category for inserts that do not give it (the seed's COPY, older callers); the order
-- path and the admin API give it, so the trigger's WHEN keeps it off their rows.
CREATE FUNCTION concert_of_category() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.concert_id := (SELECT concert_id FROM categories WHERE id = NEW.category_id);
    RETURN NEW;
END
$$;

ALTER TABLE seats ADD COLUMN concert_id integer;
UPDATE seats s SET concert_id = c.concert_id FROM categories c WHERE c.id = s.category_id;
-- The composite key proves the category too, so it replaces the key on category_id alone: one check per seat
-- written, not two (75,000 per concert created).
ALTER TABLE seats ALTER COLUMN concert_id SET NOT NULL,
    ADD CONSTRAINT seats_category_concert FOREIGN KEY (category_id, concert_id) REFERENCES categories (id, concert_id),
    DROP CONSTRAINT seats_category_id_fkey;
CREATE TRIGGER seats_concert_id BEFORE INSERT ON seats
    FOR EACH ROW WHEN (NEW.concert_id IS NULL) EXECUTE FUNCTION concert_of_category();

-- No foreign key on orders.concert_id, for the reason 0003 dropped orders' key to categories: every order would
-- lock the same concerts row. The claim copies it from the category it reads.
ALTER TABLE orders ADD COLUMN concert_id integer;
UPDATE orders o SET concert_id = c.concert_id FROM categories c WHERE c.id = o.category_id;
ALTER TABLE orders ALTER COLUMN concert_id SET NOT NULL;
CREATE TRIGGER orders_concert_id BEFORE INSERT ON orders
    FOR EACH ROW WHEN (NEW.concert_id IS NULL) EXECUTE FUNCTION concert_of_category();

-- One ticket per email per concert: a fan may buy for two different shows. The predicate names the key, as in
-- 0004, so that only a lookup by (concert_id, email) can use it.
DROP INDEX orders_one_active_per_email;
CREATE UNIQUE INDEX orders_one_active_per_email ON orders (concert_id, email)
    WHERE status IN ('pending', 'paid') AND email IS NOT NULL;

-- A refund made by the organiser (POST /admin/orders/{id}/refund) closes a refund_required order. refund_status
-- stays what the gateway notified.
ALTER TABLE orders
    ADD COLUMN refund_reference   text,
    ADD COLUMN refund_recorded_at timestamptz,
    ADD COLUMN refund_recorded_by text;

-- Who changed what, when: every change made through the admin API or the concert commands.
CREATE TABLE admin_audit (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    -- The API key's name (Admin:ApiKeys:<name>) or "cli:<user>"; never the key.
    actor       text        NOT NULL,
    action      text        NOT NULL,
    concert_id  integer,
    order_id    uuid,
    detail      jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX admin_audit_by_concert ON admin_audit (concert_id, at);
