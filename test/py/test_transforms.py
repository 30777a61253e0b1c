#!/usr/bin/python3
"""Cross-check the row-by-row transforms (src/normalize.c) against
scikit-learn 1.2 and scipy, through psql.

Run with Debian's /usr/bin/python3 (python3-sklearn 1.2.1, scipy 1.10.1);
the server is found through PGHOST / PGPORT / PGUSER / PGDATABASE and its
database must already have the vgm extension.  Prints TAP.

What is checked
  * A BayesianGaussianMixture (Dirichlet-process prior, RDT's settings) is
    fitted on fixed data; its fitted posterior is written into the vgm_model
    JSON text form, so the server evaluates exactly scikit-learn's model.
  * vgm_predict_proba and vgm_score equal predict_proba and score_samples
    within 1e-9 relative (probabilities below 1e-300, which underflow
    differently, within 1e-300 absolute; scores near 0 within 1e-9
    absolute); vgm_predict equals predict.
  * vgm_component without a key is the argmax of predict_proba over the
    valid components (numbered from 0 among them), and vgm_alpha is RDT's
    clip((x - means) / (4 stds), -0.99, 0.99) for it, bit for bit.
  * With keys: over 100k keys the drawn components of a fixed x follow
    RDT's probabilities (predict_proba over the valid components, +1e-6,
    renormalised): chi-square goodness-of-fit at significance 0.001, with
    bins of expected count below 5 merged.  The draws are deterministic
    (fixed model seed and keys), so the p-value is the same on every run.
  * A serial plan and a forced parallel plan (2 workers, projection in the
    workers) give identical (component, alpha) rows on 200k rows.
  * vgm_sample: 1M draws reproduce the mixture mean and variance within 5
    standard errors, are deterministic for a seed and differ across seeds.
  * vgm_cdf equals the scipy norm.cdf mixture within 1e-12 absolute, and
    vgm_log_density the scipy logpdf mixture within 1e-12 relative.
"""
import math
import os
import sys

import numpy as np
from scipy import stats
from scipy.special import logsumexp
from sklearn.mixture import BayesianGaussianMixture

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vgmtest import done, model_json, ok, psql_lines as psql  # noqa: E402

SCHEMA = "vgm_test_transforms_py"


def pg_array(text):
    """Parse a float8[] text like {1,2.5e-10,0}."""
    return [float(v) for v in text.strip("{}").split(",")]


def sql_float8_array(values):
    """A float8[] literal whose elements read back exactly (repr round-trips)."""
    return "ARRAY[" + ",".join(repr(float(v)) for v in values) + "]::float8[]"


def rel_close(a, b, rtol, atol):
    return abs(a - b) <= max(rtol * max(abs(a), abs(b)), atol)


