#!/usr/bin/env bash
#
# bench_joint_seal.sh - what the joint model's seal (src/joint_model.h)
# saves per row: vgm_log_density(m, ARRAY[a, b, c, d]) with the model from a
# join and from a scalar subquery (the forms whose model is proven unchanged
# on every row, datum_cache.h), each model sealed and in the layout of the
# versions before seals (compared byte for byte), against sum(a + b + c + d)
# over the same rows, in one run.
#
# Usage: test/bench/bench_joint_seal.sh [ROWS]        (default 2000000)
#
# Connection, timing and table as in bench_joint_density.sh
# (test/lib/benchserver.sh): serial plans, the fastest of BENCH_REPS rounds,
# round robin, CPU time of the backend when readable.
#
# Models: d = 4 with 3 components (about 1 kB: stored inline and plain, so
# the row functions read its seal in place) and with 10 components (about
# 2.4 kB: a table stores it compressed, or with STORAGE external as a TOAST
# pointer; either way the seal cannot be read in place and the identity is
# the compressed bytes or the pointer).  The unsealed copy of each is its
# stored bytes with the layout word 1 and without the range and the seal,
# written through byteasend declared as a function to and from
# vgm_joint_model (a superuser's trick: byteasend copies a varlena's bytes).
#
# Environment: BENCH_REPS (default 5), BENCH_JIT (default off),
# BENCH_PRIVATE=1 (private server even when PGHOST/PGPORT are set).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/benchserver.sh
. "$REPO_ROOT/test/lib/benchserver.sh"
REPS=${BENCH_REPS:-5}
bench_joint_start "${1:-2000000}"

"${PSQL[@]}" <<-'EOF'
	CREATE OR REPLACE FUNCTION vgm_bench.raw(vgm_joint_model) RETURNS bytea
	    LANGUAGE internal IMMUTABLE STRICT AS 'byteasend';
	CREATE OR REPLACE FUNCTION vgm_bench.stored(bytea) RETURNS vgm_joint_model
	    LANGUAGE internal IMMUTABLE STRICT AS 'byteasend';
	-- the layout before seals: word 1, no range (16 d bytes after the header
	-- of 132 and the priors of 8 (d + d^2)), no seal (the last 32)
	CREATE OR REPLACE FUNCTION vgm_bench.unsealed(m vgm_joint_model) RETURNS vgm_joint_model
	LANGUAGE sql IMMUTABLE STRICT AS $$
	    SELECT vgm_bench.stored(overlay(substr(r, 1, 132 + p) placing '\x01000000'::bytea from 1)
	                            || substr(r, 132 + p + 16 * d + 1, length(r) - 132 - p - 16 * d - 32))
	    FROM (SELECT vgm_bench.raw(m) AS r, vgm_dims(m) AS d, 8 * (vgm_dims(m) + vgm_dims(m) * vgm_dims(m)) AS p) q
	$$;
	DROP TABLE IF EXISTS vgm_bench.seal_models, vgm_bench.seal_models_external;
	CREATE TABLE vgm_bench.seal_models (name text, m vgm_joint_model);
	CREATE TABLE vgm_bench.seal_models_external (name text, m vgm_joint_model);
	ALTER TABLE vgm_bench.seal_models_external ALTER m SET STORAGE external;
	WITH k(k) AS (VALUES (3), (10)),
	     sealed AS (
	        SELECT k, vgm_joint_model_from_mixture(
	            (SELECT array_agg((1.0 / k)::float8 + 0 * w) FROM generate_series(1, k) w),
	            (SELECT array_agg(ARRAY[3 * (j % 3), -(j % 3), 10 + 0.1 * j, 100 * (j % 3) + j]::float8[] ORDER BY j)
	               FROM generate_series(0, k - 1) j),
	            (SELECT array_agg(ARRAY[[1 + 0.1 * j, 0.5, 0.2, 0], [0.5, 1.25, 0, 0.3], [0.2, 0, 4 + j, 0.1],
	                                    [0, 0.3, 0.1, 26]]::float8[] ORDER BY j)
	               FROM generate_series(0, k - 1) j)) AS m
	        FROM k)
	INSERT INTO vgm_bench.seal_models
	SELECT 'k' || k || ' sealed', m FROM sealed
	UNION ALL SELECT 'k' || k || ' unsealed', vgm_bench.unsealed(m) FROM sealed;
	INSERT INTO vgm_bench.seal_models_external
	SELECT name || ', external', m::text::vgm_joint_model FROM vgm_bench.seal_models WHERE name LIKE 'k10 sealed';
	INSERT INTO vgm_bench.seal_models_external
	SELECT 'k10 unsealed, external', vgm_bench.unsealed(m::text::vgm_joint_model)
	FROM vgm_bench.seal_models WHERE name = 'k10 sealed';
	ANALYZE vgm_bench.seal_models;
	ANALYZE vgm_bench.seal_models_external;
EOF

QUERIES=$(
	printf 'sum(a + b + c + d)\tSELECT sum(a + b + c + d) FROM %s\n' "$TABLE"
	for name in "k3 sealed" "k3 unsealed" "k10 sealed" "k10 unsealed"; do
		printf 'join, %s\tSELECT sum(vgm_log_density(m, ARRAY[a, b, c, d])) FROM %s, vgm_bench.seal_models s WHERE s.name = '"'"'%s'"'"'\n' "$name" "$TABLE" "$name"
		printf 'subquery, %s\tSELECT sum(vgm_log_density((SELECT m FROM vgm_bench.seal_models s WHERE s.name = '"'"'%s'"'"'), ARRAY[a, b, c, d])) FROM %s\n' "$name" "$name" "$TABLE"
	done
	for name in "k10 sealed, external" "k10 unsealed, external"; do
		printf 'join, %s\tSELECT sum(vgm_log_density(m, ARRAY[a, b, c, d])) FROM %s, vgm_bench.seal_models_external s WHERE s.name = '"'"'%s'"'"'\n' "$name" "$TABLE" "$name"
	done
)
"${PSQL[@]}" -F $'\t' <<-EOF | bench_ratio_report "query ($ROWS rows, d = 4)"
	SELECT name, pg_column_size(m) AS stored_bytes FROM vgm_bench.seal_models
	UNION ALL SELECT name, pg_column_size(m) FROM vgm_bench.seal_models_external \g /dev/stderr
	$(bench_queries_sql <<<"$QUERIES")

	$(bench_timing_sql)
	SELECT name, wall_ms, cpu_ms FROM pg_temp.best_ms($REPS);
EOF
