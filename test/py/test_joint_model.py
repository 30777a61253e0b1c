#!/usr/bin/python3
"""Cross-check the functions of vgm_joint_model (src/joint_functions.c,
src/joint_marginal.c) against scikit-learn 1.2 and SciPy, through psql.

Run with Debian's /usr/bin/python3 (python3-sklearn 1.2.1, scipy 1.10.1);
the server is found through PGHOST / PGPORT / PGUSER / PGDATABASE and its
database must already have the vgm extension.  Prints TAP.

What is checked, for BayesianGaussianMixture fits (full covariance,
Dirichlet process) in 2, 3, 5 and 8 dimensions whose fitted posterior is
written into the vgm_joint_model JSON text, so that the server evaluates
exactly scikit-learn's model:
  * vgm_score equals score_samples and vgm_predict_proba equals
    predict_proba within 1e-9 relative (probabilities below 1e-300 within
    1e-300 absolute); vgm_predict equals predict on rows without a near tie;
  * vgm_log_density equals the SciPy mixture
    logsumexp_j(log w_j + multivariate_normal(mu_j, Sigma_j).logpdf(x))
    within 1e-10 relative;
  * vgm_marginal(m, c): vgm_log_density of the marginal equals the SciPy
    mixture of the column's normals within 1e-10 relative, and its weights,
    means and standard deviations are the column's;
  * the vgm_joint_model text written here reads back (m::text) to the same
    numbers.
"""
import json
import os
import sys
import warnings

import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_normal, norm
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import vgmtest  # noqa: E402


def joint_model_json(g, n_rows):
    """The vgm_joint_model JSON text of a fitted BayesianGaussianMixture."""
    a, b = g.weight_concentration_
    cov_prior = np.asarray(g.covariance_prior_, float)
    # the validator wants symmetric matrices; numpy's products may differ in the last bit
    covs = [(c + c.T) / 2 for c in g.covariances_]
    doc = {
        "version": 1, "dims": int(g.means_.shape[1]), "k": int(g.n_components),
        "weights": [float(v) for v in g.weights_],
        "means": g.means_.tolist(),
        "covariances": [c.tolist() for c in covs],
        "mean_precision": [float(v) for v in g.mean_precision_],
        "degrees_of_freedom": [float(v) for v in g.degrees_of_freedom_],
        "weight_concentration_a": [float(v) for v in a],
        "weight_concentration_b": [float(v) for v in b],
        "weight_threshold": 0.005,
        "priors": {
            "weight_concentration": float(g.weight_concentration_prior_),
            "mean_precision": float(g.mean_precision_prior_),
            "mean": [float(v) for v in g.mean_prior_],
            "degrees_of_freedom": float(g.degrees_of_freedom_prior_),
            "covariance": ((cov_prior + cov_prior.T) / 2).tolist(),
            "reg_covar": float(g.reg_covar),
        },
        "fit": {"max_iter": int(g.max_iter), "n_init": 1, "tol": float(g.tol), "seed": 42,
                "iterations": int(g.n_iter_), "converged": bool(g.converged_),
                "lower_bound": float(g.lower_bound_), "fit_ms": 0.0},
        "training": {"rows": n_rows, "points": n_rows, "skipped_rows": 0, "total_weight": float(n_rows)},
    }
    return json.dumps(doc), covs


def sql_array(row):
    return "ARRAY[" + ",".join(repr(float(v)) for v in row) + "]::float8[]"


def rel_close(got, want, rel, floor=0.0):
    return abs(got - want) <= rel * abs(want) + floor


