/*
 * joint_accuracy.c - what the joint summary costs in accuracy and what a fit
 *                    from it costs in time, measured on the engine itself
 *                    (no server): the same code the aggregate and the fit run.
 *
 *   joint_accuracy FILE.csv COL1,COL2,...     a table of ../shared/data
 *   joint_accuracy --synthetic N D            N generated rows of D columns
 *
 * For a table: the rows are summarized (joint_summary_core.c); one start is
 * drawn (the engine's k-means++ on the summary, one iteration); from that
 * same start the engine then runs to convergence twice, once on the raw rows
 * and once on the summary's cells; both models are scored on the raw rows
 * with the plug-in mixture log density (weights_, means_, covariances_).
 * Printed: cells, shift, iterations, fit times, both mean log densities and
 * their difference.  The default cold fit of the summary (n_init starts) is
 * timed and scored as well.
 *
 * For --synthetic: the rows/second of the summary and the time of a default
 * fit of it to convergence (a mixture of four correlated Gaussians with a
 * skewed column).
 *
 * Build (from the repository root):
 *   gcc -O2 -std=gnu11 -Isrc -o /tmp/joint_accuracy test/bench/joint_accuracy.c \
 *       src/joint_summary_core.c src/joint_levels.c src/joint_vbem.c src/vbem.c \
 *       src/kmeans_seed.c src/json_text.c src/joint_model_codec.c src/model_codec.c \
 *       -lgsl -lopenblas -lm
 *
 * The default fit is the SQL fit's: vgm_joint_fit_levels (joint_levels.h),
 * two levels when the summary has more than VGM_JOINT_SCREEN_CELLS cells.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "joint_levels.h"
#include "joint_model_codec.h"
#include "joint_summary_core.h"
#include "joint_vbem.h"

/* Milliseconds of a monotonic clock. */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Milliseconds of this process's CPU time (the machine is shared). */
static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Die with a message. */
static void
die(const char *what)
{
	fprintf(stderr, "joint_accuracy: %s\n", what);
	exit(2);
}

/* A field of a CSV line without quotes and spaces (in place). */
static char *
clean_field(char *f)
{
	char	   *end;

	while (*f == ' ' || *f == '"')
		f++;
	end = f + strlen(f);
	while (end > f && (end[-1] == ' ' || end[-1] == '"' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return f;
}

/* Read the named columns of a CSV file: rows x d doubles (rows without a number skipped). */
static double *
read_csv(const char *path, const char *columns, int *d_out, size_t *n_out)
{
	FILE	   *f = fopen(path, "r");
	char		line[65536];
	char	   *names[VGM_JOINT_MAX_DIMS];
	int			index[VGM_JOINT_MAX_DIMS];
	int			d = 0;
	char	   *cols = strdup(columns);
	size_t		n = 0,
				cap = 1024;
	double	   *x = malloc(cap * VGM_JOINT_MAX_DIMS * sizeof(double));

	if (!f)
		die("cannot open the file");
	for (char *c = strtok(cols, ","); c && d < VGM_JOINT_MAX_DIMS; c = strtok(NULL, ","))
		names[d++] = c;
	if (!fgets(line, sizeof(line), f))
		die("empty file");
	for (int j = 0; j < d; j++)
	{
		char		copy[65536];
		int			col = 0;

		index[j] = -1;
		strcpy(copy, line);
		for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ","), col++)
			if (strcmp(clean_field(tok), names[j]) == 0)
				index[j] = col;
		if (index[j] < 0)
			die("a column is not in the header");
	}
	while (fgets(line, sizeof(line), f))
	{
		char	   *fields[256];
		int			nf = 0;
		int			ok = 1;

		for (char *tok = strtok(line, ","); tok && nf < 256; tok = strtok(NULL, ","))
			fields[nf++] = clean_field(tok);
		if (n == cap)
		{
			cap *= 2;
			x = realloc(x, cap * VGM_JOINT_MAX_DIMS * sizeof(double));
		}
		for (int j = 0; j < d && ok; j++)
		{
			char	   *end;

			if (index[j] >= nf)
				ok = 0;
			else
			{
				x[n * d + j] = strtod(fields[index[j]], &end);
				ok = end != fields[index[j]] && isfinite(x[n * d + j]);
			}
		}
		n += ok;
	}
	fclose(f);
	free(cols);
	*d_out = d;
	*n_out = n;
	return x;
}

/* A summary of rows and the engine's points of it (arrays owned here). */
typedef struct Summary
{
	VgmJointSummaryView v;
	int64_t    *keys;
	double	   *stats;
	double	   *w;
	double	   *m;
	double	   *c;
	VgmJointPoints pts;
	double		ms;
} Summary;

