/*
 * fuzz_common.h - helpers shared by the libFuzzer harnesses: a counting
 *                 allocator for the VgmAllocator hooks, a failing one, and
 *                 checks of the error texts.
 *
 * A harness reports a broken property with FUZZ_CHECK, which prints the
 * reason and aborts, so libFuzzer saves the input as a crash artifact just
 * as it does for a sanitizer report.
 */
#ifndef VGM_FUZZ_COMMON_H
#define VGM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vbem.h"

#define FUZZ_MSG_LEN 256		/* the size of VgmCodecReport's buffers (src/codec_errcode.h) */

#define FUZZ_CHECK(cond, ...) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz property failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

/* malloc(len) for a harness's own buffer, which must not fail. */
static inline void *
fuzz_malloc(size_t len)
{
	void	   *buf = malloc(len);

	FUZZ_CHECK(buf != NULL || len == 0, "malloc of %zu bytes", len);
	return buf;
}

/* Allocations made through the hooks and not yet released. */
typedef struct FuzzAllocState
{
	long		live;
	long		calls;
	int			fail;			/* nonzero: every allocation fails */
} FuzzAllocState;

static void *
fuzz_alloc(size_t size, void *arg)
{
	FuzzAllocState *st = arg;

	st->calls++;
	if (st->fail)
		return NULL;
	/* a request this large from a parser would be a bug of its own */
	FUZZ_CHECK(size <= ((size_t) 1 << 30), "allocation of %zu bytes", size);
	st->live++;
	return malloc(size ? size : 1);
}

static void
fuzz_release(void *ptr, void *arg)
{
	FuzzAllocState *st = arg;

	FUZZ_CHECK(ptr != NULL, "release of NULL through the hook");
	st->live--;
	free(ptr);
}

static inline VgmAllocator
fuzz_allocator(FuzzAllocState *st, int fail)
{
	VgmAllocator a;

	memset(st, 0, sizeof(*st));
	st->fail = fail;
	a.alloc = fuzz_alloc;
	a.release = fuzz_release;
	a.arg = st;
	return a;
}

/*
 * An error text must be NUL-terminated inside its buffer and printable
 * ASCII: it becomes errmsg / errdetail of an ereport, which is converted to
 * the client encoding, so raw input bytes must never be echoed into it.
 */
static inline void
fuzz_check_text(const char *buf, size_t buflen, const char *what)
{
	const char *nul = memchr(buf, '\0', buflen);

	FUZZ_CHECK(nul != NULL, "%s is not NUL-terminated", what);
	for (const char *c = buf; c < nul; c++)
		FUZZ_CHECK(*c >= 0x20 && *c < 0x7f, "%s has byte 0x%02x at %td: %s",
				   what, (unsigned) (unsigned char) *c, c - buf, buf);
}

