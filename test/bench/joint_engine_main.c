/*
 * joint_engine_main.c - command-line driver of the joint VB-EM engine for
 * test/bench/bench_joint_engine.py: fits raw rows read from a file of
 * doubles and prints the posterior, so that the engine can be measured on
 * its own, without a server.
 *
 * Usage: joint_engine_main FILE N D K N_INIT SEED MAX_ITER TOL
 *   FILE holds N x D little-endian doubles, row-major (numpy's tofile).
 *   MAX_ITER 0 keeps the engine's default; TOL < 0 keeps its default.
 * Output (one record a line, numbers with 17 significant digits):
 *   seconds T (wall time of vgm_joint_fit alone) / cpu_seconds T (its
 *   CPU time) / status S / iterations I / converged C / lower_bound L /
 *   start S / weights ... / means ... / covariances ...
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "joint_vbem.h"

/* Seconds on a clock (CLOCK_MONOTONIC: wall, CLOCK_PROCESS_CPUTIME_ID: CPU). */
static double
clock_seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* Print one named record of m numbers. */
static void
print_record(const char *name, const double *v, size_t m)
{
	printf("%s", name);
	for (size_t i = 0; i < m; i++)
		printf(" %.17g", v[i]);
	printf("\n");
}

int
main(int argc, char **argv)
{
	VgmJointFitOptions opt;
	VgmJointPoints pts;
	VgmJointPosterior post;
	VgmJointFitInfo info;
	FILE	   *f;
	size_t		n;
	int			d,
				k,
				status;
	double	   *x,
			   *w;
	double		t0,
				c0;

	if (argc != 9)
	{
		fprintf(stderr, "usage: %s FILE N D K N_INIT SEED MAX_ITER TOL\n", argv[0]);
		return 2;
	}
	n = (size_t) strtoull(argv[2], NULL, 10);
	d = atoi(argv[3]);
	k = atoi(argv[4]);
	x = malloc(n * d * sizeof(double));
	w = malloc(n * sizeof(double));
	f = fopen(argv[1], "rb");
	if (!x || !w || !f || fread(x, sizeof(double), n * d, f) != n * d)
	{
		fprintf(stderr, "cannot read %zu x %d doubles from %s\n", n, d, argv[1]);
		return 2;
	}
	fclose(f);
	for (size_t i = 0; i < n; i++)
		w[i] = 1.0;
	pts.n = n;
	pts.d = d;
	pts.weight = w;
	pts.mean = x;
	pts.scatter = NULL;
	vgm_joint_fit_options_default(&opt);
	opt.max_components = k;
	opt.n_init = atoi(argv[5]);
	opt.seed = strtoull(argv[6], NULL, 10);
	if (atoi(argv[7]) > 0)
		opt.max_iter = atoi(argv[7]);
	if (strtod(argv[8], NULL) >= 0.0)
		opt.tol = strtod(argv[8], NULL);
	if (vgm_joint_posterior_alloc(&post, k, d, NULL) != VGM_OK)
		return 2;
	t0 = clock_seconds(CLOCK_MONOTONIC);
	c0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
	status = vgm_joint_fit(&pts, &opt, &post, &info);
	printf("seconds %.6f\n", clock_seconds(CLOCK_MONOTONIC) - t0);
	printf("cpu_seconds %.6f\n", clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0);
	printf("status %d\n", status);
	if (status != VGM_OK)
	{
		fprintf(stderr, "fit failed: %s\n", vgm_status_message(status));
		return 1;
	}
	printf("iterations %d\nconverged %d\nlower_bound %.17g\nstart %d\n", info.iterations,
		   info.converged, info.lower_bound, info.start);
	print_record("weights", post.weights, k);
	print_record("means", post.means, (size_t) k * d);
	print_record("covariances", post.covariances, (size_t) k * d * d);
	vgm_joint_posterior_free(&post, NULL);
	free(x);
	free(w);
	return 0;
}
