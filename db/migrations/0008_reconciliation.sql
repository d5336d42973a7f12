-- Reconciliation with the payment gateway (docs/architecture.md, "Reconciliation").

-- The expiry worker leases the due orders it is asking the gateway about, so a second worker does not ask again;
-- a crashed worker's lease simply runs out. NULL: not leased.
ALTER TABLE orders ADD COLUMN expiry_leased_until timestamptz;
-- The sweep asks about a pending order at most once per Payment:Reconcile:EverySeconds. NULL: never asked.
ALTER TABLE orders ADD COLUMN status_checked_at timestamptz;

-- The nightly proof: one row per day reconciled, claimed before the run so several workers run it once.
CREATE TABLE reconcile_runs (
    day            date        PRIMARY KEY,
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    orders         integer,
    disagreements  integer
);
