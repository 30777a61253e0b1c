-- demo/native.sql - included by the validation steps: sets psql variable
-- native to true when this vgm has its validation API (vgm_moments,
-- vgm_model_moments, vgm_ks, vgm_ks_state, vgm_ks_2samp, vgm_bounds,
-- vgm_validate), unless plain_sql=1 asks for the plain-SQL helpers.
\if :{?plain_sql}
\else
\set plain_sql 0
\endif
SELECT count(DISTINCT p.proname) = 7 AND NOT :'plain_sql'::boolean AS native
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'vgm'
WHERE p.proname IN ('vgm_moments', 'vgm_model_moments', 'vgm_ks', 'vgm_ks_state',
                    'vgm_ks_2samp', 'vgm_bounds', 'vgm_validate') \gset
