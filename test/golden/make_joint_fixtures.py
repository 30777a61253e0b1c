#!/usr/bin/python3
"""Golden fixtures for the joint VB-EM engine (src/joint_vbem.c), from scikit-learn 1.2.1.

What
    For fixed d-dimensional data sets (d = 2, 3, 5, 8) and fixed initial
    responsibilities, drive scikit-learn as make_fixtures.py does for the
    1-D engine (golden_common.new_mixture and golden_common.iterate: the
    private methods BaseMixture.fit_predict calls after initialisation)
    and record the priors and the posterior after iterations 0, 1, 10 and
    100 (both Beta arrays of weight_concentration_, mean_precision_, means_,
    degrees_of_freedom_, covariances_, weights_), plus the lower bound and
    the E-step's mean log normaliser for iterations >= 1.
    test/unit/test_joint_vbem.c replays the same steps with the C engine.

    Real tables.  Some cases take rows of ../shared/data/ (faithful.csv,
    UCI_Credit_Card.csv, ctgan_adult.csv).  The data are not copied into the
    fixture: a "source" record names the file, the first row and the count
    and the column indexes, and a "data_sum" record lets the C test check
    that it read the same numbers.  Without the folder those cases are
    skipped (and the test says so).

    Tolerance.  Every case is also run from responsibilities perturbed by
    1e-14 relative; when scikit-learn's own results move by more than a
    tenth of the default tolerance (1e-9 up to iteration 10, 1e-6 at 100),
    a "tolerance" record of 10 times that movement (one significant digit,
    rounded up) replaces the default for that iteration, and a comment
    line gives the measured movement.  That is the reproducibility of the
    reference itself on ill-conditioned data (collinear columns).

How to regenerate (Debian's python3-sklearn 1.2.1; the pyenv `python3` on
PATH has no sklearn):

    /usr/bin/python3 test/golden/make_joint_fixtures.py [DATA_DIR]

DATA_DIR defaults to ../shared/data beside the project.  It writes
test/golden/joint_fixtures.txt; the output is deterministic.

File format (one record per line, fields separated by one space, '#'
starts a comment line):

    case NAME                 start of a case
    d D / n N / k K
    weight_concentration_prior G
    data x_11 .. x_1D x_21 .. x_ND         (row-major) or
    source FILE FIRST COUNT C_1 .. C_D     rows FIRST .. FIRST+COUNT-1 after
                                           the header, 0-based column indexes
    data_sum S                sum of all data values (math.fsum)
    labels l_1 .. l_N         initial hard responsibilities, or
    resp r_11 .. r_NK         initial soft responsibilities (row-major)
    prior_weight_concentration / prior_mean_precision / prior_dof /
    prior_reg_covar v
    prior_mean m_1 .. m_D
    prior_covariance c_11 .. c_DD
    iter I                    the following records belong to iteration I
    tolerance T               (optional) relative tolerance for iteration I
    conc_a / conc_b / mean_precision / dof / weights    K values
    means                     K x D
    covariances               K x D x D
    lower_bound v / log_prob_norm v      (I >= 1)
    end
"""

import csv
import math
import os
import sys

import numpy as np

from golden_common import (RECORD_ITERS, fmt, hard_resp, iterate, new_mixture,
                           posterior_records, quantile_labels, require_sklearn_1_2_1,
                           round_up_1sig, soft_resp, write_header)

HERE = os.path.dirname(os.path.abspath(__file__))


def read_table(data_dir, name, first, count, columns):
    """Rows first..first+count-1 (after the header) of the named columns."""
    path = os.path.join(data_dir, name)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = [h.strip().strip('"') for h in rows[0]]
    idx = [header.index(c) for c in columns]
    body = rows[1 + first:1 + first + count]
    x = np.array([[float(r[i]) for i in idx] for r in body], dtype=np.float64)
    assert x.shape == (count, len(columns))
    return x, (name, first, count, idx)


