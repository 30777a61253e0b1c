/*
 * tap.h - minimal Test Anything Protocol helpers for the C unit tests.
 */
#ifndef VGM_TAP_H
#define VGM_TAP_H

#include <math.h>
#include <stdio.h>

static int	tap_count = 0;
static int	tap_failed = 0;

/* Record one test result. */
static inline int
tap_ok(int cond, const char *name)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_count, name);
	return cond;
}

/* Relative closeness with an absolute floor for values near zero. */
static inline int
tap_close(double got, double want, double rel, double abs_floor)
{
	if (isnan(got) || isnan(want))
		return 0;
	return fabs(got - want) <= rel * fabs(want) + abs_floor;
}

/* Print the plan at the end and return the exit status. */
static inline int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif							/* VGM_TAP_H */
