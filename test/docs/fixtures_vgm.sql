-- The tables of the examples that hold vgm values: loaded by
-- test/docs/run_docs.py after fixtures.sql and CREATE EXTENSION vgm.
SET client_min_messages = warning;

-- the model of transactions.amount (README), the model it replaces (warm
-- start) and generated rows to decode
CREATE TABLE amount_model AS SELECT vgm_fit(amount) AS m FROM transactions;
CREATE TABLE last_model AS SELECT vgm_fit(amount) AS m FROM transactions WHERE id % 2 = 0;
-- today's load, drawn from the model so that it validates against it (the
-- point masses of transactions.amount fail a KS test against any mixture)
CREATE TABLE staging.tx AS
    SELECT x AS amount FROM amount_model, vgm_sample(m, 5000, 11) x;
CREATE TABLE generated AS
    SELECT id, vgm_component(m, amount) AS component, vgm_alpha(m, amount) AS alpha
    FROM tx, amount_model WHERE id % 20 = 0;

-- stored summaries: one per day of transactions (README), one per day of
-- payments (docs/validation.md); amount_summaries is filled by an example
CREATE TABLE daily_summaries AS
    SELECT (ts AT TIME ZONE 'UTC')::date AS day, vgm_summarize(amount) AS s
    FROM transactions GROUP BY 1;
CREATE TABLE stored_summaries AS
    SELECT day, vgm_summarize(amount) AS s FROM payments GROUP BY day;
CREATE TABLE amount_summaries (day timestamptz, s vgm_summary);

-- models by column.  docs/validation.md reads the model as `model`,
-- docs/distributed.md as `m`: the fixture has both.
CREATE TABLE models (col text, model vgm_model, m vgm_model);
INSERT INTO models (col, model) SELECT 'amount', vgm_fit(amount) FROM payments;
UPDATE models SET m = model;

-- a synthetic column: 100,000 draws of the payments model
CREATE TABLE synthetic_payments AS
    SELECT x AS amount
    FROM models, vgm_sample(models.model, 100000, 7) x WHERE col = 'amount';

ANALYZE;
