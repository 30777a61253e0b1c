#!/usr/bin/python3
"""Golden fixtures for the VB-EM engine (src/vbem.c), from scikit-learn 1.2.1.

What
    For a few fixed 1-D data sets and fixed initial responsibilities, drive
    scikit-learn's BayesianGaussianMixture(covariance_type='full',
    weight_concentration_prior_type='dirichlet_process', reg_covar=1e-6)
    through its own private methods, exactly as BaseMixture.fit_predict does
    after initialisation (golden_common.iterate):

        bgm._check_parameters(X)          # priors
        bgm._initialize(X, resp)          # "iteration 0" (an M-step on resp)
        for it in 1..100:
            log_prob_norm, log_resp = bgm._e_step(X)
            bgm._m_step(X, log_resp)
            lb = bgm._compute_lower_bound(log_resp, log_prob_norm)

    and record the priors, the posterior after iterations 0, 1, 10 and 100
    (weight_concentration_ (both Beta arrays), mean_precision_, means_,
    degrees_of_freedom_, covariances_, weights_ via
    _set_parameters(_get_parameters())), plus the lower bound and the E-step's
    mean log normaliser for iterations >= 1.  test/unit/test_vbem.c replays
    the same steps with the C engine and compares.

    Huge offsets.  For data at 1e9 + N(0, 1) the problem itself is
    ill-conditioned in double precision: a component mean near 1e9 is only
    representable to ulp(1e9) = 1.2e-7, i.e. ~1e-7 of the spread, and
    scikit-learn's own arithmetic (np.dot sums of values ~1e9, the E-step's
    x*L - mu*L) rounds at that level.  Runs that differ only by round-off
    (the same data translated exactly by 1e9, 1e9 - 0.5 or -1; initial
    responsibilities perturbed by 1e-14 relative) differ from the plain run
    by up to ~1.3e-7 relative after one iteration, ~1.2e-6 after 10 and
    ~3e-6 after 100 (see the comments in the fixture file), and
    merely rounding the posterior means to doubles near 1e9 after every step
    of a translated run moves it by 2e-8 after one iteration.  (All other
    cases agree with such perturbed runs to ~1e-13.)  The offset case
    therefore carries a "tolerance" record per iteration: 10 times the
    largest of those discrepancies, rounded up to one significant digit, and
    never below the normal 1e-9 / 1e-6.  Its expected values are still
    scikit-learn's on the raw data.

How to regenerate (needs Debian's python3-sklearn 1.2.1 / numpy 1.24; the
pyenv `python3` on PATH has no sklearn):

    /usr/bin/python3 test/golden/make_fixtures.py

It writes test/golden/fixtures.txt next to this script.  The output is
deterministic: data and initial responsibilities come from
numpy.random.default_rng at fixed seeds, and all numbers are written with
repr() (shortest string that round-trips the double exactly).

File format (plain text, one record per line, fields separated by a single
space; lines starting with '#' are comments):

    case NAME                 start of a case
    n N                       number of points
    k K                       number of components
    weight_concentration_prior G
    data x_1 ... x_N
    resp r_11 ... r_1K r_21 ... r_NK     initial responsibilities, row-major
    prior_weight_concentration v
    prior_mean_precision v
    prior_mean v
    prior_dof v
    prior_covariance v
    prior_reg_covar v
    iter I                    following records belong to iteration I
    tolerance T               (optional) relative tolerance for iteration I,
                              replacing 1e-9 (I <= 10) / 1e-6 (I = 100)
    conc_a a_1 ... a_K        weight_concentration_[0]
    conc_b b_1 ... b_K        weight_concentration_[1]
    mean_precision ...        mean_precision_
    means ...                 means_[:, 0]
    dof ...                   degrees_of_freedom_
    covariances ...           covariances_[:, 0, 0]
    weights ...               weights_
    lower_bound v             (I >= 1 only)
    log_prob_norm v           (I >= 1 only) value returned by _e_step
    end                       end of the case
"""

import os

import numpy as np

from golden_common import (RECORD_ITERS, fmt, hard_resp, iterate, new_mixture,
                           posterior_records, quantile_labels, require_sklearn_1_2_1,
                           round_up_1sig, soft_resp, write_header)


def make_cases():
    cases = []

    # (a) three well-separated normals, 300 points.
    rng = np.random.default_rng(101)
    comp = np.repeat([0, 1, 2], 100)
    x = np.concatenate([rng.normal(-10.0, 1.0, 100),
                        rng.normal(0.0, 0.5, 100),
                        rng.normal(15.0, 2.0, 100)])
    perm = rng.permutation(x.size)
    xa, la = x[perm], comp[perm]
    cases.append(("separated_k3_hard", xa, 3, 0.001, hard_resp(la, 3)))
    cases.append(("separated_k10_soft", xa, 10, 0.001, soft_resp(xa.size, 10, 1001)))

    # (b) overlapping mixture, 500 points.
    rng = np.random.default_rng(202)
    x = np.concatenate([rng.normal(0.0, 1.0, 250),
                        rng.normal(1.5, 1.2, 150),
                        rng.normal(3.0, 0.7, 100)])
    xb = x[rng.permutation(x.size)]
    cases.append(("overlap_k4_soft_gamma_inv_k", xb, 4, 1.0 / 4,
                  soft_resp(xb.size, 4, 2002)))
    cases.append(("overlap_k10_randlabels", xb, 10, 0.001,
                  hard_resp(np.random.default_rng(2003).integers(0, 10, xb.size), 10)))

    # (c) heavy-tailed: log-normal with a point mass at 0, 400 points.
    rng = np.random.default_rng(303)
    x = np.concatenate([np.zeros(100), rng.lognormal(0.0, 1.0, 300)])
    xc = x[rng.permutation(x.size)]
    cases.append(("lognormal_zeros_k5_quantile", xc, 5, 0.001,
                  hard_resp(quantile_labels(xc, 5), 5)))

    # (d) negatives and positives, 250 points.
    rng = np.random.default_rng(404)
    x = np.concatenate([rng.normal(-3.0, 1.0, 100),
                        rng.normal(2.0, 0.5, 100),
                        rng.uniform(-1.0, 1.0, 50)])
    xd = x[rng.permutation(x.size)]
    cases.append(("signed_k4_soft_gamma1", xd, 4, 1.0,
                  soft_resp(xd.size, 4, 4004, alpha=0.5)))

    # (e) huge offset: 1e9 + N(0, 1), 200 points.
    rng = np.random.default_rng(505)
    xe = 1e9 + rng.normal(0.0, 1.0, 200)
    cases.append(("offset1e9_k2_quantile", xe, 2, 0.001,
                  hard_resp(quantile_labels(xe, 2), 2), dict(roundoff_tolerance=True)))

    # (f) tiny data set, 12 points, many ties, K > number of distinct values.
    rng = np.random.default_rng(606)
    xf = rng.choice(np.array([-1.5, 0.25, 4.0]), size=12, p=[0.25, 0.5, 0.25])
    assert np.unique(xf).size == 3
    cases.append(("ties12_k6_soft", xf, 6, 0.001, soft_resp(xf.size, 6, 6006)))
    cases.append(("ties12_k10_hard", xf, 10, 0.001,
                  hard_resp(np.arange(xf.size) % 10, 10)))
    return cases


