/*
 * golden_records.h - reading the golden fixture files of test/golden
 * (fixtures.txt for the 1-D engine, joint_fixtures.txt for the joint one,
 * both written by the generators there): one record a line, a key and then
 * its numbers; lines starting with '#' and empty lines are skipped.  The
 * record loop, the cases, the number lists and the records every iteration
 * of both engines' fixtures may carry (lower_bound, log_prob_norm,
 * tolerance) are read here; each test reads the records of its own shapes.
 */
#ifndef VGM_TEST_GOLDEN_RECORDS_H
#define VGM_TEST_GOLDEN_RECORDS_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* A fixture file being read, and the record last read. */
typedef struct GoldenReader
{
	const char *path;
	FILE	   *f;
	char	   *line;
	size_t		cap;
	long		lineno;
} GoldenReader;

/* Open path for reading records; 0 when it cannot be opened. */
static int
golden_open(GoldenReader *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->f = fopen(path, "r");
	return r->f != NULL;
}

/* The next record: its key into key (at most 63 bytes), *rest the text after it; 0 at the end. */
static int
golden_next(GoldenReader *r, char key[64], char **rest)
{
	while (getline(&r->line, &r->cap, r->f) >= 0)
	{
		int			klen;

		r->lineno++;
		if (r->line[0] == '#' || r->line[0] == '\n')
			continue;
		if (sscanf(r->line, "%63s%n", key, &klen) != 1)
			continue;
		*rest = r->line + klen;
		return 1;
	}
	return 0;
}

/* Close the file. */
static void
golden_close(GoldenReader *r)
{
	free(r->line);
	fclose(r->f);
	r->line = NULL;
	r->f = NULL;
}

/* Report the record last read as unexpected (a TAP diagnostic) and close the file. */
static void
golden_bad(GoldenReader *r)
{
	printf("# %s:%ld: unexpected record '%.40s'\n", r->path, r->lineno, r->line);
	golden_close(r);
}

/* The numbers in p, malloc'ed; their count in *m. */
static double *
golden_numbers(const char *p, long *m)
{
	long		cap = 16,
				cnt = 0;
	double	   *v = malloc(cap * sizeof(double));

	for (;;)
	{
		char	   *end;
		double		x = strtod(p, &end);

		if (end == p)
			break;
		if (cnt == cap)
		{
			cap *= 2;
			v = realloc(v, cap * sizeof(double));
		}
		v[cnt++] = x;
		p = end;
	}
	*m = cnt;
	return v;
}

/* The records of one iteration that both engines' fixtures may carry. */
typedef struct GoldenIterRecords
{
	int			has_lb;
	double		lower_bound;
	int			has_lpn;
	double		log_prob_norm;
	double		tolerance;		/* 0: the default for the iteration */
} GoldenIterRecords;

/*
 * Take the m numbers v of record key into *it when key is one of those
 * records (one number; a tolerance must be positive): 1 and v freed when
 * taken, else 0 and v left to the caller.
 */
static int
golden_iter_record(GoldenIterRecords *it, const char *key, double *v, long m)
{
	if (m != 1)
		return 0;
	if (strcmp(key, "lower_bound") == 0)
	{
		it->lower_bound = v[0];
		it->has_lb = 1;
	}
	else if (strcmp(key, "log_prob_norm") == 0)
	{
		it->log_prob_norm = v[0];
		it->has_lpn = 1;
	}
	else if (strcmp(key, "tolerance") == 0 && v[0] > 0)
		it->tolerance = v[0];
	else
		return 0;
	free(v);
	return 1;
}

/* Relative tolerance of iteration iter: its own record, else 1e-9 (<= 10) / 1e-6 (100). */
static double
golden_tolerance(const GoldenIterRecords *it, int iter)
{
	if (it->tolerance > 0.0)
		return it->tolerance;
	return iter >= 100 ? 1e-6 : 1e-9;
}

/* The per-component quantities of an iteration, in the fixtures' names. */
#define GOLDEN_N_QTY 7
static const char *const golden_qty_names[GOLDEN_N_QTY] = {
	"conc_a", "conc_b", "mean_precision", "means", "dof", "covariances", "weights"
};

/* The most iterations a case records. */
#define GOLDEN_MAX_SNAPS 8

/* What a fixture records of one iteration: its number, quantities and records. */
typedef struct GoldenSnapshot
{
	int			iter;
	double	   *q[GOLDEN_N_QTY];	/* NULL when not recorded */
	GoldenIterRecords rec;		/* lower bound, log normaliser, tolerance */
} GoldenSnapshot;