def main():
    rng = np.random.default_rng(20240611)
    data = np.concatenate([rng.normal(-5.0, 1.0, 700), rng.normal(3.0, 0.5, 900),
                           rng.normal(12.0, 2.0, 400)])
    # RDT's ClusterBasedNormalizer settings
    bgm = BayesianGaussianMixture(
        n_components=6, weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=0.001, n_init=1, max_iter=1000, random_state=0)
    bgm.fit(data.reshape(-1, 1))
    threshold = 0.005
    seed = 1234567
    model = model_json(bgm, data, threshold, seed)
    valid = bgm.weights_ > threshold
    valid_idx = np.flatnonzero(valid)
    means = bgm.means_[:, 0]
    stds = np.sqrt(bgm.covariances_[:, 0, 0])
    print(f"# sklearn model: weights {np.round(bgm.weights_, 6).tolist()}, valid {valid_idx.tolist()}")

    psql(f"""
DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;
CREATE SCHEMA {SCHEMA};
CREATE TABLE {SCHEMA}.models (name text PRIMARY KEY, model vgm_model);
INSERT INTO {SCHEMA}.models VALUES ('sk', '{model}');
""")
    m = f"(SELECT model FROM {SCHEMA}.models WHERE name = 'sk')"
    mlit = f"'{model}'::vgm_model"

    ok(psql(f"SELECT vgm_valid_components({m})")[0]
       == "{" + ",".join(str(i) for i in valid_idx) + "}",
       "server sees the same valid components as weights_ > threshold")

    # -------------------------------------------------- predictions ----
    grid = np.concatenate([data[::7], np.linspace(-20, 30, 101),
                           [-1e3, -60.0, 45.0, 1e3, 0.0, 3.0, -5.0, 12.0]])
    rows = psql(f"""
SELECT vgm_predict_proba(m, x), vgm_score(m, x), vgm_predict(m, x),
       vgm_component(m, x), vgm_alpha(m, x), vgm_log_density(m, x), vgm_cdf(m, x)
FROM (SELECT {m} AS m) s, unnest({sql_float8_array(grid)}) WITH ORDINALITY AS u(x, i)
ORDER BY i""")
    ok(len(rows) == len(grid), f"one row per point ({len(grid)})")
    X = grid.reshape(-1, 1)
    proba = bgm.predict_proba(X)
    score = bgm.score_samples(X)
    pred = bgm.predict(X)
    wlp = bgm._estimate_weighted_log_prob(X)

    bad_proba, bad_score, bad_pred, bad_comp, bad_alpha, bad_dens, bad_cdf = [], [], [], [], [], [], []
    worst_proba = worst_score = worst_cdf = worst_dens = 0.0
    for i, line in enumerate(rows):
        f = line.split("|")
        pp = pg_array(f[0])
        for j in range(len(pp)):
            ref = proba[i, j]
            err = abs(pp[j] - ref)
            if max(abs(pp[j]), abs(ref)) > 1e-300:
                worst_proba = max(worst_proba, err / max(abs(pp[j]), abs(ref)))
            if not rel_close(pp[j], ref, 1e-9, 1e-300):
                bad_proba.append((grid[i], j, pp[j], ref))
        sc = float(f[1])
        worst_score = max(worst_score, abs(sc - score[i]) / max(abs(score[i]), 1.0))
        if not rel_close(sc, score[i], 1e-9, 1e-9):
            bad_score.append((grid[i], sc, score[i]))
        if int(f[2]) != pred[i]:
            bad_pred.append((grid[i], int(f[2]), pred[i]))
        # without a draw: argmax over the valid components of the weighted log
        # probability (= of predict_proba, except where predict_proba underflows)
        v = int(np.argmax(wlp[i, valid_idx]))
        if int(f[3]) != v:
            bad_comp.append((grid[i], int(f[3]), v))
        j = valid_idx[v]
        alpha = np.clip((grid[i] - means[j]) / (4 * stds[j]), -0.99, 0.99)
        if float(f[4]) != alpha:
            bad_alpha.append((grid[i], float(f[4]), alpha))
        dens = logsumexp(np.log(bgm.weights_) + stats.norm.logpdf(grid[i], means, stds))
        worst_dens = max(worst_dens, abs(float(f[5]) - dens) / abs(dens))
        if not rel_close(float(f[5]), dens, 1e-12, 0.0):
            bad_dens.append((grid[i], float(f[5]), dens))
        cdf = float(np.sum(bgm.weights_ * stats.norm.cdf(grid[i], means, stds)))
        worst_cdf = max(worst_cdf, abs(float(f[6]) - cdf))
        if abs(float(f[6]) - cdf) > 1e-12:
            bad_cdf.append((grid[i], float(f[6]), cdf))
    ok(not bad_proba, f"vgm_predict_proba = predict_proba within 1e-9 relative "
       f"(worst {worst_proba:.2e})", bad_proba[:5])
    ok(not bad_score, f"vgm_score = score_samples within 1e-9 relative "
       f"(worst {worst_score:.2e})", bad_score[:5])
    ok(not bad_pred, "vgm_predict = predict", bad_pred[:5])
    ok(not bad_comp, "vgm_component(m, x) = argmax over the valid components of sklearn's weighted log prob",
       bad_comp[:5])
    ok(not bad_alpha, "vgm_alpha(m, x) = RDT's clip((x - mean) / (4 std)) bit for bit", bad_alpha[:5])
    ok(not bad_dens, f"vgm_log_density = scipy logpdf mixture within 1e-12 relative "
       f"(worst {worst_dens:.2e})", bad_dens[:5])
    ok(not bad_cdf, f"vgm_cdf = scipy norm.cdf mixture within 1e-12 absolute "
       f"(worst {worst_cdf:.2e})", bad_cdf[:5])

    # ------------------------------------------------ keyed draws ----
    # Points where two valid components share the mass, so the draw matters:
    # on a fine grid, the points nearest to an even split between the two
    # most probable valid components, one per pair of neighbouring means.
    n_keys = 100000
    fine = np.linspace(np.min(means[valid_idx]), np.max(means[valid_idx]), 20001)
    pv = bgm.predict_proba(fine.reshape(-1, 1))[:, valid_idx]
    top = np.sort(pv, axis=1)[:, -1]
    split_points = []
    order = np.argsort(means[valid_idx])
    for a, b in zip(order[:-1], order[1:]):
        between = (fine > means[valid_idx][a]) & (fine < means[valid_idx][b])
        i = int(np.argmin(np.where(between, top, 2.0)))
        split_points.append(float(fine[i]))
    key_x = split_points[0]
    print(f"# keyed draws at {split_points}, top probability {[float(top[np.searchsorted(fine, x)]) for x in split_points]}")
    for x in split_points:
        p = bgm.predict_proba(np.array([[x]]))[0][valid_idx] + 1e-6
        p = p / p.sum()
        counts = dict.fromkeys(range(len(valid_idx)), 0)
        for line in psql(f"""
SELECT vgm_component({mlit}, {x!r}::float8, k), count(*)
FROM generate_series(1, {n_keys}) k GROUP BY 1 ORDER BY 1"""):
            c, n = line.split("|")
            counts[int(c)] = int(n)
        obs = np.array([counts[v] for v in range(len(valid_idx))], dtype=float)
        exp_ = p * n_keys
        # merge bins with expected count below 5 (chi-square needs them large)
        big = exp_ >= 5
        o = list(obs[big]) + ([obs[~big].sum()] if (~big).any() else [])
        e = list(exp_[big]) + ([exp_[~big].sum()] if (~big).any() else [])
        if len(o) >= 2 and e[-1] < 5:  # a merged bin still too small: fold it into the largest
            big_i = int(np.argmax(e[:-1]))
            o[big_i] += o.pop()
            e[big_i] += e.pop()
        if len(o) >= 2:
            chi2, pval = stats.chisquare(o, e)
        else:
            chi2, pval = 0.0, 1.0
        ok(pval > 0.001 and obs.sum() == n_keys,
           f"keyed draws at x={x:.6g} follow RDT's probabilities "
           f"(chi-square {chi2:.2f}, {len(o) - 1} dof, p={pval:.3g} > 0.001)",
           f"observed {obs.tolist()}\nexpected {exp_.tolist()}")

    # same row, same draw; the memo must not leak across keys
    r = psql(f"""
SELECT count(*) FILTER (WHERE a IS DISTINCT FROM b), count(DISTINCT a)
FROM (SELECT vgm_component({mlit}, {key_x!r}::float8, k) a, vgm_component({m}, {key_x!r}::float8, k) b
      FROM generate_series(1, 2000) k) s""")[0].split("|")
    ok(r[0] == "0" and int(r[1]) >= 2,
       "keyed draws are the same for a literal and a table model, and vary with the key", r)

    # ------------------------------------------ serial vs parallel ----
    psql(f"""
CREATE TABLE {SCHEMA}.t AS
SELECT i::bigint AS id,
       CASE i % 3 WHEN 0 THEN -5 + 2 * sin(i) WHEN 1 THEN 3 + cos(i) ELSE 12 + 4 * sin(7 * i) END AS x
FROM generate_series(1, 200000) i;
ANALYZE {SCHEMA}.t;""")
    q = f"SELECT id, vgm_component({mlit}, x, id), vgm_alpha({mlit}, x, id), vgm_component({mlit}, x) FROM {SCHEMA}.t"
    serial = psql(f"SET max_parallel_workers_per_gather = 0;\n{q};")
    force = """SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;"""
    plan = "\n".join(psql(f"{force}\nEXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) {q};"))
    parallel = psql(f"{force}\n{q};")
    launched = [int(s.split(":")[1]) for s in plan.splitlines() if "Workers Launched" in s]
    ok(launched and launched[0] >= 1 and "Parallel Seq Scan" in plan,
       f"forced parallel plan runs the transforms in workers (launched {launched})", plan)
    ok(len(serial) == 200000 and sorted(serial) == sorted(parallel),
       "serial and parallel plans give identical drawn rows (200k rows)",
       f"{len(serial)} vs {len(parallel)} rows")

    # ------------------------------------------------------ sampling ----
    w = bgm.weights_
    mu = float(np.sum(w * means))
    var = float(np.sum(w * (stds ** 2 + means ** 2)) - mu ** 2)
    d = means - mu
    m4 = float(np.sum(w * (d ** 4 + 6 * d ** 2 * stds ** 2 + 3 * stds ** 4)))
    n = 1000000
    r = psql(f"SELECT count(*), avg(s), var_pop(s) FROM vgm_sample({m}, {n}, 99) s")[0].split("|")
    cnt, avg, vp = int(r[0]), float(r[1]), float(r[2])
    se_mean = math.sqrt(var / n)
    se_var = math.sqrt((m4 - var ** 2) / n)
    ok(cnt == n and abs(avg - mu) < 5 * se_mean,
       f"vgm_sample mean {avg:.5f} vs mixture {mu:.5f} within 5 SE ({se_mean:.2e})")
    ok(abs(vp - var) < 5 * se_var,
       f"vgm_sample variance {vp:.5f} vs mixture {var:.5f} within 5 SE ({se_var:.2e})")
    h = psql(f"""
SELECT (SELECT md5(string_agg(s::text, ',')) FROM vgm_sample({m}, 10000, 5) s),
       (SELECT md5(string_agg(s::text, ',')) FROM vgm_sample({mlit}, 10000, 5) s),
       (SELECT md5(string_agg(s::text, ',')) FROM vgm_sample({m}, 10000, 6) s)""")[0].split("|")
    ok(h[0] == h[1] and h[0] != h[2], "vgm_sample is deterministic for a seed and differs across seeds")

    psql(f"DROP SCHEMA {SCHEMA} CASCADE;")
    return done()


if __name__ == "__main__":
    sys.exit(main())
