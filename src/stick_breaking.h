/*
 * stick_breaking.h - the truncated stick-breaking (Dirichlet-process)
 *                    weight posterior of both engines, one stick at a time.
 *
 * Pure C, header only (GSL's special functions).  Stick j has the posterior
 * Beta(a_j, b_j) with a_j = 1 + N_j and b_j = gamma_0 + sum_{l>j} N_l (Blei
 * & Jordan, "Variational inference for Dirichlet process mixtures",
 * Bayesian Analysis 1(1), 2006).  The engines keep a and b differently (the
 * one-dimensional one in an array of component records, the joint one in
 * two arrays), so each helper takes one stick and a running sum the caller
 * carries from stick to stick; that keeps every sum in the order the
 * engines always used.
 */
#ifndef VGM_STICK_BREAKING_H
#define VGM_STICK_BREAKING_H

#include <gsl/gsl_sf_psi.h>

/*
 * Beta parameters of stick j from its guarded count nk, visiting the
 * sticks from the last to the first: *later_count is the sum of the counts
 * of the sticks visited before (start at 0) and grows by nk.
 */
static inline void
vgm_stick_beta(double nk, double weight_concentration, double *later_count,
			   double *a, double *b)
{
	*a = 1.0 + nk;
	*b = weight_concentration + *later_count;
	*later_count += nk;
}

/*
 * E[log pi_j] = psi(a_j) - psi(a_j + b_j) + sum_{l<j} (psi(b_l) - psi(a_l + b_l)),
 * visiting the sticks from the first: *broken carries the sum over the
 * earlier sticks of E[log(1 - v_l)] (start at 0).
 */
static inline double
vgm_stick_expected_log_weight(double a, double b, double *broken)
{
	double		dsum = gsl_sf_psi(a + b);
	double		out = gsl_sf_psi(a) - dsum + *broken;

	*broken += gsl_sf_psi(b) - dsum;
	return out;
}

/*
 * Point estimate of weight j (scikit-learn's weights_ before it is
 * normalized): E[v_j] times what the earlier sticks left, visiting the
 * sticks from the first with *remaining starting at 1.
 */
static inline double
vgm_stick_weight(double a, double b, double *remaining)
{
	double		s = a + b;
	double		w = a / s * *remaining;

	*remaining *= b / s;
	return w;
}

#endif							/* VGM_STICK_BREAKING_H */