/* Summarize n rows of d columns. */
static void
summarize(const double *x, size_t n, int d, Summary *s)
{
	VgmJointAcc acc;
	double		start = now_ms();

	vgm_joint_acc_init(&acc, NULL);
	if (vgm_joint_acc_set_dims(&acc, d) != VGM_JOINT_OK)
		die("bad column count");
	for (size_t i = 0; i < n; i++)
		if (vgm_joint_acc_add(&acc, &x[i * d]) != VGM_JOINT_OK)
			die("a row was refused");
	s->keys = malloc((size_t) (acc.n + 1) * d * sizeof(int64_t));
	s->stats = malloc((size_t) (acc.n + 1) * VGM_JOINT_STRIDE(d) * sizeof(double));
	if (vgm_joint_acc_export(&acc, s->keys, s->stats, &s->v.n) != VGM_JOINT_OK)
		die("export failed");
	s->ms = now_ms() - start;
	s->v.d = d;
	s->v.shift = acc.shift;
	s->v.rows = acc.rows;
	s->v.skipped = 0;
	s->v.keys = s->keys;
	s->v.stats = s->stats;
	s->w = malloc(s->v.n * sizeof(double));
	s->m = malloc(s->v.n * d * sizeof(double));
	s->c = malloc(s->v.n * d * d * sizeof(double));
	vgm_joint_summary_points(&s->v, s->w, s->m, s->c, &s->pts);
	vgm_joint_acc_free(&acc);
}

/* Mean plug-in log density of the rows under a posterior. */
static double
mean_log_density(const VgmJointPosterior *p, const double *x, size_t n, int d)
{
	int			k = p->k;
	double	   *chol = malloc((size_t) k * d * d * sizeof(double));
	double	   *logc = malloc(k * sizeof(double));
	double		total = 0.0;

	for (int c = 0; c < k; c++)
	{
		double	   *L = &chol[(size_t) c * d * d];
		const double *S = &p->covariances[(size_t) c * d * d];
		double		logdet = 0.0;

		if (vgm_joint_cholesky(S, d, L) != 0)
			die("a covariance does not factor");
		for (int i = 0; i < d; i++)
			logdet += 2 * log(L[i * d + i]);
		logc[c] = (p->weights[c] > 0 ? log(p->weights[c]) : -INFINITY) - 0.5 * logdet
			- 0.5 * d * log(2 * M_PI);
	}
	for (size_t i = 0; i < n; i++)
	{
		double		lp[VGM_JOINT_MAX_COMPONENTS];
		double		best = -INFINITY;
		double		sum = 0.0;

		for (int c = 0; c < k; c++)
		{
			const double *L = &chol[(size_t) c * d * d];
			double		z[VGM_JOINT_MAX_DIMS];
			double		q = 0.0;

			for (int a = 0; a < d; a++)
			{
				double		s = x[i * d + a] - p->means[c * d + a];

				for (int t = 0; t < a; t++)
					s -= L[a * d + t] * z[t];
				z[a] = s / L[a * d + a];
				q += z[a] * z[a];
			}
			lp[c] = logc[c] - 0.5 * q;
			if (lp[c] > best)
				best = lp[c];
		}
		for (int c = 0; c < k; c++)
			sum += exp(lp[c] - best);
		total += best + log(sum);
	}
	free(chol);
	free(logc);
	return total / n;
}

/* Fit points with options; dies on an error. */
static double
fit(const VgmJointPoints *pts, const VgmJointFitOptions *opt, VgmJointPosterior *post,
	VgmJointFitInfo *info)
{
	double		start = now_ms();
	int			status;

	if (vgm_joint_posterior_alloc(post, opt->max_components, pts->d, NULL) != VGM_OK)
		die("posterior allocation");
	status = vgm_joint_fit(pts, opt, post, info);
	if (status != VGM_OK)
	{
		fprintf(stderr, "status %d\n", status);
		die("fit failed");
	}
	return now_ms() - start;
}

/* The SQL fit of a summary (two levels when large); dies on an error. */
static double
fit_levels(const VgmJointSummaryView *v, const VgmJointFitOptions *opt,
		   VgmJointPosterior *post, VgmJointFitInfo *info)
{
	double		start = now_ms();
	double		cpu_start = cpu_ms();
	VgmJointLevelsInfo levels;
	int			status;

	if (vgm_joint_posterior_alloc(post, opt->max_components, v->d, NULL) != VGM_OK)
		die("posterior allocation");
	status = vgm_joint_fit_levels(v, opt, post, info, &levels);
	if (status != VGM_OK)
	{
		fprintf(stderr, "status %d\n", status);
		die("fit failed");
	}
	printf("  (fit of %zu cells: %.0f ms CPU", v->n, cpu_ms() - cpu_start);
	if (levels.screen_cells > 0)
		printf("; starts screened on %zu cells at shift %d: %d iterations; refined in %d",
			   levels.screen_cells, levels.screen_shift, levels.screen_iterations,
			   info->iterations);
	printf(")\n");
	return now_ms() - start;
}

