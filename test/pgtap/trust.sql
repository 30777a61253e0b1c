-- pgTAP: the report functions (vgm_validate, vgm_assert_valid) and the
-- whole-table functions (vgm_fit_table, vgm_layout, vgm_encode_table,
-- vgm_decode_table, vgm_validate_table) run no code planted next to the
-- extension.  A database owner who is not a superuser
-- owns the schema vgm lives in (public), so she can add overloads of every
-- function and operator the reports use there; the session can have its own
-- in pg_temp.  None of them may run when a superuser calls the reports on her
-- tables: each planted function logs its call and, when it runs with superuser
-- rights, makes her a superuser (the attack of a trojan overload).
BEGIN;
SELECT plan(32);

-- ----------------------------------------------------------------- setup ----
CREATE ROLE vgm_trust_alice NOLOGIN NOSUPERUSER;
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I OWNER TO vgm_trust_alice', current_database()); END $$;
CREATE DOMAIN public.trust_dom8 AS float8 CHECK (VALUE > -1000);
CREATE DOMAIN public.trust_domi AS int;
CREATE DOMAIN public.trust_domdom AS public.trust_dom8;
CREATE TABLE public.trust_data AS
SELECT i, (i % 50)::int2 AS i2, (i % 50)::int4 AS i4, (i % 50)::int8 AS i8,
       (i % 50)::numeric AS num, (i % 50)::float4 AS f4, (i % 50)::float8 AS f8,
       (i % 50)::float8::public.trust_dom8 AS dom8, (i % 50)::public.trust_domi AS domi,
       (i % 50)::float8::public.trust_domdom AS domdom
FROM generate_series(1, 400) i;
ALTER TABLE public.trust_data OWNER TO vgm_trust_alice;
CREATE TEMP TABLE trust_model AS
SELECT vgm_fit(ARRAY(SELECT (i % 50)::float8 FROM generate_series(1, 400) i), max_components => 3) AS m;
CREATE TEMP TABLE trust_cols (col name, typ text);
INSERT INTO trust_cols VALUES ('i2', 'smallint'), ('i4', 'integer'), ('i8', 'bigint'), ('num', 'numeric'),
    ('f4', 'real'), ('f8', 'double precision'), ('dom8', 'domain over double precision'),
    ('domi', 'domain over integer'), ('domdom', 'domain over a domain');

