-- demo/setup.sql - bookkeeping for the demo report and plain-SQL checks.
--
-- Schema "report" holds what the demo measures (checks, timings) and the
-- helper functions below.  The helpers compute in plain SQL what
-- src/validate_*.c will provide natively (moments, KS statistics); they are
-- exact but sort the data, so they serve the demo, not production.
-- PENDING(validate_*.c): when vgm_moments / the KS aggregates land, the demo's
-- validate step can call them instead (see demo/validate.sql).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS vgm;
DROP SCHEMA IF EXISTS report CASCADE;
CREATE SCHEMA report;

-- One row per check.  passed NULL = information only; a check with
-- warn_only = true that does not pass is a warning, not a failure.
CREATE TABLE report.checks (
    id        serial PRIMARY KEY,
    step      text NOT NULL,
    name      text NOT NULL,
    value     text,
    threshold text,
    passed    boolean,
    warn_only boolean NOT NULL DEFAULT false
);

-- One row per timed operation (see report.timed).
CREATE TABLE report.timings (
    id      serial PRIMARY KEY,
    step    text NOT NULL,
    rows    bigint,
    seconds float8 NOT NULL,
    note    text
);

-- report.timed(step, t0, rows [, note]): record the time since t0 (taken
-- with SELECT clock_timestamp() AS t0 \gset before the timed statement).
CREATE FUNCTION report.timed(step text, t0 timestamptz, rows bigint, note text DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO report.timings (step, rows, seconds, note)
    VALUES (step, rows, extract(epoch FROM clock_timestamp() - t0), note)
$$;

-- report.check(step, name, value, threshold, passed [, warn_only]): record a check.
CREATE FUNCTION report.check(step text, name text, value text, threshold text, passed boolean,
                             warn_only boolean DEFAULT false)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO report.checks (step, name, value, threshold, passed, warn_only)
    VALUES (step, name, value, threshold, passed, warn_only)
$$;

-- report.fit(model_name, step, t0, check_name): the report of a fit stored
-- as demo.models row model_name: its time since t0 with the VB-EM time,
-- iterations and summary points, and the check that it converged (a warning
-- when it did not, as in scikit-learn).  plpgsql, so that demo.models need
-- not exist yet.
CREATE FUNCTION report.fit(model_name text, step text, t0 timestamptz, check_name text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report.timed(step, t0, models.rows,
                         format('VB-EM %s s: %s iterations on %s summary points',
                                round((fit_ms / 1000)::numeric, 2), to_char(iterations, 'FM999,999,999'),
                                to_char(points, 'FM999,999,999')))
    FROM demo.models, vgm_diagnostics(m) WHERE name = model_name;
    PERFORM report.check('fit', check_name,
                         format('%s iterations%s', iterations,
                                CASE WHEN NOT converged THEN ' (max_iter reached)' ELSE '' END),
                         'converged', converged, warn_only => true)
    FROM demo.models, vgm_diagnostics(m) WHERE name = model_name;
END
$$;

-- Number formatting for the report: 4 significant digits, plain notation
-- where that stays short, scientific otherwise.
CREATE FUNCTION report.num(x float8) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN x IS NULL THEN 'NULL'
        WHEN x = 0 THEN '0'
        WHEN abs(x) >= 1e6 OR abs(x) < 1e-3 THEN btrim(to_char(x, '9.999EEEE'))
        ELSE (SELECT CASE WHEN t LIKE '%.%' THEN rtrim(rtrim(t, '0'), '.') ELSE t END
              FROM (SELECT round(x::numeric, greatest(0, 3 - floor(log(abs(x)))::int))::text AS t) r)
    END
$$;

-- The threshold of a vgm_validate check as the report writes it: 'not
-- checked' without one, the row count and the KS p-value are lower bounds,
-- every other check an upper bound.
CREATE FUNCTION report.threshold(check_name text, threshold float8) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN threshold IS NULL THEN 'not checked'
                WHEN check_name IN ('rows', 'ks_pvalue') THEN '>= ' || report.num(threshold)
                ELSE '<= ' || report.num(threshold) END
$$;

-- Tolerances for comparing the mean and the standard deviation of a sample
-- (or of a model fitted on one) with the data's: a small allowance plus 4
-- standard errors for n_eff independent rows (n_eff = n/2 when comparing two
-- samples of n).  The standard error of the stddev grows with the excess
-- kurtosis k: sqrt((k + 2) / (4 n)) relative.  Heavy tails need room.
CREATE FUNCTION report.tol_mean(n_eff float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT 0.005 + 4 / sqrt(n_eff) $$;
CREATE FUNCTION report.tol_stddev(n_eff float8, excess_kurtosis float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT 0.01 + 4 * sqrt(greatest(excess_kurtosis + 2, 0) / (4 * n_eff)) $$;

-- Threshold of a KS statistic: the point-mass floor (see report.largest_atom),
-- an allowance of 0.05 for the model's shape, and the 1 % critical value of
-- the Kolmogorov distribution for n_eff rows (1.628 / sqrt(n_eff); n_eff =
-- n1 n2 / (n1 + n2) for two samples).
CREATE FUNCTION report.ks_tol(floor float8, n_eff float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT floor + 0.05 + 1.628 / sqrt(n_eff) $$;

-- Standard normal CDF (PostgreSQL 15 has no erf).  W. J. Cody's rational
-- approximation (Hart 5666, as given by West 2005), close to double
-- precision;
-- used for the per-component curves of the picture.
CREATE FUNCTION report.norm_cdf(z float8) RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    x float8 := abs(z);
    e float8;
    c float8;
BEGIN
    IF x > 37 THEN
        c := 0;
    ELSE
        e := exp(-x * x / 2);
        IF x < 7.07106781186547 THEN
            c := e * ((((((0.0352624965998911 * x + 0.700383064443688) * x
                    + 6.37396220353165) * x + 33.912866078383) * x
                    + 112.079291497871) * x + 221.213596169931) * x
                    + 220.206867912376)
               / (((((((0.0883883476483184 * x + 1.75566716318264) * x
                    + 16.064177579207) * x + 86.7807322029461) * x
                    + 296.564248779674) * x + 637.333633378831) * x
                    + 793.826512519948) * x + 440.413735824752);
        ELSE
            c := e / (x + 1 / (x + 2 / (x + 3 / (x + 4 / (x + 0.65))))) / 2.506628274631;
        END IF;
    END IF;
    RETURN CASE WHEN z > 0 THEN 1 - c ELSE c END;
END
$$;

-- Moments of a column: n, mean, population standard deviation, skewness and
-- excess kurtosis (SciPy's skew/kurtosis defaults, bias=True), min, max.
-- Two passes (mean first), so data far from zero stays accurate.
-- Native: the vgm_moments aggregate, in one mergeable pass.
CREATE FUNCTION report.moments(tbl regclass, col name,
    OUT n bigint, OUT mean float8, OUT stddev float8, OUT skewness float8,
    OUT excess_kurtosis float8, OUT min float8, OUT max float8)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    EXECUTE format($q$
        WITH v AS (SELECT %1$I AS x FROM %2$s
                   WHERE %1$I IS NOT NULL AND %1$I > '-Infinity' AND %1$I < 'Infinity'),
             s AS (SELECT count(*) AS n, avg(x) AS m, stddev_pop(x) AS sd,
                          min(x) AS lo, max(x) AS hi FROM v)
        SELECT s.n, s.m, s.sd,
               avg(((x - s.m) / s.sd) ^ 3), avg(((x - s.m) / s.sd) ^ 4) - 3, s.lo, s.hi
        FROM v, s GROUP BY s.n, s.m, s.sd, s.lo, s.hi$q$, col, tbl)
    INTO n, mean, stddev, skewness, excess_kurtosis, min, max;
END
$$;

-- Moments of the plug-in mixture (all k components), in closed form:
-- with d = mean_c - mu,  E(x-mu)^3 = sum w (d^3 + 3 d s^2),
--                        E(x-mu)^4 = sum w (d^4 + 6 d^2 s^2 + 3 s^4).
-- Native: vgm_model_moments(model).
CREATE FUNCTION report.model_moments(m vgm_model,
    OUT mean float8, OUT stddev float8, OUT skewness float8, OUT excess_kurtosis float8)
LANGUAGE sql IMMUTABLE AS $$
    WITH c AS (SELECT weight AS w, mean AS mu, stddev AS s FROM vgm_components(m)),
         mu AS (SELECT sum(w * mu) / sum(w) AS mu FROM c),
         cm AS (SELECT sum(w * (s ^ 2 + (c.mu - mu.mu) ^ 2)) / sum(w) AS m2,
                       sum(w * ((c.mu - mu.mu) ^ 3 + 3 * (c.mu - mu.mu) * s ^ 2)) / sum(w) AS m3,
                       sum(w * ((c.mu - mu.mu) ^ 4 + 6 * (c.mu - mu.mu) ^ 2 * s ^ 2 + 3 * s ^ 4)) / sum(w) AS m4
                FROM c, mu)
    SELECT mu.mu, sqrt(m2), m3 / m2 ^ 1.5, m4 / m2 ^ 2 - 3 FROM mu, cm
$$;

-- One-sample Kolmogorov-Smirnov statistic of a column against a model's
-- CDF, exact: D = sup |F_n(x) - F(x)|, taking both sides of every step of
-- the empirical CDF (ties included).  One vgm_cdf call per distinct value.
-- Native: the vgm_ks aggregate bins F(x) (65536 bins) and gives a p-value.
CREATE FUNCTION report.ks_model(tbl regclass, col name, m vgm_model) RETURNS float8
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d float8;
BEGIN
    EXECUTE format($q$
        WITH v AS (SELECT %1$I AS x, count(*) AS c FROM %2$s
                   WHERE %1$I > '-Infinity' AND %1$I < 'Infinity' GROUP BY 1),
             e AS (SELECT x, c, sum(c) OVER (ORDER BY x) AS cum, sum(c) OVER () AS n FROM v)
        SELECT max(greatest(abs(f - cum / n), abs(f - (cum - c) / n)))
        FROM (SELECT vgm_cdf($1, x) AS f, c::float8 AS c, cum::float8 AS cum, n::float8 AS n FROM e) z$q$,
        col, tbl)
    INTO d USING m;
    RETURN d;
END
$$;

-- Two-sample Kolmogorov-Smirnov statistic, exact: sup |F_a(x) - F_b(x)|
-- over the pooled distinct values.
CREATE FUNCTION report.ks_2samp(a regclass, a_col name, b regclass, b_col name) RETURNS float8
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d float8;
BEGIN
    EXECUTE format($q$
        WITH v AS (SELECT x, sum(ca) AS ca, sum(cb) AS cb
                   FROM (SELECT %1$I AS x, 1 AS ca, 0 AS cb FROM %2$s
                         WHERE %1$I > '-Infinity' AND %1$I < 'Infinity'
                         UNION ALL
                         SELECT %3$I, 0, 1 FROM %4$s
                         WHERE %3$I > '-Infinity' AND %3$I < 'Infinity') u
                   GROUP BY x)
        SELECT max(abs(fa - fb))
        FROM (SELECT sum(ca) OVER w / sum(ca) OVER () AS fa, sum(cb) OVER w / sum(cb) OVER () AS fb
              FROM v WINDOW w AS (ORDER BY x)) f$q$,
        a_col, a, b_col, b)
    INTO d;
    RETURN d;
END
$$;

-- The largest point mass of a column, as a share of its non-NULL rows.  A
-- continuous model cannot follow a jump of size p in the empirical CDF
-- closer than p/2, so KS statistics against a continuous distribution
-- have this floor.
CREATE FUNCTION report.largest_atom(tbl regclass, col name, OUT x float8, OUT share float8)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    EXECUTE format($q$
        SELECT %1$I, count(*)::float8 / sum(count(*)) OVER () FROM %2$s
        WHERE %1$I IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1$q$, col, tbl)
    INTO x, share;
END
$$;
