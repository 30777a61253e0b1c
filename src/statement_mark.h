/*
 * statement_mark.h - "the first time within this statement", for messages
 *                    that aggregates give once per statement, not per group.
 *
 * A GROUP BY runs a final function once per group; a NOTICE or WARNING from
 * each of a thousand groups buries the one line the user needs.  A mark
 * remembers the statement it was last set in: its local transaction and the
 * statement's start time within it (two statements of one transaction
 * differ in start time; two transactions differ in their local id).  Used by
 * the one-dimensional fit (fit.c) and the joint fit (joint_fit.c), each with
 * its own marks so that one kind of message does not silence another.
 */
#ifndef VGM_STATEMENT_MARK_H
#define VGM_STATEMENT_MARK_H

#include "postgres.h"

#include "access/xact.h"
#include "storage/proc.h"

/* The statement a once-per-statement message was last given in. */
typedef struct VgmStatementMark
{
	LocalTransactionId lxid;
	TimestampTz start;
} VgmStatementMark;

/* True the first time it is asked for mark within the current statement. */
static inline bool
vgm_first_in_statement(VgmStatementMark *mark)
{
	LocalTransactionId lxid = MyProc->lxid;
	TimestampTz start = GetCurrentStatementStartTimestamp();

	if (mark->lxid == lxid && mark->start == start)
		return false;
	mark->lxid = lxid;
	mark->start = start;
	return true;
}

#endif							/* VGM_STATEMENT_MARK_H */