-- SQLSTATE and message of the error a statement raises, or 'ok'.
CREATE FUNCTION pg_temp.trust_error(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text;
    msg text;
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN state || ': ' || msg;
END $$;

-- the reports of every column before anything is planted
CREATE TEMP TABLE trust_before AS
SELECT c.col, r.* FROM trust_cols c,
       vgm_validate((SELECT m FROM trust_model), 'public.trust_data', c.col) WITH ORDINALITY r;

-- the whole-table functions before anything is planted: models (without
-- their fit clock), layout, encoding, decoding and reports
-- (its statements are built with || alone: the planted format below would
-- capture a call of format from a function without a pinned search_path)
CREATE FUNCTION pg_temp.trust_tables(tag text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'CREATE TEMP TABLE trust_fit_' || tag || ' AS SELECT column_name, position, rows,'
            ' regexp_replace(model::text, ''"fit_ms":[^,}]*'', '''') AS model'
            ' FROM vgm_fit_table(''public.trust_data'', max_components => 3)';
    EXECUTE 'CREATE TEMP TABLE trust_layout_' || tag || ' AS SELECT * FROM vgm_layout(''public.trust_models'')';
    EXECUTE 'CREATE TEMP TABLE trust_enc_' || tag || ' AS SELECT * FROM vgm_encode_table(''public.trust_data'','
            ' ''public.trust_models'', key => ''i'')';
    EXECUTE 'CREATE TEMP TABLE trust_dec_' || tag || ' AS SELECT * FROM vgm_decode_table(NULL::public.trust_data,'
            ' ''public.trust_gen'', ''public.trust_models'', key => ''i'')';
    EXECUTE 'CREATE TEMP TABLE trust_val_' || tag || ' AS SELECT * FROM vgm_validate_table(''public.trust_data'','
            ' ''public.trust_models'')';
END $$;
CREATE TABLE public.trust_models AS SELECT * FROM vgm_fit_table('public.trust_data', max_components => 3);
CREATE TABLE public.trust_gen AS SELECT row_key AS i, encoded
FROM vgm_encode_table('public.trust_data', 'public.trust_models', key => 'i');
SELECT pg_temp.trust_tables('before');

-- ------------------------------------------------ planted in public ----
CREATE TABLE public.trust_log (who text, what text);
GRANT ALL ON public.trust_log TO PUBLIC;
ALTER TABLE public.trust_log OWNER TO vgm_trust_alice;
SET ROLE vgm_trust_alice;

-- Log a call; with superuser rights, escalate (what a real trojan would do).
CREATE FUNCTION public.trust_hit(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.trust_log VALUES (current_user, what);
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'ALTER ROLE vgm_trust_alice SUPERUSER';
    END IF;
END $$;

-- aggregates vgm_ks, vgm_ks_state, vgm_bounds, vgm_moments for every numeric argument type
-- (an exact match beats our float8 ones when the column is not cast), and
-- variadic versions
DO $plant$
DECLARE
    t text;
BEGIN
    EXECUTE $f$CREATE FUNCTION public.trust_final_ks(int) RETURNS public.vgm_ks_result LANGUAGE sql
        AS $$ SELECT ROW(0, 1, 999999)::public.vgm_ks_result $$$f$;
    EXECUTE $f$CREATE FUNCTION public.trust_final_bounds(int) RETURNS public.vgm_bounds_result LANGUAGE sql
        AS $$ SELECT ROW(999999, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)::public.vgm_bounds_result $$$f$;
    EXECUTE $f$CREATE FUNCTION public.trust_final_moments(int) RETURNS public.vgm_moments_result LANGUAGE sql
        AS $$ SELECT ROW(1000, 1000, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0)::public.vgm_moments_result $$$f$;
    FOREACH t IN ARRAY ARRAY['int2', 'int4', 'int8', 'numeric', 'float4', 'public.trust_dom8',
                             'public.trust_domi', 'public.trust_domdom'] LOOP
        EXECUTE format($f$CREATE FUNCTION public.trust_sfunc2(s int, m public.vgm_model, x %1$s) RETURNS int
            LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('aggregate(model, %1$s)'); RETURN s + 1; END $$$f$, t);
        EXECUTE format($f$CREATE FUNCTION public.trust_sfunc1(s int, x %1$s) RETURNS int
            LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_moments(%1$s)'); RETURN s + 1; END $$$f$, t);
        EXECUTE format('CREATE AGGREGATE public.vgm_ks(public.vgm_model, %s) (SFUNC = public.trust_sfunc2, '
                       'STYPE = int, INITCOND = ''0'', FINALFUNC = public.trust_final_ks)', t);
        EXECUTE format('CREATE AGGREGATE public.vgm_ks_state(public.vgm_model, %s) (SFUNC = public.trust_sfunc2, '
                       'STYPE = int, INITCOND = ''0'')', t);
        EXECUTE format('CREATE AGGREGATE public.vgm_bounds(public.vgm_model, %s) (SFUNC = public.trust_sfunc2, '
                       'STYPE = int, INITCOND = ''0'', FINALFUNC = public.trust_final_bounds)', t);
        EXECUTE format('CREATE AGGREGATE public.vgm_moments(%s) (SFUNC = public.trust_sfunc1, '
                       'STYPE = int, INITCOND = ''0'', FINALFUNC = public.trust_final_moments)', t);
        EXECUTE format('CREATE AGGREGATE public.vgm_summarize(%s) (SFUNC = public.trust_sfunc1, '
                       'STYPE = int, INITCOND = ''0'')', t);
        EXECUTE format($f$CREATE FUNCTION public.vgm_encode(m public.vgm_model, x %1$s) RETURNS float8[]
            LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_encode(model, %1$s)'); RETURN '{}'; END $$$f$, t);
    END LOOP;
    EXECUTE $f$CREATE FUNCTION public.trust_sfuncv(s int, m public.vgm_model, VARIADIC x float8[]) RETURNS int
        LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('variadic aggregate'); RETURN s + 1; END $$$f$;
    EXECUTE 'CREATE AGGREGATE public.vgm_ks(public.vgm_model, VARIADIC float8[]) (SFUNC = public.trust_sfuncv, '
            'STYPE = int, INITCOND = ''0'', FINALFUNC = public.trust_final_ks)';
    EXECUTE 'CREATE AGGREGATE public.vgm_bounds(public.vgm_model, VARIADIC float8[]) (SFUNC = public.trust_sfuncv, '
            'STYPE = int, INITCOND = ''0'', FINALFUNC = public.trust_final_bounds)';
    EXECUTE 'CREATE AGGREGATE public.vgm_ks_state(public.vgm_model, VARIADIC float8[]) (SFUNC = public.trust_sfuncv, '
            'STYPE = int, INITCOND = ''0'')';
END $plant$;

-- the functions the reports call, as variadic overloads and with the model
-- as text (an unknown-typed parameter would match it)
CREATE FUNCTION public.vgm_model_moments(VARIADIC m public.vgm_model[],
    OUT mean float8, OUT variance float8, OUT stddev float8, OUT skewness float8, OUT kurtosis float8)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_model_moments variadic');
    mean := 0; variance := 1; stddev := 1; skewness := 0; kurtosis := 0; END $$;
CREATE FUNCTION public.vgm_model_moments(m text,
    OUT mean float8, OUT variance float8, OUT stddev float8, OUT skewness float8, OUT kurtosis float8)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_model_moments(text)');
    mean := 0; variance := 1; stddev := 1; skewness := 0; kurtosis := 0; END $$;
-- the effect sizes of the KS state: variadic, with the arguments as text,
-- and with the state as a float8 array (an unknown or uncast argument would
-- reach them)
CREATE FUNCTION public.vgm_ks_effects(m public.vgm_model, VARIADIC s public.vgm_ks_state[],
    OUT n bigint, OUT statistic float8, OUT pvalue float8, OUT atom_share float8, OUT excess float8,
    OUT data_trimmed_mean float8, OUT data_trimmed_stddev float8,
    OUT model_trimmed_mean float8, OUT model_trimmed_stddev float8)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_ks_effects variadic'); END $$;
CREATE FUNCTION public.vgm_ks_effects(m text, s text, t text,
    OUT n bigint, OUT statistic float8, OUT pvalue float8, OUT atom_share float8, OUT excess float8,
    OUT data_trimmed_mean float8, OUT data_trimmed_stddev float8,
    OUT model_trimmed_mean float8, OUT model_trimmed_stddev float8)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_ks_effects(text)'); END $$;
CREATE FUNCTION public.vgm_ks_effects(m public.vgm_model, s int, t float8,
    OUT n bigint, OUT statistic float8, OUT pvalue float8, OUT atom_share float8, OUT excess float8,
    OUT data_trimmed_mean float8, OUT data_trimmed_stddev float8,
    OUT model_trimmed_mean float8, OUT model_trimmed_stddev float8)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_ks_effects(int state)'); END $$;
CREATE FUNCTION public.vgm_validate(model public.vgm_model, tbl regclass, col name, VARIADIC o float8[])
    RETURNS TABLE ("check" text, statistic float8, threshold float8, passed boolean)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_validate variadic'); END $$;
CREATE FUNCTION public.vgm_validate(model text, tbl text, col text, VARIADIC o text[])
    RETURNS TABLE ("check" text, statistic float8, threshold float8, passed boolean)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_validate text'); END $$;
CREATE FUNCTION public.vgm_validation_report(caller text, model public.vgm_model, tbl regclass, col name,
    VARIADIC o float8[])
    RETURNS TABLE ("check" text, statistic float8, threshold float8, passed boolean)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_validation_report variadic'); END $$;

-- the whole-table functions' callees: variadic overloads, the model as text
CREATE FUNCTION public.vgm_fit(s public.vgm_summary, VARIADIC o float8[]) RETURNS public.vgm_model
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_fit variadic'); RETURN NULL; END $$;
CREATE FUNCTION public.vgm_decode(m text, e float8[], c boolean) RETURNS float8
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_decode(text)'); RETURN 0; END $$;
CREATE FUNCTION public.vgm_decode(m public.vgm_model, VARIADIC e float8[]) RETURNS float8
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_decode variadic'); RETURN 0; END $$;
CREATE FUNCTION public.vgm_table_models(caller text, models regclass, VARIADIC o int[])
    RETURNS TABLE (column_name name, model_text text, first int, width int)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_table_models variadic'); END $$;
CREATE FUNCTION public.vgm_table_columns(caller text, tbl text, columns text[])
    RETURNS TABLE (column_name name, "position" int)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_table_columns(text)'); END $$;
CREATE FUNCTION public.vgm_validation_checks(caller text, model public.vgm_model, VARIADIC o text[])
    RETURNS TABLE ("check" text, statistic float8, threshold float8, passed boolean)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_validation_checks variadic'); END $$;
CREATE FUNCTION public.vgm_summary_info(text, OUT rows bigint) RETURNS bigint
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_summary_info(text)'); rows := 0; END $$;
CREATE FUNCTION public.cardinality(float8[]) RETURNS int LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('cardinality'); RETURN 0; END $$;
CREATE FUNCTION public.array_fill(float8, int[]) RETURNS float8[] LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('array_fill'); RETURN '{}'; END $$;
CREATE FUNCTION public.array_position(float8[], float8) RETURNS int LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('array_position'); RETURN NULL; END $$;
CREATE FUNCTION public.trust_cat(a float8[], b float8[]) RETURNS float8[] LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('array ||'); RETURN a; END $$;
CREATE OPERATOR public.|| (LEFTARG = float8[], RIGHTARG = float8[], FUNCTION = public.trust_cat);

-- what the bodies use from pg_catalog: same names in public, for the exact
-- types they are called with and for the types of unknown literals
CREATE FUNCTION public.trust_op(a float8, b float8) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('operator'); RETURN false; END $$;
CREATE FUNCTION public.trust_opn(a float8, b float8) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('arithmetic'); RETURN 0; END $$;
CREATE FUNCTION public.trust_opo(a oid, b oid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('oid operator'); RETURN true; END $$;
CREATE FUNCTION public.trust_opt(a name, b text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('name operator'); RETURN true; END $$;
CREATE OPERATOR public.= (LEFTARG = float8, RIGHTARG = float8, FUNCTION = public.trust_op);
CREATE OPERATOR public.< (LEFTARG = float8, RIGHTARG = float8, FUNCTION = public.trust_op);
CREATE OPERATOR public.> (LEFTARG = float8, RIGHTARG = float8, FUNCTION = public.trust_op);
CREATE OPERATOR public.<= (LEFTARG = float8, RIGHTARG = float8, FUNCTION = public.trust_op);
CREATE OPERATOR public.>= (LEFTARG = float8, RIGHTARG = float8, FUNCTION = public.trust_op);
CREATE OPERATOR public.- (LEFTARG = float8, RIGHTARG = float8, FUNCTION = public.trust_opn);
CREATE OPERATOR public./ (LEFTARG = float8, RIGHTARG = float8, FUNCTION = public.trust_opn);
CREATE OPERATOR public.+ (LEFTARG = float8, RIGHTARG = float8, FUNCTION = public.trust_opn);
CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = public.trust_opo);
CREATE OPERATOR public.<> (LEFTARG = oid, RIGHTARG = oid, FUNCTION = public.trust_opo);
CREATE OPERATOR public.= (LEFTARG = name, RIGHTARG = text, FUNCTION = public.trust_opt);
CREATE FUNCTION public.abs(float8) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('abs'); RETURN 0; END $$;
CREATE FUNCTION public.format(text, VARIADIC text[]) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('format'); RETURN ''; END $$;
CREATE FUNCTION public.format_type(oid, int) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('format_type'); RETURN ''; END $$;
CREATE FUNCTION public.quote_ident(text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('quote_ident'); RETURN ''; END $$;
CREATE FUNCTION public.trust_agg_sfunc(s text, v text, d text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('string_agg'); RETURN s; END $$;
CREATE AGGREGATE public.string_agg(text, text) (SFUNC = public.trust_agg_sfunc, STYPE = text);
CREATE FUNCTION public.float8(int4) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('float8(int4)'); RETURN 0; END $$;
CREATE FUNCTION public.float8(numeric) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('float8(numeric)'); RETURN 0; END $$;
-- a table the catalog queries could be confused with
CREATE TABLE public.pg_attribute (attrelid oid, attname name, atttypid oid, attnum int, attisdropped bool);
RESET ROLE;

-- -------------------------------------------- planted in pg_temp ----
-- pg_temp is searched for relations and types only, after pg_catalog in the
-- reports' search_path; a temp table with the name of the validated table
-- must not be read instead of it
CREATE FUNCTION pg_temp.vgm_model_moments(public.vgm_model,
    OUT mean float8, OUT variance float8, OUT stddev float8, OUT skewness float8, OUT kurtosis float8)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('pg_temp.vgm_model_moments');
    mean := 0; variance := 1; stddev := 1; skewness := 0; kurtosis := 0; END $$;
CREATE FUNCTION pg_temp.abs(float8) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('pg_temp.abs'); RETURN 0; END $$;
CREATE FUNCTION pg_temp.trust_op(a float8, b float8) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM public.trust_hit('pg_temp operator'); RETURN false; END $$;
CREATE OPERATOR pg_temp.<= (LEFTARG = float8, RIGHTARG = float8, FUNCTION = pg_temp.trust_op);
CREATE OPERATOR pg_temp.>= (LEFTARG = float8, RIGHTARG = float8, FUNCTION = pg_temp.trust_op);
CREATE TEMP TABLE trust_data AS SELECT i, -5::int4 AS i4, -5::float8 AS f8 FROM generate_series(1, 3) i;
CREATE TEMP TABLE pg_extension (oid oid, extname name, extnamespace oid);
INSERT INTO pg_temp.pg_extension SELECT 0, 'vgm', oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_toast';
CREATE TEMP TABLE pg_cast (castsource oid, casttarget oid, castcontext "char");
CREATE TYPE pg_temp.float8 AS (x int);

-- ------------------------------------------------------------ the reports ----
CREATE TEMP TABLE trust_after AS
SELECT c.col, r.* FROM trust_cols c,
       vgm_validate((SELECT m FROM trust_model), 'public.trust_data', c.col) WITH ORDINALITY r;
CREATE TEMP TABLE trust_assert AS
SELECT pg_temp.trust_error($$SELECT vgm_assert_valid((SELECT m FROM trust_model), 'public.trust_data', 'i4',
                            ks_pvalue_min => NULL, mean_tol => NULL, std_tol => NULL, outside_max => NULL,
                            clipped_max => NULL, ks_excess_max => NULL, trimmed_std_tol => NULL)$$) AS passing,
       pg_temp.trust_error($$SELECT vgm_assert_valid((SELECT m FROM trust_model), 'public.trust_data', 'i4',
                            ks_pvalue_min => NULL, mean_tol => NULL, std_tol => NULL, outside_max => NULL,
                            clipped_max => NULL, ks_excess_max => NULL, trimmed_std_tol => NULL,
                            ks_statistic_max => 0)$$) AS failing;
SELECT pg_temp.trust_tables('after');
-- the temp objects would shadow pg_catalog's in this session (pg_temp comes
-- first where it is not listed): gone before the assertions
DROP TABLE pg_temp.pg_extension, pg_temp.pg_cast, pg_temp.trust_data;
DROP TYPE pg_temp.float8;

-- a planted overload with an extra defaulted argument is ambiguous with ours:
-- the report fails (42725) rather than running it
SET ROLE vgm_trust_alice;
CREATE FUNCTION public.vgm_model_moments(m public.vgm_model, extra int DEFAULT 0,
    OUT mean float8, OUT variance float8, OUT stddev float8, OUT skewness float8, OUT kurtosis float8)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.trust_hit('vgm_model_moments defaulted');
    mean := 0; variance := 1; stddev := 1; skewness := 0; kurtosis := 0; END $$;
RESET ROLE;
CREATE TEMP TABLE trust_ambiguous AS
SELECT pg_temp.trust_error($$SELECT * FROM vgm_validate((SELECT m FROM trust_model), 'public.trust_data', 'f8')$$) AS e;

-- What ran, before the planted objects go: they would capture calls of the
-- functions pgTAP uses (pgTAP does not pin its search_path).
CREATE TEMP TABLE trust_ran AS SELECT * FROM public.trust_log;
DROP OWNED BY vgm_trust_alice;

SELECT is((SELECT passing FROM trust_assert), 'ok', 'vgm_assert_valid passes with the planted overloads present');
SELECT is((SELECT failing FROM trust_assert),
    '23514: vgm validation of public.trust_data.i4 failed: ks_statistic',
    'vgm_assert_valid reports the failed check of the real report');
SELECT is((SELECT count(*)::int FROM trust_ran), 0, 'no planted function or operator ran');
SELECT is((SELECT coalesce(string_agg(DISTINCT what, ', '), '') FROM trust_ran), '',
    'no planted function or operator ran: none named');
SELECT ok(NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'vgm_trust_alice'), 'the planter is not a superuser');
SELECT is((SELECT count(*)::int FROM trust_after), 117, 'thirteen checks for each of the nine columns');
SELECT is((SELECT count(*)::int FROM trust_after a JOIN trust_before b USING (col, ordinality)
           WHERE a."check" = b."check" AND a.statistic IS NOT DISTINCT FROM b.statistic
             AND a.threshold IS NOT DISTINCT FROM b.threshold AND a.passed IS NOT DISTINCT FROM b.passed), 117,
    'every report is the one computed before anything was planted');
SELECT is((SELECT statistic FROM trust_after WHERE col = c.col AND "check" = 'rows'), 400::float8,
          format('the %s column is read from public.trust_data: 400 rows', c.typ))
FROM trust_cols c ORDER BY c.col;
SELECT is((SELECT round(statistic::numeric, 6) FROM trust_after WHERE col = c.col AND "check" = 'mean_shift'),
          (SELECT round(statistic::numeric, 6) FROM trust_after WHERE col = 'f8' AND "check" = 'mean_shift'),
          format('the %s column has the mean shift of the float8 column', c.typ))
FROM trust_cols c WHERE c.col <> 'f8' ORDER BY c.col;

SELECT is((SELECT round(statistic::numeric, 6) FROM trust_after WHERE col = 'i4' AND "check" = 'trimmed_stddev_ratio'),
          (SELECT round(statistic::numeric, 6) FROM trust_after WHERE col = 'f8' AND "check" = 'trimmed_stddev_ratio'),
    'the effect sizes come from our vgm_ks_state and vgm_ks_effects: the integer column has the float8 one''s');
SELECT ok((SELECT e FROM trust_ambiguous) LIKE '42725: function %vgm_model_moments% is not unique',
    'an ambiguous planted overload makes the report fail');

SELECT is((SELECT count(*)::int FROM trust_fit_after), 10, 'vgm_fit_table fits the ten numeric columns');
SELECT is((SELECT count(*)::int FROM trust_fit_after a JOIN trust_fit_before b USING (column_name, position, rows, model)),
    10, 'vgm_fit_table: every model is the one fitted before anything was planted');
SELECT set_eq('SELECT * FROM trust_layout_after', 'SELECT * FROM trust_layout_before',
    'vgm_layout: the layout computed before anything was planted');
SELECT is((SELECT md5(string_agg(row_key || ':' || encoded::text, ',' ORDER BY row_key)) FROM trust_enc_after),
          (SELECT md5(string_agg(row_key || ':' || encoded::text, ',' ORDER BY row_key)) FROM trust_enc_before),
    'vgm_encode_table: the encoding computed before anything was planted');
SELECT is((SELECT md5(string_agg(d::text, ',' ORDER BY d.i)) FROM trust_dec_after d),
          (SELECT md5(string_agg(d::text, ',' ORDER BY d.i)) FROM trust_dec_before d),
    'vgm_decode_table: the decoding computed before anything was planted');
SELECT is((SELECT md5(string_agg(v::text, ',')) FROM trust_val_after v),
          (SELECT md5(string_agg(v::text, ',')) FROM trust_val_before v),
    'vgm_validate_table: the reports computed before anything was planted');

SELECT * FROM finish();
ROLLBACK;
