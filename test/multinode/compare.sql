-- compare.sql - comparison helpers for the multi-server tests
-- (test/multinode/run.sh, test/citus/run.sh) and the parallel-plan suite
-- (sql/parallel.sql).  Load into a database that has
-- the vgm extension; everything lives in schema vgm_test.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS vgm_test CASCADE;
CREATE SCHEMA vgm_test;

-- |a - b| <= rel * max(|a|, |b|) + abs
CREATE FUNCTION vgm_test.close(a float8, b float8, rel float8, abs float8 DEFAULT 0)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT a = b OR abs(a - b) <= rel * greatest(abs(a), abs(b)) + abs
$$;

CREATE FUNCTION vgm_test.close(a float8[], b float8[], rel float8, abs float8 DEFAULT 0)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT cardinality(a) = cardinality(b)
     AND coalesce(bool_and(vgm_test.close(x, y, rel, abs)), true)
  FROM unnest(a, b) u(x, y)
$$;

-- two summaries are the same bucket by bucket: same resolution and counts,
-- same keys, same weights, means within 1e-12 relative (float summation
-- order differs), spreads within 1e-9 of the bucket's scale
CREATE FUNCTION vgm_test.summary_same(a vgm_summary, b vgm_summary)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT (SELECT row(i.rows, i.total_weight, i.buckets, i.relative_width, i.nulls, i.nans,
                     i.pos_infs, i.neg_infs, i.min, i.max) FROM vgm_summary_info(a) i)
       = (SELECT row(i.rows, i.total_weight, i.buckets, i.relative_width, i.nulls, i.nans,
                     i.pos_infs, i.neg_infs, i.min, i.max) FROM vgm_summary_info(b) i)
     AND NOT EXISTS (
       SELECT FROM vgm_summary_buckets(a) x FULL JOIN vgm_summary_buckets(b) y USING (key)
       WHERE x.key IS NULL OR y.key IS NULL
          OR x.weight <> y.weight
          OR NOT vgm_test.close(x.mean, y.mean, 1e-12)
          OR NOT vgm_test.close(x.stddev, y.stddev, 0, 1e-9 * greatest(abs(x.mean), x.stddev)))
$$;

-- why two summaries differ, for diagnostics
CREATE FUNCTION vgm_test.summary_diff(a vgm_summary, b vgm_summary) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format('info a=%s b=%s; differing buckets: %s',
                (SELECT row(i.*)::text FROM vgm_summary_info(a) i),
                (SELECT row(i.*)::text FROM vgm_summary_info(b) i),
                (SELECT count(*) FROM vgm_summary_buckets(a) x FULL JOIN vgm_summary_buckets(b) y USING (key)
                 WHERE x.key IS NULL OR y.key IS NULL OR x.weight <> y.weight
                    OR NOT vgm_test.close(x.mean, y.mean, 1e-12)))
$$;

-- two models are the same fit: weights, means and spreads within 1e-9 relative
CREATE FUNCTION vgm_test.model_same(a vgm_model, b vgm_model, rel float8 DEFAULT 1e-9)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT vgm_valid_components(a) = vgm_valid_components(b)
     AND vgm_test.close(vgm_weights(a), vgm_weights(b), rel)
     AND vgm_test.close(vgm_means(a), vgm_means(b), rel)
     AND vgm_test.close(vgm_stddevs(a), vgm_stddevs(b), rel)
$$;

CREATE FUNCTION vgm_test.model_diff(a vgm_model, b vgm_model) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format('weights %s vs %s; means %s vs %s',
                vgm_weights(a), vgm_weights(b), vgm_means(a), vgm_means(b))
$$;

-- two records/arrays/numbers (as jsonb) are the same up to 1e-9 relative
-- (+1e-12 absolute) in every number
CREATE FUNCTION vgm_test.json_same(a jsonb, b jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  k text;
BEGIN
  -- a custom type without a cast to json arrives as a string of its text form
  IF jsonb_typeof(a) = 'string' AND jsonb_typeof(b) = 'string'
     AND left(a #>> '{}', 1) IN ('{', '[') THEN
    BEGIN
      a := (a #>> '{}')::jsonb;
      b := (b #>> '{}')::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
      RETURN a = b;
    END;
  END IF;
  IF jsonb_typeof(a) IS DISTINCT FROM jsonb_typeof(b) THEN
    RETURN false;
  END IF;
  CASE jsonb_typeof(a)
  WHEN 'number' THEN
    RETURN vgm_test.close(a::float8, b::float8, 1e-9, 1e-12);
  WHEN 'array' THEN
    IF jsonb_array_length(a) <> jsonb_array_length(b) THEN RETURN false; END IF;
    FOR i IN 0 .. jsonb_array_length(a) - 1 LOOP
      IF NOT vgm_test.json_same(a -> i, b -> i) THEN RETURN false; END IF;
    END LOOP;
    RETURN true;
  WHEN 'object' THEN
    IF (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(a) x)
       IS DISTINCT FROM (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(b) x) THEN
      RETURN false;
    END IF;
    FOR k IN SELECT jsonb_object_keys(a) LOOP
      IF NOT vgm_test.json_same(a -> k, b -> k) THEN RETURN false; END IF;
    END LOOP;
    RETURN true;
  ELSE
    RETURN a = b;
  END CASE;
END
$$;
