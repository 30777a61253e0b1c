/*
 * codec_status.h - the statuses every codec of the pure core answers with,
 *                  text and binary forms alike.
 *
 * One status space, so that the server maps a status to a SQLSTATE in one
 * place (vgm_codec_errcode in codec_errcode.h) and the same problem gets the
 * same SQLSTATE whichever type and whichever form it arrives in.  The codecs
 * name these under their own prefixes (VGM_TEXT_* in json_text.h,
 * VGM_MODEL_*, VGM_SUMMARY_*, VGM_KS_*, VGM_BINARY_* in binary_codec.h);
 * those names are aliases of the values below, never new numbers.
 *
 * Pure C, no includes: the lowest layer (see vgm.h).
 */
#ifndef VGM_CODEC_STATUS_H
#define VGM_CODEC_STATUS_H

#define VGM_CODEC_OK 0
#define VGM_CODEC_ERR_SYNTAX 1		/* malformed text, trailing garbage */
#define VGM_CODEC_ERR_FIELD 2		/* unknown, duplicate or missing field */
#define VGM_CODEC_ERR_VERSION 3		/* a format version (or bin count) this build does not read */
#define VGM_CODEC_ERR_RANGE 4		/* a value outside its domain, counts that contradict each other */
#define VGM_CODEC_ERR_NOMEM 5		/* an allocation failed */
#define VGM_CODEC_ERR_OVERFLOW 6	/* a count would pass INT64_MAX */
#define VGM_CODEC_ERR_INVALID 7		/* binary: lengths, counts or values that break a rule of the type */
#define VGM_CODEC_ERR_SHORT 8		/* binary: the message ends inside a field */

#endif							/* VGM_CODEC_STATUS_H */
