#!/usr/bin/env bash
#
# make_seeds.sh - regenerate the seed corpora in test/fuzz/corpus/ from real
# values computed by a running server with the vgm extension (found through
# PGHOST / PGPORT / PGUSER / PGDATABASE).  Text seeds are vgm_model_out /
# vgm_summary_out, binary seeds vgm_model_send / vgm_summary_send, of the
# same models and summaries.  Deterministic: the data are generated from
# fixed formulas and fits use fixed seeds.
set -euo pipefail
FUZZ_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
C=$FUZZ_DIR/corpus
# hex on stdin -> bytes on stdout
unhex() { /usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))'; }
PSQL=(psql -X -q -At -c "SET client_min_messages = error" -v ON_ERROR_STOP=1)

mkdir -p "$C/fuzz_model_text" "$C/fuzz_model_binary" "$C/fuzz_summary_text" \
	"$C/fuzz_summary_binary"

# model NAME SQL - SQL yields one vgm_model
model() {
	local name=$1 sql=$2
	"${PSQL[@]}" -c "SELECT ($sql)::text" | tr -d '\n' >"$C/fuzz_model_text/$name.json"
	"${PSQL[@]}" -c "SELECT encode(vgm_model_send(($sql)), 'hex')" | unhex \
		>"$C/fuzz_model_binary/$name.bin"
}

# summary NAME SQL - SQL yields one vgm_summary
summary() {
	local name=$1 sql=$2
	"${PSQL[@]}" -c "SELECT ($sql)::text" | tr -d '\n' >"$C/fuzz_summary_text/$name.json"
	"${PSQL[@]}" -c "SELECT encode(vgm_summary_send(($sql)), 'hex')" | unhex \
		>"$C/fuzz_summary_binary/$name.bin"
}

# data: two or three well separated modes, deterministic
BIMODAL="SELECT CASE WHEN i % 3 = 0 THEN 10 + sin(i) ELSE -5 + cos(i * 7) * 2 END AS x FROM generate_series(1, 2000) i"
TRIMODAL="SELECT (i % 3) * 100 + sin(i * 13) * (1 + i % 3) AS x FROM generate_series(1, 3000) i"

model bimodal_k10 "SELECT vgm_fit(array_agg(x)) FROM ($BIMODAL) d"
model bimodal_k3 "SELECT vgm_fit(array_agg(x), max_components => 3, seed => 7) FROM ($BIMODAL) d"
model trimodal_k5_summary "SELECT vgm_fit(vgm_summarize(x), max_components => 5) FROM ($TRIMODAL) d"
model k1 "SELECT vgm_fit(ARRAY[1.5, 2.5, 3.25, 4]::float8[], max_components => 1)"
model constant "SELECT vgm_fit(ARRAY[7, 7, 7, 7]::float8[], max_components => 2)"
model one_row "SELECT vgm_fit(ARRAY[-0.0]::float8[], max_components => 2)"
model nonfinite_counts "SELECT vgm_fit(ARRAY[1, 2, NULL, 'NaN', 'Infinity', '-Infinity', 30, 31]::float8[], max_components => 4)"
model tiny_values "SELECT vgm_fit(ARRAY[1e-300, 2e-300, 3e-300, 5e-324]::float8[], max_components => 2)"
model unconverged "SELECT vgm_fit(array_agg(x), max_components => 20, max_iter => 2, tol => 0) FROM ($TRIMODAL) d"

summary five_rows "SELECT vgm_summarize(x) FROM generate_series(1, 5) x"
summary bimodal "SELECT vgm_summarize(x) FROM ($BIMODAL) d WHERE x > 10.9"
summary weighted "SELECT vgm_summarize(x, w) FROM (SELECT i * 0.25 AS x, abs(i % 4) * 0.5 AS w FROM generate_series(-20, 20) i) d"
summary nonfinite "SELECT vgm_summarize(x) FROM unnest(ARRAY[1, NULL, 'NaN', 'Infinity', '-Infinity', -2, 0, -0.0]::float8[]) x"
summary only_nulls "SELECT vgm_summarize(x) FROM unnest(ARRAY[NULL, NULL]::float8[]) x"
summary negative_zero "SELECT vgm_summarize(x) FROM unnest(ARRAY[-0.0, 0, -1e-310, 1e-310]::float8[]) x"
summary rollup "SELECT vgm_rollup(s) FROM (SELECT vgm_summarize(round(x::numeric, 1)::float8) s FROM ($TRIMODAL) d GROUP BY floor(x / 50)) q"
summary wide_range "SELECT vgm_summarize(x) FROM unnest(ARRAY[-1e150, -1, 1e-300, 1e150, 2.2250738585072014e-308]::float8[]) x"