/* Is buf[0 .. len) well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF)? */
static inline int
fuzz_utf8_valid(const uint8_t *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		uint8_t		c = s[i];
		size_t		n;
		uint32_t	cp;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, cp = c & 0x07;
		else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (size_t k = 1; k <= n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
			(cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * The weaker rule for parsers that echo input (a key) into a message: no
 * control characters, and well-formed UTF-8 whenever the input was (the
 * server hands type input functions text already verified in the database
 * encoding, so only a message that breaks a character apart would be
 * invalid there).
 */
static inline void
fuzz_check_text_echo(const char *buf, size_t buflen, const char *what, int input_utf8)
{
	const char *nul = memchr(buf, '\0', buflen);

	FUZZ_CHECK(nul != NULL, "%s is not NUL-terminated", what);
	for (const char *c = buf; c < nul; c++)
		FUZZ_CHECK((unsigned char) *c >= 0x20, "%s has control byte 0x%02x at %td",
				   what, (unsigned) (unsigned char) *c, c - buf);
	if (input_utf8)
		FUZZ_CHECK(fuzz_utf8_valid((const uint8_t *) buf, (size_t) (nul - buf)),
				   "%s is not UTF-8 although the input was: %s", what, buf);
}

/* The two message buffers, poisoned so that an unwritten one is noticed. */
typedef struct FuzzMsgs
{
	char		msg[FUZZ_MSG_LEN];
	char		detail[FUZZ_MSG_LEN];
} FuzzMsgs;

static inline void
fuzz_msgs_reset(FuzzMsgs *m)
{
	memset(m->msg, 0x7f, sizeof(m->msg));
	memset(m->detail, 0x7f, sizeof(m->detail));
}

/* The four message arguments every codec function takes, from one FuzzMsgs. */
#define FUZZ_MSGS(m) (m).msg, sizeof((m).msg), (m).detail, sizeof((m).detail)

/*
 * One call of a codec under test: the counting allocator it allocates
 * through and the message buffers it reports into.  Every harness starts
 * its calls with fuzz_run_start, so the buffers are always poisoned first.
 */
typedef struct FuzzRun
{
	FuzzAllocState st;
	VgmAllocator alloc;
	FuzzMsgs	e;
} FuzzRun;

/* Ready r for a call; fail nonzero makes every allocation through r->alloc fail. */
static inline void
fuzz_run_start(FuzzRun *r, int fail)
{
	r->alloc = fuzz_allocator(&r->st, fail);
	fuzz_msgs_reset(&r->e);
}

/* After a failure both texts must be written, and the message non-empty. */
static inline void
fuzz_msgs_check(const FuzzMsgs *m, int status)
{
	if (status == 0)
		return;
	fuzz_check_text(m->msg, sizeof(m->msg), "msg");
	fuzz_check_text(m->detail, sizeof(m->detail), "detail");
	FUZZ_CHECK(m->msg[0] != '\0', "status %d without a message", status);
}


/* fuzz_msgs_check for parsers that may echo input text into the detail. */
static inline void
fuzz_msgs_check_echo(const FuzzMsgs *m, int status, const uint8_t *input, size_t len)
{
	int			utf8;

	if (status == 0)
		return;
	utf8 = fuzz_utf8_valid(input, len);
	fuzz_check_text_echo(m->msg, sizeof(m->msg), "msg", utf8);
	fuzz_check_text_echo(m->detail, sizeof(m->detail), "detail", utf8);
	FUZZ_CHECK(m->msg[0] != '\0', "status %d without a message", status);
}

/*
 * The status of a parser run again on the same input with every allocation
 * failing (s3), given the status with memory: the same answer when it asked
 * for no memory (calls == 0), else out of memory (nomem).
 */
static inline void
fuzz_check_status_without_memory(int s3, int status, long calls, int nomem)
{
	if (calls == 0)
		FUZZ_CHECK(s3 == status, "status %d without memory, %d with", s3, status);
	else
		FUZZ_CHECK(s3 == nomem, "status %d after a failed allocation", s3);
}

/*
 * The text and binary forms a round-trip check writes: the form of the
 * accepted value and the form of its copy read back.  Freed together.
 */
typedef struct FuzzForms
{
	char	   *text;
	char	   *text2;
	size_t		tlen;
	size_t		tlen2;
	uint8_t    *bin;
	uint8_t    *bin2;
	size_t		blen;
	size_t		blen2;
} FuzzForms;

/* Free every form (free(NULL) is harmless, so unset ones may stay NULL). */
static inline void
fuzz_forms_free(FuzzForms *f)
{
	free(f->text);
	free(f->text2);
	free(f->bin);
	free(f->bin2);
	memset(f, 0, sizeof(*f));
}

/*
 * The re-encoding f->bin2 must be the bytes of f->bin: "what" names the
 * round trip in the report.  Frees bin2, so the next trip can write it.
 */
static inline void
fuzz_forms_check_same(FuzzForms *f, const char *what)
{
	FUZZ_CHECK(f->blen == f->blen2 && memcmp(f->bin, f->bin2, f->blen) == 0, "%s changed bits", what);
	free(f->bin2);
	f->bin2 = NULL;
}

/* The text written again from the copy read back must be the same text. */
static inline void
fuzz_forms_check_fixed_point(const FuzzForms *f)
{
	FUZZ_CHECK(f->tlen == f->tlen2 && memcmp(f->text, f->text2, f->tlen) == 0,
			   "text not a fixed point:\n  %.2000s\n  %.2000s", f->text, f->text2);
}

#endif							/* VGM_FUZZ_COMMON_H */