/* The table run: same start, raw rows against the summary. */
static void
run_table(const char *path, const char *columns, int max_iter)
{
	int			d;
	size_t		n;
	double	   *x = read_csv(path, columns, &d, &n);
	Summary		s;
	VgmJointPoints raw = {n, d, NULL, x, NULL};
	double	   *ones = malloc(n * sizeof(double));
	VgmJointFitOptions opt;
	VgmJointPosterior start,
				pr,
				ps,
				pc;
	VgmJointFitInfo info_start,
				ir,
				is,
				ic;
	double		ms_r,
				ms_s,
				ms_c;
	double		ld_r,
				ld_s,
				ld_c;

	for (size_t i = 0; i < n; i++)
		ones[i] = 1.0;
	raw.weight = ones;
	summarize(x, n, d, &s);

	/* one start for both: k-means++ on the summary and one iteration */
	vgm_joint_fit_options_default(&opt);
	opt.n_init = 1;
	opt.max_iter = 1;
	fit(&s.pts, &opt, &start, &info_start);

	vgm_joint_fit_options_default(&opt);
	opt.max_iter = max_iter;
	opt.init = &start;
	ms_r = fit(&raw, &opt, &pr, &ir);
	ms_s = fit(&s.pts, &opt, &ps, &is);
	ld_r = mean_log_density(&pr, x, n, d);
	ld_s = mean_log_density(&ps, x, n, d);

	/* the default cold fit of the summary */
	vgm_joint_fit_options_default(&opt);
	opt.max_iter = max_iter;
	ms_c = fit_levels(&s.v, &opt, &pc, &ic);
	ld_c = mean_log_density(&pc, x, n, d);

	printf("table %s [%s]: %zu rows, d=%d; summary %zu cells at shift %d (%.1f ms)\n",
		   path, columns, n, d, s.v.n, s.v.shift, s.ms);
	printf("  same start, raw rows: %d iterations%s, %.0f ms, log density/row %.6f\n",
		   ir.iterations, ir.converged ? "" : " (not converged)", ms_r, ld_r);
	printf("  same start, summary : %d iterations%s, %.0f ms, log density/row %.6f\n",
		   is.iterations, is.converged ? "" : " (not converged)", ms_s, ld_s);
	printf("  difference summary - raw: %+.6f per row\n", ld_s - ld_r);
	printf("  default fit of the summary (n_init %d): %d iterations%s, %.0f ms, log density/row %.6f\n",
		   VGM_JOINT_DEFAULT_N_INIT, ic.iterations, ic.converged ? "" : " (not converged)", ms_c, ld_c);
	printf("RESULT\t%s\t%s\t%zu\t%d\t%zu\t%d\t%.6f\t%.6f\t%.6f\t%d\t%d\t%.0f\t%.0f\t%.0f\n",
		   path, columns, n, d, s.v.n, s.v.shift, ld_r, ld_s, ld_c,
		   ir.iterations, is.iterations, ms_r, ms_s, ms_c);
}

/* The synthetic run: summary speed and the time of a default fit. */
static void
run_synthetic(size_t n, int d, int max_iter)
{
	double	   *x = malloc(n * d * sizeof(double));
	uint64_t	state = 42;
	Summary		s;
	VgmJointFitOptions opt;
	VgmJointPosterior post;
	VgmJointFitInfo info;
	double		ms;

	for (size_t i = 0; i < n; i++)
	{
		/* splitmix64 draws, Box-Muller normals */
		double		u[4];

		for (int t = 0; t < 4; t++)
		{
			uint64_t	z = (state += 0x9E3779B97F4A7C15ULL);

			z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
			z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
			u[t] = (((z ^ (z >> 31)) >> 11) + 0.5) / 9007199254740992.0;
		}
		{
			int			comp = (int) (u[0] * 4);
			double		z1 = sqrt(-2 * log(u[1])) * cos(2 * M_PI * u[2]);
			double		z2 = sqrt(-2 * log(u[1])) * sin(2 * M_PI * u[2]);

			for (int j = 0; j < d; j++)
			{
				double		base = comp * 2.0 + (j % 2 ? z1 : z2) + 0.5 * z1 * (j % 3);

				x[i * d + j] = j == 0 ? exp(1 + 0.5 * base) : base * (1 + j) + 10 * u[3];
			}
		}
	}
	summarize(x, n, d, &s);
	vgm_joint_fit_options_default(&opt);
	opt.max_iter = max_iter;
	ms = fit_levels(&s.v, &opt, &post, &info);
	printf("synthetic %zu rows, d=%d: summary %.1f ns/row, %zu cells at shift %d; default fit %d iterations%s in %.0f ms\n",
		   n, d, s.ms * 1e6 / n, s.v.n, s.v.shift, info.iterations,
		   info.converged ? "" : " (not converged)", ms);
	printf("RESULT\tsynthetic\t%zu\t%d\t%.1f\t%zu\t%d\t%d\t%d\t%.0f\n",
		   n, d, s.ms * 1e6 / n, s.v.n, s.v.shift, info.iterations, info.converged, ms);
}

int
main(int argc, char **argv)
{
	int			max_iter = getenv("MAX_ITER") ? atoi(getenv("MAX_ITER")) : 20000;

	if (argc == 4 && strcmp(argv[1], "--synthetic") == 0)
		run_synthetic((size_t) atol(argv[2]), atoi(argv[3]), max_iter);
	else if (argc == 3)
		run_table(argv[1], argv[2], max_iter);
	else
		die("usage: joint_accuracy FILE.csv COL1,COL2,... | --synthetic N D");
	return 0;
}