/* Start iteration snapshot *nsnap from an "iter" record; 0 when a case has too many. */
static int
golden_snapshot_begin(GoldenSnapshot *snap, int *nsnap, const char *rest)
{
	if (*nsnap == GOLDEN_MAX_SNAPS)
		return 0;
	snap[*nsnap].iter = (int) strtol(rest, NULL, 10);
	(*nsnap)++;
	return 1;
}

/* The length of quantity q for k components in d dimensions (d = 1 for the 1-D engine). */
static long
golden_qty_len(int k, int d, int q)
{
	if (q == 3)
		return (long) k * d;	/* means */
	if (q == 5)
		return (long) k * d * d;	/* covariances */
	return k;
}

/*
 * The last reader of a case's records: take the m numbers v of record key
 * into the last of nsnap snapshots (none before the first "iter") when key
 * is an iteration record or a quantity not yet recorded, of its length for
 * k components in d dimensions.  Returns 1 when taken; otherwise frees v
 * and returns 0, so the caller reports the record as unexpected.
 */
static int
golden_snapshot_record(GoldenSnapshot *snap, int nsnap, const char *key, double *v, long m,
					   int k, int d)
{
	GoldenSnapshot *s = nsnap > 0 ? &snap[nsnap - 1] : NULL;
	int			q;

	if (s != NULL && golden_iter_record(&s->rec, key, v, m))
		return 1;
	for (q = 0; q < GOLDEN_N_QTY; q++)
		if (strcmp(key, golden_qty_names[q]) == 0)
			break;
	if (s == NULL || q == GOLDEN_N_QTY || m != golden_qty_len(k, d, q) || s->q[q] != NULL)
	{
		free(v);
		return 0;
	}
	s->q[q] = v;
	return 1;
}

/* Release the quantities of nsnap snapshots. */
static void
golden_snapshots_free(GoldenSnapshot *snap, int nsnap)
{
	for (int s = 0; s < nsnap; s++)
		for (int q = 0; q < GOLDEN_N_QTY; q++)
			free(snap[s].q[q]);
}

/*
 * What a test tells golden_read_cases about its case type: its size, where
 * its name (a char[128]) is, how to read one record of a case (key, the text
 * after it; 0 when the record is not expected there), whether a case is
 * complete at its "end" record, and how to release a case's arrays.
 */
typedef struct GoldenCaseType
{
	size_t		size;
	size_t		name_offset;
	int			(*record) (void *c, const char *key, char *rest);
	int			(*complete) (const void *c);
	void		(*release) (void *c);
} GoldenCaseType;

/*
 * Read every case ("case NAME" ... "end") of path into *cases_out, an array
 * of type->size entries (malloc'ed); returns the count, or -1 on a format
 * error (with a message on stdout as a TAP diagnostic).
 */
static int
golden_read_cases(const char *path, const GoldenCaseType *type, void **cases_out)
{
	GoldenReader r;
	char		key[64];
	char	   *rest;
	char	   *cases = NULL;
	int			ncase = 0;
	char	   *c = NULL;

	if (!golden_open(&r, path))
		return -1;
	while (golden_next(&r, key, &rest))
	{
		if (strcmp(key, "case") == 0)
		{
			cases = realloc(cases, (ncase + 1) * type->size);
			c = cases + (size_t) ncase++ * type->size;
			memset(c, 0, type->size);
			sscanf(rest, "%127s", c + type->name_offset);
			continue;
		}
		if (c == NULL)
			goto bad;
		if (strcmp(key, "end") == 0)
		{
			if (!type->complete(c))
				goto bad;
			c = NULL;
			continue;
		}
		if (!type->record(c, key, rest))
			goto bad;
	}
	golden_close(&r);
	if (c != NULL)
	{
		printf("# %s: case %s not terminated by 'end'\n", path, c + type->name_offset);
		goto fail;
	}
	*cases_out = cases;
	return ncase;

bad:
	golden_bad(&r);
fail:
	for (int i = 0; i < ncase; i++)
		type->release(cases + (size_t) i * type->size);
	free(cases);
	return -1;
}

/*
 * Read the cases of path as golden_read_cases does and report it as the
 * test named readable (a diagnostic names the file when it fails).
 */
static int
golden_load(const char *path, const GoldenCaseType *type, void **cases_out, const char *readable)
{
	int			ncase = golden_read_cases(path, type, cases_out);

	tap_ok(ncase > 0, readable);
	if (ncase <= 0)
		printf("# cannot read golden fixtures from %s\n", path);
	return ncase;
}

/* Whether VGM_TEST_VERBOSE asks for every comparison's error, not only failing ones. */
static int
golden_verbose(void)
{
	const char *env = getenv("VGM_TEST_VERBOSE");

	return env && *env && strcmp(env, "0") != 0;
}

#endif							/* VGM_TEST_GOLDEN_RECORDS_H */