def correlated_blobs(seed, d, centers, sizes, scale):
    rng = np.random.default_rng(seed)
    parts = []
    for c, m in zip(centers, sizes):
        a = rng.normal(0.0, scale, (d, d))
        parts.append(rng.normal(0.0, 1.0, (m, d)) @ a + c)
    x = np.concatenate(parts)
    labels = np.repeat(np.arange(len(sizes)), sizes)
    perm = rng.permutation(x.shape[0])
    return x[perm], labels[perm]


def make_cases(data_dir):
    """(name, X, k, gamma, resp, initial record ('labels', l) or ('resp', r), source)."""
    cases = []

    # d = 2, generated: three correlated blobs, true labels
    x, lab = correlated_blobs(11, 2, [np.array([-6.0, 0.0]), np.array([0.0, 4.0]),
                                      np.array([5.0, -2.0])], [120, 100, 80], 1.0)
    cases.append(("blobs_d2_k3_hard", x, 3, 0.001, ("labels", lab), None))

    # d = 2, real: Old Faithful, soft responsibilities
    if data_dir:
        x, src = read_table(data_dir, "faithful.csv", 0, 272, ["eruptions", "waiting"])
        cases.append(("faithful_d2_k6_soft", x, 6, 0.001,
                      ("resp", soft_resp(272, 6, 2002)), src))

    # d = 3, real: credit limit, first bill, first payment (point masses at 0)
    if data_dir:
        x, src = read_table(data_dir, "UCI_Credit_Card.csv", 0, 400,
                            ["LIMIT_BAL", "BILL_AMT1", "PAY_AMT1"])
        cases.append(("credit_d3_k5_quantile", x, 5, 0.001,
                      ("labels", quantile_labels(x[:, 1], 5)), src))

    # d = 3, generated, gamma 1 and random labels
    x, lab = correlated_blobs(33, 3, [np.zeros(3), np.array([3.0, 3.0, 0.0]),
                                      np.array([0.0, -4.0, 4.0]), np.array([-5.0, 1.0, 1.0])],
                              [90, 70, 60, 30], 0.8)
    cases.append(("blobs_d3_k6_randlabels_gamma1", x, 6, 1.0,
                  ("labels", np.random.default_rng(3003).integers(0, 6, x.shape[0])), None))

    # d = 5, real: adult census, capital-gain/-loss constant (0) inside most clusters
    if data_dir:
        x, src = read_table(data_dir, "ctgan_adult.csv", 0, 500,
                            ["age", "fnlwgt", "capital-gain", "capital-loss", "hours-per-week"])
        cases.append(("adult_d5_k10_quantile", x, 10, 0.001,
                      ("labels", quantile_labels(x[:, 0], 10)), src))

    # d = 5, generated, soft, gamma 1/k
    x, lab = correlated_blobs(55, 5, [np.zeros(5), np.full(5, 3.0),
                                      np.array([4.0, -4.0, 0.0, 2.0, -1.0])], [150, 100, 100], 1.0)
    cases.append(("blobs_d5_k4_soft_gamma_inv_k", x, 4, 0.25,
                  ("resp", soft_resp(x.shape[0], 4, 5005)), None))

    # d = 8, generated, soft
    centers = [np.random.default_rng(80 + i).normal(0.0, 4.0, 8) for i in range(4)]
    x, lab = correlated_blobs(88, 8, centers, [150, 150, 100, 100], 0.7)
    cases.append(("blobs_d8_k8_soft", x, 8, 0.001,
                  ("resp", soft_resp(x.shape[0], 8, 8008, alpha=0.5)), None))

    # d = 8, real: six monthly bills (strongly correlated) and two payments
    if data_dir:
        cols = ["BILL_AMT%d" % i for i in range(1, 7)] + ["PAY_AMT1", "PAY_AMT2"]
        x, src = read_table(data_dir, "UCI_Credit_Card.csv", 1000, 600, cols)
        cases.append(("credit_d8_k6_quantile", x, 6, 0.001,
                      ("labels", quantile_labels(x[:, 0], 6)), src))
    return cases


def snapshot(bgm):
    """The posterior's records: means k x d, covariances k x d x d."""
    return posterior_records(bgm, lambda b: b.means_, lambda b: b.covariances_)


