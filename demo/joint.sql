-- demo/joint.sql - the joint section: one mixture over two columns at once,
-- amount x hour of day, with full covariances (vgm_joint_fit), then the
-- rarest (amount, hour) pairs by vgm_log_density, synthetic pairs drawn with
-- vgm_sample, the marginals, and the data of the ellipse picture.
--
-- The hour of each payment is generated here, deterministically from its id
-- and category (a hash of the id, not random(), so demo/data.sql and every
-- other step see exactly the same rows): coffee in the morning, groceries
-- after work, online shopping late in the evening, subscriptions charged in
-- a nightly batch at 3:00, ATM, travel and refunds during the day.  An
-- amount that is ordinary at 8:00 (a coffee) and an hour that is ordinary
-- for groceries can still make a rare pair; only a joint model sees that.
-- psql variable: datadir (where the picture's CSV files go).
SET client_min_messages = warning;

-- a standard normal and a uniform from the bits of a hash (deterministic, no random())
CREATE FUNCTION pg_temp.u(id bigint, salt bigint) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT ((hashint8(id * 4 + salt)::bigint & 2147483647) + 0.5) / 2147483648.0 $$;
CREATE FUNCTION pg_temp.z(id bigint) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT sqrt(-2 * ln(pg_temp.u(id, 1))) * cos(2 * pi() * pg_temp.u(id, 2)) $$;

DROP TABLE IF EXISTS demo.transaction_hours;
CREATE TABLE demo.transaction_hours AS
SELECT id, h - 24 * floor(h / 24) AS hour
FROM (SELECT id, c.center + c.spread * pg_temp.z(id) AS h
      FROM demo.transactions t
      JOIN (VALUES ('coffee', 8.5, 1.0), ('groceries', 18.0, 1.5), ('online', 21.0, 2.0),
                   ('travel', 13.0, 3.5), ('subscription', 3.0, 0.25), ('atm', 14.0, 3.0),
                   ('refund', 11.0, 2.5), ('pending', 12.0, 4.0)) AS c(category, center, spread)
        USING (category)) s;
ALTER TABLE demo.transaction_hours ADD PRIMARY KEY (id);
VACUUM ANALYZE demo.transaction_hours;
CREATE VIEW demo.pairs AS
SELECT t.id, t.category, t.amount, h.hour FROM demo.transactions t JOIN demo.transaction_hours h USING (id);

-- the fit: one scan into a joint summary, then VB-EM; rows with a NULL
-- amount (pending payments) are skipped and counted
SELECT count(*) AS n_rows, count(amount) AS n_amount FROM demo.transactions \gset
DROP TABLE IF EXISTS report.joint_model;
SELECT clock_timestamp() AS t0 \gset
CREATE TABLE report.joint_model AS SELECT vgm_joint_fit(ARRAY[amount, hour]) AS m FROM demo.pairs;
SELECT report.timed('vgm_joint_fit(ARRAY[amount, hour]): one scan, summary, VB-EM', :'t0', :n_rows);
SELECT m AS joint FROM report.joint_model \gset

DROP TABLE IF EXISTS report.joint_fit;
CREATE TABLE report.joint_fit AS SELECT (vgm_diagnostics(:'joint'::vgm_joint_model)).*;
SELECT report.check('joint', 'rows fitted = non-NULL amounts', rows::text, :'n_amount',
                    rows = :n_amount) FROM report.joint_fit;
SELECT report.check('joint', 'rows skipped = NULL amounts (pending)', skipped_rows::text,
                    (:n_rows - :n_amount)::text, skipped_rows = :n_rows - :n_amount) FROM report.joint_fit;

-- the components: weight, means, standard deviations and correlation
DROP TABLE IF EXISTS report.joint_components;
CREATE TABLE report.joint_components AS
SELECT j - 1 AS index, w[j] AS weight, mu[j][1] AS amount_mean, mu[j][2] AS hour_mean,
       sqrt(c[j][1][1]) AS amount_sd, sqrt(c[j][2][2]) AS hour_sd,
       c[j][1][2] / sqrt(c[j][1][1] * c[j][2][2]) AS correlation,
       w[j] > (SELECT (m::jsonb ->> 'weight_threshold')::float8 FROM report.joint_model) AS valid,
       c[j][1][1] AS s11, c[j][1][2] AS s12, c[j][2][2] AS s22
FROM (SELECT vgm_weights(m) AS w, vgm_means(m) AS mu, vgm_covariances(m) AS c FROM report.joint_model) p,
     generate_series(1, vgm_n_components(:'joint'::vgm_joint_model)) j;

-- scoring every row: the rarest pairs, and how rare each column is on its own
DROP TABLE IF EXISTS report.joint_scores;
SELECT clock_timestamp() AS t0 \gset
CREATE TABLE report.joint_scores AS
SELECT id, category, amount, hour, vgm_log_density(:'joint'::vgm_joint_model, ARRAY[amount, hour]) AS log_density
FROM demo.pairs WHERE amount IS NOT NULL;
SELECT report.timed('vgm_log_density(m, ARRAY[amount, hour]) of every row into a table', :'t0', :n_amount);
DROP TABLE IF EXISTS report.joint_anomalies;
CREATE TABLE report.joint_anomalies AS
SELECT rank() OVER (ORDER BY log_density) AS rank, id, category, amount, hour, log_density,
       vgm_log_density(vgm_marginal(:'joint'::vgm_joint_model, 1), amount) AS amount_alone,
       vgm_log_density(vgm_marginal(:'joint'::vgm_joint_model, 2), hour) AS hour_alone,
       (SELECT count(*) FROM report.joint_scores s2 WHERE s2.log_density < s.log_density)::float8
           / :n_amount AS joint_quantile
FROM report.joint_scores s ORDER BY log_density LIMIT 10;
-- rare only as a pair: the rows whose pair is much rarer than its columns are on their own,
-- ranked by log p(amount, hour) - log p(amount) - log p(hour) (the pointwise mutual information)
DROP TABLE IF EXISTS report.joint_pair_only;
CREATE TABLE report.joint_pair_only AS
SELECT *, log_density - amount_alone - hour_alone AS pair_excess
FROM (SELECT s.*, vgm_log_density(vgm_marginal(:'joint'::vgm_joint_model, 1), amount) AS amount_alone,
             vgm_log_density(vgm_marginal(:'joint'::vgm_joint_model, 2), hour) AS hour_alone
      FROM report.joint_scores s) q
ORDER BY pair_excess LIMIT 5;

-- the marginal of the hour column is a 1-D model like any other: its mixture mean is the data's
SELECT avg(hour) AS hour_mean, stddev(hour) AS hour_sd, count(hour) AS n_hour
FROM demo.pairs WHERE amount IS NOT NULL \gset
SELECT report.check('joint', 'vgm_marginal(m, 2): mixture mean of the hour = data mean',
                    report.num((vgm_model_moments(vgm_marginal(:'joint'::vgm_joint_model, 2))).mean),
                    format('%s +- %s', report.num(:hour_mean), report.num(report.tol_mean(:n_hour) * :hour_sd)),
                    abs((vgm_model_moments(vgm_marginal(:'joint'::vgm_joint_model, 2))).mean - :hour_mean)
                        <= report.tol_mean(:n_hour) * :hour_sd);

-- synthetic pairs keep the relation between the columns: the share of nightly (0:00-5:00) payments
-- that are subscriptions (9.99 within a cent) in the data and in the draws
DROP TABLE IF EXISTS demo.joint_synthetic;
SELECT clock_timestamp() AS t0 \gset
CREATE TABLE demo.joint_synthetic AS
SELECT i AS id, x[1] AS amount, x[2] AS hour
FROM vgm_sample(:'joint'::vgm_joint_model, :n_amount, 42) WITH ORDINALITY AS s(x, i);
SELECT report.timed('vgm_sample(joint model, n, 42): correlated (amount, hour) pairs', :'t0', :n_amount);
DROP TABLE IF EXISTS report.joint_night;
CREATE TABLE report.joint_night AS
SELECT 'data' AS source,
       avg((amount BETWEEN 9 AND 11)::int) FILTER (WHERE hour < 5) AS night_share_near_9_99,
       avg((amount BETWEEN 9 AND 11)::int) FILTER (WHERE hour BETWEEN 8 AND 20) AS day_share_near_9_99
FROM demo.pairs WHERE amount IS NOT NULL
UNION ALL
SELECT 'synthetic (vgm_sample)',
       avg((amount BETWEEN 9 AND 11)::int) FILTER (WHERE hour < 5),
       avg((amount BETWEEN 9 AND 11)::int) FILTER (WHERE hour BETWEEN 8 AND 20)
FROM demo.joint_synthetic;
SELECT report.check('joint', 'synthetic pairs: amounts near 9.99 are more common at night than by day',
                    format('%s at night, %s by day', report.num(night_share_near_9_99), report.num(day_share_near_9_99)),
                    'night > 2 x day', night_share_near_9_99 > 2 * day_share_near_9_99)
FROM report.joint_night WHERE source <> 'data';

-- the picture: a sample of the rows, and each valid component's 95 % ellipse
-- (radius sqrt(5.991), the chi-square quantile with 2 degrees of freedom),
-- mean + L (r cos t, r sin t) with L the covariance's Cholesky factor, on the
-- model's own (linear) scales
\cd :datadir
\copy (SELECT round(amount::numeric, 2) AS amount, round(hour::numeric, 4) AS hour, category FROM demo.pairs WHERE amount IS NOT NULL AND id % greatest(1, (SELECT count(*) FROM demo.transactions) / 30000) = 0 ORDER BY id) TO 'joint_points.csv' WITH (FORMAT csv, HEADER)
\copy (SELECT index, round((amount_mean + sqrt(s11) * r * cos(t))::numeric, 4) AS amount, round((hour_mean + s12 / sqrt(s11) * r * cos(t) + sqrt(greatest(s22 - s12 * s12 / s11, 0)) * r * sin(t))::numeric, 4) AS hour FROM report.joint_components, (SELECT sqrt(5.991) AS r) rr, (SELECT 2 * pi() * g / 96 AS t, g FROM generate_series(0, 96) g) tt WHERE valid ORDER BY index, g) TO 'joint_ellipses.csv' WITH (FORMAT csv, HEADER)
\copy (SELECT round(amount::numeric, 2) AS amount, round(hour::numeric, 4) AS hour, rank FROM report.joint_anomalies ORDER BY rank) TO 'joint_anomalies.csv' WITH (FORMAT csv, HEADER)
