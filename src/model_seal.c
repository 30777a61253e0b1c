/*
 * model_seal.c - computing and checking the SHA-256 seal of a stored
 *                vgm_model (model_seal.h says why it exists and why it is
 *                safe to recognise a model by it).
 *
 * The digest is PostgreSQL's own SHA-256 (common/cryptohash.h: OpenSSL's
 * when the server is built with it, its built-in one otherwise); it runs
 * once per model built or first derived, never per row.
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/sha2.h"

#include "model_seal.h"

StaticAssertDecl(VGM_MODEL_SEAL_BYTES == PG_SHA256_DIGEST_LENGTH,
				 "the seal is one SHA-256 digest");

/* SHA-256 of the bytes a seal covers: from the varlena header's end to the seal. */
static void
digest_varlena(const struct varlena *value, uint8 *digest)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	const uint8 *start = (const uint8 *) VARDATA(value);
	Size		len = VARSIZE(value) - VARHDRSZ - VGM_MODEL_SEAL_BYTES;

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0
		|| pg_cryptohash_update(ctx, start, len) < 0
		|| pg_cryptohash_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute the SHA-256 seal of a stored model: %s",
			 pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
}

/* The seal of a model: the digest of its bytes. */
static void
digest_model(const VgmModel *model, uint8 *digest)
{
	digest_varlena((const struct varlena *) model, digest);
}

/* Write the seal of any sealed varlena into its last bytes (model_seal.h). */
void
vgm_varlena_seal(struct varlena *value)
{
	Assert(VARSIZE(value) >= VARHDRSZ + VGM_MODEL_SEAL_BYTES);
	digest_varlena(value, (uint8 *) value + VARSIZE(value) - VGM_MODEL_SEAL_BYTES);
}

/* Whether the last bytes of a sealed varlena hold the seal of the others. */
bool
vgm_varlena_seal_holds(const struct varlena *value)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	digest_varlena(value, digest);
	return memcmp(digest, (const uint8 *) value + VARSIZE(value) - VGM_MODEL_SEAL_BYTES,
				  VGM_MODEL_SEAL_BYTES) == 0;
}

/* Mark a model sealed and write its seal (see model_seal.h). */
void
vgm_model_seal(VgmModel *model)
{
	Assert(VARSIZE(model) == VGM_MODEL_SEALED_SIZE(model->hdr.k, model->hdr.n_atoms));
	model->unused = VGM_MODEL_SEALED;
	digest_model(model, (uint8 *) model + VARSIZE(model) - VGM_MODEL_SEAL_BYTES);
}

/* Check a sealed model's seal against its bytes (see model_seal.h). */
void
vgm_model_check_seal(const VgmModel *model)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	digest_model(model, digest);
	if (memcmp(digest, (const uint8 *) model + VARSIZE(model) - VGM_MODEL_SEAL_BYTES,
			   VGM_MODEL_SEAL_BYTES) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vgm_model: its seal does not match its content"),
				 errdetail("The SHA-256 of the model's %zu bytes differs from the one stored with it; the stored value was damaged.",
						   (Size) (VARSIZE(model) - VARHDRSZ - VGM_MODEL_SEAL_BYTES))));
}
