-- The sale's inventory invariants, checked after a load run has settled (psql -v hold=SECONDS -f bench/invariants.sql).
-- One row per check: what was found and whether it holds. Capacity comes from db/seed/categories.csv (rows x columns).
\pset footer off
WITH capacity (category_id, seats) AS (
    VALUES (1, 150 * 100), (2, 150 * 100), (3, 150 * 100), (4, 150 * 100), (5, 150 * 100)
),
per_category AS (
    SELECT c.category_id, c.seats AS capacity,
           count(*) FILTER (WHERE s.order_id IS NULL) AS free,
           count(*) FILTER (WHERE o.status = 'pending') AS held,
           count(*) FILTER (WHERE o.status = 'paid') AS sold,
           count(*) FILTER (WHERE s.order_id IS NOT NULL AND (o.id IS NULL OR o.status NOT IN ('pending', 'paid'))) AS leaked
    FROM capacity c
    LEFT JOIN seats s ON s.category_id = c.category_id
    LEFT JOIN orders o ON o.id = s.order_id
    GROUP BY c.category_id, c.seats
),
holding AS (
    SELECT order_id, count(*) AS seats FROM seats WHERE order_id IS NOT NULL GROUP BY order_id
),
active AS (
    SELECT o.id, coalesce(h.seats, 0) AS seats_held, (s.order_id IS NOT DISTINCT FROM o.id)::int AS own_seat
    FROM orders o
    LEFT JOIN holding h ON h.order_id = o.id
    LEFT JOIN seats s ON s.id = o.seat_id
    WHERE o.status IN ('pending', 'paid')
),
checks (n, name, found, holds) AS (
    SELECT 1, 'free + held + sold = capacity, per category (' || string_agg(
               format('%s: %s+%s+%s=%s', category_id, free, held, sold, capacity), ', ' ORDER BY category_id) || ')',
           sum(abs(free + held + sold - capacity))::bigint, bool_and(free + held + sold = capacity)
    FROM per_category
    UNION ALL
    SELECT 2, 'pending/paid orders not holding exactly their one seat (of ' || count(*) || ')',
           count(*) FILTER (WHERE seats_held <> 1 OR own_seat <> 1), count(*) FILTER (WHERE seats_held <> 1 OR own_seat <> 1) = 0
    FROM active
    UNION ALL
    SELECT 3, 'seats held by an ended or unknown order', sum(leaked)::bigint, sum(leaked) = 0 FROM per_category
    UNION ALL
    SELECT 4, 'emails (trimmed, lower-cased) with more than one active order for one concert', count(*), count(*) = 0
    FROM (SELECT concert_id, lower(btrim(email)) FROM orders WHERE status IN ('pending', 'paid')
          GROUP BY concert_id, lower(btrim(email)) HAVING count(*) > 1) twice
    UNION ALL
    SELECT 6, 'held seats whose order names another seat', count(*), count(*) = 0
    FROM seats s JOIN orders o ON o.id = s.order_id WHERE o.seat_id IS DISTINCT FROM s.id
    UNION ALL
    SELECT 5, format('pending orders created more than %s s + 2 s ago', :hold), count(*), count(*) = 0
    FROM orders WHERE status = 'pending' AND created_at < now() - make_interval(secs => :hold + 2)
    UNION ALL
    SELECT 9, 'paid orders without their ticket, or tickets (not revoked) of orders not paid', count(*), count(*) = 0
    FROM orders o FULL JOIN (SELECT order_id FROM tickets WHERE status <> 'revoked') t ON t.order_id = o.id
    WHERE (o.status = 'paid') IS DISTINCT FROM (t.order_id IS NOT NULL)
    UNION ALL
    SELECT 7, 'paid orders (information)',
           (SELECT count(*) FROM orders WHERE status = 'paid'), true
    UNION ALL
    SELECT 8, 'orders in all (information)', (SELECT count(*) FROM orders), true
)
SELECT name AS "check", found, CASE WHEN holds THEN 'ok' ELSE 'VIOLATED' END AS result FROM checks ORDER BY n;
