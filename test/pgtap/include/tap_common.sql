-- What the pgTAP files share (read with \ir, inside their transaction):
-- pg_temp.error_detail, and the hand-written models in table tap_models
-- (name, m), to which each file adds models of its own.

-- The detail line of the error an SQL statement raises, or NULL.
CREATE FUNCTION pg_temp.error_detail(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN detail;
END $$;

-- 'hand': component 1 is below the weight threshold, so the valid components
-- are numbered 0 (posterior 0) and 1 (posterior 2); 'none': the same mixture
-- with a threshold above every weight (no valid component).
CREATE TEMP TABLE tap_models AS
SELECT 'hand'::text AS name, '{"version":1,"dims":1,"k":3,
  "weights":[0.6,0.001,0.399],"means":[0,5,10],"covariances":[1,1,4],
  "mean_precision":[600,1,400],"degrees_of_freedom":[600,1,400],
  "weight_concentration_a":[601,2,400],"weight_concentration_b":[400,399,0.001],
  "weight_threshold":0.005,
  "priors":{"weight_concentration":0.001,"mean_precision":1,"mean":4,"degrees_of_freedom":1,"covariance":25,"reg_covar":1e-06},
  "fit":{"max_iter":100,"tol":0.001,"seed":42,"iterations":10,"converged":true,"lower_bound":-1,"fit_ms":0},
  "training":{"rows":1000,"total_weight":1000,"min":-3,"max":16,"buckets":1000,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0}}'::vgm_model AS m;
INSERT INTO tap_models
SELECT 'none', (jsonb_set(m::jsonb, '{weight_threshold}', '0.7'))::text::vgm_model
FROM tap_models WHERE name = 'hand';