def snapshot(bgm, shift=0.0):
    """The posterior's records, 1-D: the means moved back by shift."""
    return posterior_records(bgm, lambda b: b.means_[:, 0] + shift,
                             lambda b: b.covariances_[:, 0, 0])


def drive(x, k, gamma, resp, shift=0.0):
    """Run scikit-learn on x - shift; return (priors, {iteration: records})."""
    X = np.ascontiguousarray(x - shift, dtype=np.float64).reshape(-1, 1)
    # the translation must be exact, or the runs would see different data
    assert np.array_equal(X[:, 0] + shift, x)
    resp = np.ascontiguousarray(resp, dtype=np.float64)
    assert resp.shape == (X.shape[0], k)
    bgm = new_mixture(k, gamma)
    bgm._check_parameters(X)
    priors = [
        ("prior_weight_concentration", bgm.weight_concentration_prior_),
        ("prior_mean_precision", bgm.mean_precision_prior_),
        ("prior_mean", bgm.mean_prior_[0] + shift),
        ("prior_dof", bgm.degrees_of_freedom_prior_),
        ("prior_covariance", np.asarray(bgm.covariance_prior_).ravel()[0]),
        ("prior_reg_covar", bgm.reg_covar),
    ]
    return priors, iterate(bgm, X, resp, lambda b: snapshot(b, shift))


def max_rel_diff(recs_a, recs_b):
    worst = 0.0
    for (ka, va), (kb, vb) in zip(recs_a, recs_b):
        assert ka == kb
        va = np.atleast_1d(np.asarray(va, dtype=np.float64))
        vb = np.atleast_1d(np.asarray(vb, dtype=np.float64))
        worst = max(worst, float(np.max(np.abs(va - vb) / np.abs(vb))))
    return worst


ROUNDOFF_SHIFTS = (1e9, 1e9 - 0.5, -1.0)


def roundoff_runs(x, k, gamma, resp):
    """Runs of the same case that differ from drive(x, ...) only by round-off."""
    runs = [("translated by %r" % sh, drive(x, k, gamma, resp, sh)[1])
            for sh in ROUNDOFF_SHIFTS]
    z = np.random.default_rng(9).standard_normal(resp.shape)
    runs.append(("resp * (1 + 1e-14 z)", drive(x, k, gamma, resp * (1 + 1e-14 * z))[1]))
    return runs


def run_case(out, name, x, k, gamma, resp, roundoff_tolerance=False):
    priors, snaps = drive(x, k, gamma, resp)
    tolerance, notes = {}, []
    if roundoff_tolerance:
        runs = roundoff_runs(x, k, gamma, resp)
        for it in RECORD_ITERS:
            default = 1e-6 if it >= 100 else 1e-9
            diffs = [(max_rel_diff(r[it], snaps[it]), label) for label, r in runs]
            d = max(diffs)[0]
            tolerance[it] = max(default, round_up_1sig(10.0 * d))
            notes.append("# iter %d: round-off-equivalent runs differ by up to %s\n"
                         % (it, ", ".join("%.2e (%s)" % dl for dl in diffs)))

    def line(key, vals):
        vals = np.atleast_1d(np.asarray(vals, dtype=np.float64)).ravel()
        out.write(key + " " + " ".join(fmt(v) for v in vals) + "\n")

    out.write("case %s\n" % name)
    for note in notes:
        out.write(note)
    out.write("n %d\n" % x.size)
    out.write("k %d\n" % k)
    line("weight_concentration_prior", gamma)
    line("data", x)
    line("resp", resp)
    for key, vals in priors:
        line(key, vals)
    for it in RECORD_ITERS:
        out.write("iter %d\n" % it)
        if it in tolerance:
            line("tolerance", tolerance[it])
        for key, vals in snaps[it]:
            line(key, vals)
    out.write("end\n")


def main():
    require_sklearn_1_2_1()
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.txt")
    cases = make_cases()
    with open(path, "w") as out:
        write_header(out, "make_fixtures.py")
        for name, x, k, gamma, resp, *extra in cases:
            run_case(out, name, x, k, gamma, resp, **(extra[0] if extra else {}))
    print("wrote %s (%d cases)" % (path, len(cases)))


if __name__ == "__main__":
    main()