# Keep the seeds small: libFuzzer's default max_len follows the largest.
for f in "$C"/*/*; do
	if (($(stat -c %s "$f") > 16384)); then
		echo "dropping large seed $f" >&2
		rm -f "$f"
	fi
done
ls -l "$C"/*

# fuzz_summary_acc: rows as raw little-endian doubles (see its header); no
# server needed.
mkdir -p "$C/fuzz_summary_acc"
/usr/bin/python3 - "$C/fuzz_summary_acc" <<'PY'
import math, struct, sys
out = sys.argv[1]
def seed(name, cap, weighted, rows):
    with open(f"{out}/{name}.bin", "wb") as f:
        f.write(bytes([cap, 1 if weighted else 0]))
        for r in rows:
            f.write(struct.pack("<d", r[0]) if not weighted else struct.pack("<dd", *r))
bimodal = [(10 + math.sin(i)) if i % 3 == 0 else (-5 + 2 * math.cos(7 * i)) for i in range(1, 200)]
seed("bimodal_cap4", 3, False, [(x,) for x in bimodal])
seed("bimodal_server_cap", 255, False, [(x,) for x in bimodal])
seed("weighted_cap8", 7, True, [(i * 0.25, abs(i % 4) * 0.5) for i in range(-20, 21)])
seed("nonfinite", 15, False, [(x,) for x in (1.0, float("nan"), float("inf"), -float("inf"), -2.0, 0.0, -0.0)])
# a row that joins an existing bucket only after coarsening (order matters
# for a cap rule that ignores the new row)
seed("coarsen_boundary", 3, False, [(1 + j * 2.0**-19,) for j in range(4)] + [(1 + 2.0**-20,)])
seed("wide_range", 1, False, [(x,) for x in (-1e40, -1.0, 1e-300, 1e40, 2.2250738585072014e-308, 5e-324)])
PY

# fuzz_ks_text: KS-histogram states in the layout vgm_ks_format writes
# (counts run-length coded), binned from the probability integral transform
# of deterministic data under a fixed normal; no server needed.
mkdir -p "$C/fuzz_ks_text" "$C/fuzz_ks_binary"
/usr/bin/python3 - "$C/fuzz_ks_text" "$C/fuzz_ks_binary" <<'PY'
import math, struct, sys
out, outb = sys.argv[1], sys.argv[2]
BINS = 1 << 16
def state(name, xs, h, nulls=0, nans=0, pinf=0, ninf=0):
    counts = [0] * BINS
    for x in xs:
        u = 0.5 * math.erfc(-x / math.sqrt(2))
        counts[min(int(u * BINS), BINS - 1)] += 1
    parts, i = [], 0
    while i < BINS:
        run = 0
        while i + run < BINS and counts[i + run] == 0:
            run += 1
        if run >= 2:
            parts.append(str(-run)); i += run
        else:
            parts.append(str(counts[i])); i += 1
    text = ('{"version":1,"bins":%d,"model_hash":"%016x","n":%d,"nulls":%d,"nans":%d,'
            '"pos_infs":%d,"neg_infs":%d,"counts":[%s]}' %
            (BINS, h, sum(counts), nulls, nans, pinf, ninf, ",".join(parts)))
    open(f"{out}/{name}.json", "w").write(text)
    # vgm_ks_state_send: header, then (bin, count) for the nonzero bins
    nz = [(i, v) for i, v in enumerate(counts) if v]
    b = struct.pack(">iiQqqqqqi", 1, BINS, h, sum(counts), nulls, nans, pinf, ninf, len(nz))
    b += b"".join(struct.pack(">iq", i, v) for i, v in nz)
    open(f"{outb}/{name}.bin", "wb").write(b)
state("normal_30", [math.sin(i * 1.7) * 1.5 for i in range(30)], 0x9e3779b97f4a7c15)
state("bimodal_60", [(2 + math.sin(i)) if i % 3 else (-2 + math.cos(i)) for i in range(60)], 0x0123456789abcdef, nulls=3, nans=1)
state("empty", [], 0xffffffffffffffff, nulls=5, pinf=1, ninf=2)
state("tails", [-9, -8.4, 0, 8.4, 9], 1)
PY

# joint summaries (vgm_joint_summary_out / _send): small, skipped rows,
# coarsened under the cap, only NULL rows, sixteen columns
mkdir -p "$C/fuzz_joint_summary_text" "$C/fuzz_joint_summary_binary"
joint() {
	local name=$1 sql=$2
	"${PSQL[@]}" -c "SELECT ($sql)::text" | tr -d '\n' >"$C/fuzz_joint_summary_text/$name.json"
	"${PSQL[@]}" -c "SELECT encode(vgm_joint_summary_send(($sql)), 'hex')" | unhex \
		>"$C/fuzz_joint_summary_binary/$name.bin"
}
joint small "SELECT vgm_joint_summarize(ARRAY[x, 2 * x + 1]) FROM generate_series(1, 3) x"
joint skipped "SELECT vgm_joint_summarize(CASE WHEN x % 3 = 0 THEN ARRAY[x, NULL, x] ELSE ARRAY[x, sin(x), -x] END) FROM generate_series(1, 40) x"
joint coarse "SELECT vgm_joint_summarize(ARRAY[exp(sin(x * 0.37)) * 1e6]) FROM generate_series(1, 5000) x"
joint nulls "SELECT vgm_joint_summarize(NULL::float8[]) FROM generate_series(1, 3)"
joint wide "SELECT vgm_joint_summarize(ARRAY(SELECT sin(x * k) FROM generate_series(1, 16) k)) FROM generate_series(1, 20) x"
# format version 3 (each column's range).  This script writes every joint
# summary in version 3; the committed seeds of the five lines above were
# written before version 3 and are kept in version 2, the older form that
# still reads.
joint range_exact "SELECT vgm_joint_summarize(ARRAY[x % 5, x * 0.25 - 3]) FROM generate_series(1, 30) x"
joint range_negative "SELECT vgm_joint_summarize(ARRAY[-x * 1e-3, -0.0, 1e300 / x]) FROM generate_series(1, 12) x"