def drive(X, k, gamma, resp):
    """Run scikit-learn step by step; return (priors, {iteration: records})."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    resp = np.ascontiguousarray(resp, dtype=np.float64)
    bgm = new_mixture(k, gamma)
    bgm._check_parameters(X)
    priors = [
        ("prior_weight_concentration", bgm.weight_concentration_prior_),
        ("prior_mean_precision", bgm.mean_precision_prior_),
        ("prior_dof", bgm.degrees_of_freedom_prior_),
        ("prior_reg_covar", bgm.reg_covar),
        ("prior_mean", bgm.mean_prior_),
        ("prior_covariance", bgm.covariance_prior_),
    ]
    return priors, iterate(bgm, X, resp, snapshot)


def scaled_diff(key, va, vb, sd):
    """Largest difference in the units the C test compares in (sd: the data's deviations)."""
    va = np.asarray(va, dtype=np.float64)
    vb = np.asarray(vb, dtype=np.float64)
    if key == "covariances":
        diag = np.sqrt(np.einsum("kii->ki", np.abs(vb)))
        scale = diag[:, :, None] * diag[:, None, :]
        return float(np.max(np.abs(va - vb) / scale))
    if key == "means":
        return float(np.max(np.abs(va - vb) / np.maximum(np.abs(vb), sd[None, :])))
    va = np.atleast_1d(va)
    vb = np.atleast_1d(vb)
    return float(np.max(np.abs(va - vb) / np.abs(vb)))


def max_diff(recs_a, recs_b, sd):
    return max(scaled_diff(ka, va, vb, sd) for (ka, va), (kb, vb) in zip(recs_a, recs_b))


def run_case(out, name, X, k, gamma, init, source):
    kind, values = init
    resp = hard_resp(values, k) if kind == "labels" else values
    n, d = X.shape
    priors, snaps = drive(X, k, gamma, resp)
    sd = np.sqrt(np.diag(dict(priors)["prior_covariance"]))
    z = np.random.default_rng(9).standard_normal(resp.shape)
    _, perturbed = drive(X, k, gamma, resp * (1 + 1e-14 * z))

    def line(key, vals, fmt_one=fmt):
        vals = np.atleast_1d(np.asarray(vals)).ravel()
        out.write(key + " " + " ".join(fmt_one(v) for v in vals) + "\n")

    out.write("case %s\n" % name)
    out.write("d %d\nn %d\nk %d\n" % (d, n, k))
    line("weight_concentration_prior", gamma)
    if source:
        fname, first, count, idx = source
        out.write("source %s %d %d %s\n" % (fname, first, count, " ".join(map(str, idx))))
    else:
        line("data", X)
    line("data_sum", math.fsum(X.ravel()))
    if kind == "labels":
        line("labels", values, lambda v: "%d" % v)
    else:
        line("resp", resp)
    for key, vals in priors:
        line(key, vals)
    for it in RECORD_ITERS:
        out.write("iter %d\n" % it)
        default = 1e-6 if it >= 100 else 1e-9
        moved = max_diff(perturbed[it], snaps[it], sd)
        out.write("# iter %d: a 1e-14 perturbation of resp moves scikit-learn by %.2e\n"
                  % (it, moved))
        if 10.0 * moved > default:
            line("tolerance", round_up_1sig(10.0 * moved))
        for key, vals in snaps[it]:
            line(key, vals)
    out.write("end\n")


def main():
    require_sklearn_1_2_1()
    data_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        HERE, "..", "..", "..", "shared", "data")
    if not os.path.isdir(data_dir):
        sys.exit("no data folder %s: the real-table cases need it" % data_dir)
    path = os.path.join(HERE, "joint_fixtures.txt")
    cases = make_cases(data_dir)
    with open(path, "w") as out:
        write_header(out, "make_joint_fixtures.py")
        for name, X, k, gamma, init, source in cases:
            run_case(out, name, X, k, gamma, init, source)
    print("wrote %s (%d cases)" % (path, len(cases)))


if __name__ == "__main__":
    main()