def check(d, seed):
    rng = np.random.default_rng(seed)
    n = 800
    centers = rng.normal(scale=5.0, size=(3, d))
    mix = rng.integers(0, 3, size=n)
    a = rng.normal(size=(3, d, d))
    data = np.stack([centers[m] + a[m] @ rng.normal(size=d) for m in mix])
    g = BayesianGaussianMixture(n_components=5, covariance_type="full",
                                weight_concentration_prior_type="dirichlet_process",
                                weight_concentration_prior=0.001, max_iter=50,
                                random_state=seed).fit(data)
    text, covs = joint_model_json(g, n)
    # rows: training rows, points between clusters, far points
    xs = np.vstack([data[:40], rng.normal(scale=8.0, size=(20, d)), centers * 6.0])
    sql = ["CREATE TEMP TABLE m AS SELECT $json$" + text + "$json$::vgm_joint_model AS m;"]
    for x in xs:
        arr = sql_array(x)
        sql.append(f"SELECT vgm_log_density(m, {arr}), vgm_score(m, {arr}), vgm_predict(m, {arr}), "
                   f"array_to_string(vgm_predict_proba(m, {arr}), ',') FROM m;")
    lines = vgmtest.psql_lines("SET extra_float_digits = 3;\n" + "\n".join(sql))
    got = [line.split("|") for line in lines]

    w = g.weights_
    want_ld = [logsumexp([np.log(w[j]) + multivariate_normal(g.means_[j], covs[j]).logpdf(x)
                          for j in range(len(w)) if w[j] > 0]) for x in xs]
    want_score = g.score_samples(xs)
    want_proba = g.predict_proba(xs)
    want_pred = g.predict(xs)
    bad_ld = [i for i, r in enumerate(got) if not rel_close(float(r[0]), want_ld[i], 1e-10)]
    bad_score = [i for i, r in enumerate(got) if not rel_close(float(r[1]), want_score[i], 1e-9)]
    bad_proba = []
    bad_pred = []
    for i, r in enumerate(got):
        p = [float(v) for v in r[3].split(",")]
        if not all(rel_close(p[j], want_proba[i][j], 1e-9, 1e-300) for j in range(len(p))):
            bad_proba.append(i)
        top = sorted(want_proba[i])[-2:]
        if int(r[2]) != want_pred[i] and not (len(top) == 2 and abs(top[1] - top[0]) < 1e-12):
            bad_pred.append(i)
    tag = f"d = {d}, k = 5 (seed {seed}), {len(xs)} rows"
    vgmtest.ok(not bad_ld, f"{tag}: vgm_log_density = SciPy mixture within 1e-10",
               f"rows {bad_ld[:5]}: {[(got[i][0], want_ld[i]) for i in bad_ld[:3]]}")
    vgmtest.ok(not bad_score, f"{tag}: vgm_score = score_samples within 1e-9",
               f"rows {bad_score[:5]}: {[(got[i][1], want_score[i]) for i in bad_score[:3]]}")
    vgmtest.ok(not bad_proba, f"{tag}: vgm_predict_proba = predict_proba within 1e-9",
               f"rows {bad_proba[:5]}")
    vgmtest.ok(not bad_pred, f"{tag}: vgm_predict = predict", f"rows {bad_pred[:5]}")

    # marginals of two columns at a few values
    cols = [1, d]
    vals = [float(v) for v in np.linspace(data.min(), data.max(), 7)]
    sql = ["CREATE TEMP TABLE m AS SELECT $json$" + text + "$json$::vgm_joint_model AS m;"]
    for c in cols:
        for v in vals:
            sql.append(f"SELECT vgm_log_density(vgm_marginal(m, {c}), {v!r}) FROM m;")
        sql.append(f"SELECT array_to_string(vgm_means(vgm_marginal(m, {c})), ','), "
                   f"array_to_string(vgm_stddevs(vgm_marginal(m, {c})), ','), "
                   f"array_to_string(vgm_weights(vgm_marginal(m, {c})), ',') FROM m;")
    lines = vgmtest.psql_lines("SET extra_float_digits = 3;\n" + "\n".join(sql))
    pos = 0
    for c in cols:
        bad = []
        for v in vals:
            want = logsumexp([np.log(w[j]) + norm(g.means_[j][c - 1], np.sqrt(covs[j][c - 1][c - 1])).logpdf(v)
                              for j in range(len(w)) if w[j] > 0])
            if not rel_close(float(lines[pos]), want, 1e-10):
                bad.append((v, lines[pos], want))
            pos += 1
        means, sds, ws = ([float(x) for x in part.split(",")] for part in lines[pos].split("|"))
        pos += 1
        same = (np.array_equal(means, g.means_[:, c - 1]) and np.array_equal(ws, w) and
                np.allclose(sds, [np.sqrt(covs[j][c - 1][c - 1]) for j in range(len(w))], rtol=1e-15, atol=0))
        vgmtest.ok(not bad, f"{tag}: vgm_marginal(m, {c}) log density = SciPy's marginal within 1e-10",
                   f"{bad[:3]}")
        vgmtest.ok(same, f"{tag}: vgm_marginal(m, {c}) carries the column's weights, means and deviations")

    back = vgmtest.psql("SELECT $json$" + text + "$json$::vgm_joint_model::text")
    doc = json.loads(back)
    vgmtest.ok(doc["means"] == g.means_.tolist() and doc["weights"] == [float(v) for v in g.weights_],
               f"{tag}: the text form reads back to the same numbers")


def main():
    # 50 iterations are enough for a model to compare; convergence is not the point here
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    for d, seed in ((2, 1), (3, 2), (5, 3), (8, 4)):
        check(d, seed)
    return vgmtest.done()


if __name__ == "__main__":
    sys.exit(main())
