-- The claim (OrderStore.ClaimSql) reads the concert's state and sale window from the category row it already reads,
-- instead of joining concerts. PostgreSQL 15 keeps a backend's first 16 relation locks in its own "fast path";
-- every further one goes through the shared lock table and its partition locks, which all 32 pooled connections
-- then queue on. The join brought the claim to 18 relations (tables and the indexes the planner opens; pg_locks
-- showed 5 of them off the fast path). Without it the claim locks 15; tests/…/QueryPlanTests checks that the
-- order path stays on the fast path.
--
-- The copy is kept by the database, so no writer can forget it: a category takes its concert's values when it is
-- inserted, and a change of a concert's state or window is copied to its categories in the same transaction.
ALTER TABLE categories
    ADD COLUMN concert_state   text        NOT NULL DEFAULT 'on_sale',
    ADD COLUMN sale_opens_at   timestamptz,
    ADD COLUMN sale_closes_at  timestamptz;

UPDATE categories c SET concert_state = k.state, sale_opens_at = k.sale_opens_at, sale_closes_at = k.sale_closes_at
FROM concerts k WHERE k.id = c.concert_id;

CREATE FUNCTION sale_of_concert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT state, sale_opens_at, sale_closes_at INTO NEW.concert_state, NEW.sale_opens_at, NEW.sale_closes_at
    FROM concerts WHERE id = NEW.concert_id;
    RETURN NEW;
END
$$;

CREATE TRIGGER categories_sale_of_concert BEFORE INSERT OR UPDATE OF concert_id ON categories
    FOR EACH ROW EXECUTE FUNCTION sale_of_concert();

CREATE FUNCTION copy_sale_to_categories() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE categories SET concert_state = NEW.state, sale_opens_at = NEW.sale_opens_at, sale_closes_at = NEW.sale_closes_at
    WHERE concert_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER concerts_copy_sale AFTER UPDATE OF state, sale_opens_at, sale_closes_at ON concerts
    FOR EACH ROW WHEN ((OLD.state, OLD.sale_opens_at, OLD.sale_closes_at) IS DISTINCT FROM (NEW.state, NEW.sale_opens_at, NEW.sale_closes_at))
    EXECUTE FUNCTION copy_sale_to_categories();
