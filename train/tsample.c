/* tsample.c: the operands of training's matmuls to .npy (tsample.h). */
#define _POSIX_C_SOURCE 200809L
#include "tsample.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hash.h"
#include "npywrite.h"

struct mq_tsample {
	char *dir;
	uint64_t *steps;
	size_t nsteps;
	mq_tsample_row *rows;
	size_t nrows, caprows;
	uint64_t bytes;
	/* the current step's operands, to find shared storage and duplicates */
	size_t step_first;          /* its first row */
	struct seen {
		const float *x;
		int nex, nbat, free, contract, trans;
		uint64_t hash;
		size_t row;
	} *seen;
	size_t nseen, capseen;
	int nstorage;
	float *buf;
	size_t capbuf;
	mq_status err;
	char msg[512];
};

static void set_err(mq_tsample *s, mq_status e, const char *msg)
{
	if (s->err != MQ_OK)
		return;
	s->err = e;
	snprintf(s->msg, sizeof s->msg, "%s", msg);
}

mq_status mq_tsample_open(mq_tsample **out, const char *dir, const uint64_t *steps,
                          size_t nsteps, char *err, size_t errlen)
{
	*out = NULL;
	for (size_t i = 0; i < nsteps; i++)
		if (steps[i] >= (1ull << 62)) {
			snprintf(err, errlen, "sample step %llu is out of range (< 2^62)",
			         (unsigned long long)steps[i]);
			return MQ_EOPTION;
		}
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create the sample folder: %s", dir, strerror(errno));
		return MQ_EIO;
	}
	/* find out now, not after the run, whether files can be written there */
	size_t dl = strlen(dir);
	char *probe = malloc(dl + 32);
	if (!probe) {
		snprintf(err, errlen, "out of memory");
		return MQ_ENOMEM;
	}
	snprintf(probe, dl + 32, "%s/tensors.csv.tmp", dir);
	FILE *f = fopen(probe, "w");
	if (!f) {
		snprintf(err, errlen, "%s: cannot write in the sample folder: %s", dir, strerror(errno));
		free(probe);
		return MQ_EIO;
	}
	fclose(f);
	remove(probe);
	free(probe);
	mq_tsample *s = calloc(1, sizeof *s);
	if (!s || !(s->dir = strdup(dir)) ||
	    (nsteps && !(s->steps = malloc(nsteps * sizeof *s->steps)))) {
		mq_tsample_free(s);
		snprintf(err, errlen, "out of memory");
		return MQ_ENOMEM;
	}
	if (nsteps)
		memcpy(s->steps, steps, nsteps * sizeof *steps);
	s->nsteps = nsteps;
	s->step_first = (size_t)-1;
	*out = s;
	return MQ_OK;
}

void mq_tsample_attach(mq_tsample *s, mq_tquant *t)
{
	t->tap = mq_tsample_tap;
	t->tap_ctx = s;
}

void mq_tsample_free(mq_tsample *s)
{
	if (!s)
		return;
	free(s->dir);
	free(s->steps);
	free(s->rows);
	free(s->seen);
	free(s->buf);
	free(s);
}

const mq_tsample_row *mq_tsample_rows(const mq_tsample *s, size_t *n, uint64_t *bytes)
{
	if (n)
		*n = s->nrows;
	if (bytes)
		*bytes = s->bytes;
	return s->rows;
}

/* FNV-1a over the canonical bytes: with the storage and layout equal, a
 * match means the same values (a false match would need a 64-bit hash
 * collision between two states of one buffer within a step) */
static uint64_t hash_bytes(const void *p, size_t n)
{
	return mq_fnv1a64(p, n, MQ_FNV1A64_INIT);
}

/* op's blocks into [block][free][contract] */
static void canonical(const mq_toperand *op, float *out)
{
	size_t nblk = (size_t)op->nex * (size_t)op->nbat;
	size_t fr = (size_t)op->free, co = (size_t)op->contract, bs = fr * co;
	if (!op->trans) {
		memcpy(out, op->x, nblk * bs * sizeof *out);
		return;
	}
	/* stored contract x free */
	for (size_t b = 0; b < nblk; b++) {
		const float *x = op->x + b * bs;
		float *o = out + b * bs;
		for (size_t c = 0; c < co; c++)
			for (size_t j = 0; j < fr; j++)
				o[j * co + c] = x[c * fr + j];
	}
}

static int wanted(const mq_tsample *s, uint64_t step)
{
	for (size_t i = 0; i < s->nsteps; i++)
		if (s->steps[i] == step)
			return 1;
	return 0;
}

void mq_tsample_tap(void *ctx, const mq_tquant *t, const mq_toperand *op)
{
	mq_tsample *s = ctx;
	if (s->err != MQ_OK || !wanted(s, t->step))
		return;
	if (s->step_first == (size_t)-1 || s->rows[s->step_first].step != t->step) {
		s->step_first = s->nrows;
		s->nseen = 0;
		s->nstorage = 0;
	}
	size_t n = (size_t)op->nex * (size_t)op->nbat * (size_t)op->free * (size_t)op->contract;
	if (s->capbuf < n) {
		float *p = realloc(s->buf, n * sizeof *p);
		if (!p)
			return set_err(s, MQ_ENOMEM, "out of memory copying an operand");
		s->buf = p, s->capbuf = n;
	}
	if (s->nrows == s->caprows) {
		size_t c = s->caprows ? 2 * s->caprows : 256;
		mq_tsample_row *p = realloc(s->rows, c * sizeof *p);
		if (!p)
			return set_err(s, MQ_ENOMEM, "out of memory for the index");
		s->rows = p, s->caprows = c;
	}
	if (s->nseen == s->capseen) {
		size_t c = s->capseen ? 2 * s->capseen : 256;
		struct seen *p = realloc(s->seen, c * sizeof *p);
		if (!p)
			return set_err(s, MQ_ENOMEM, "out of memory for the index");
		s->seen = p, s->capseen = c;
	}
	canonical(op, s->buf);
	uint64_t h = hash_bytes(s->buf, n * sizeof *s->buf);

	mq_tsample_row *r = &s->rows[s->nrows];
	memset(r, 0, sizeof *r);
	r->step = t->step;
	r->layer = t->tag.mm ? t->tag.layer : -1;
	const char *mm = t->tag.mm ? t->tag.mm : "mm";
	if (t->tag.grad)
		snprintf(r->matmul, sizeof r->matmul, "%s.%s", mm, t->tag.grad);
	else
		snprintf(r->matmul, sizeof r->matmul, "%s", mm);
	r->backward = t->tag.grad != NULL;
	r->operand = op->operand;
	r->cat = op->cat;
	r->nex = op->nex, r->nbat = op->nbat, r->free = op->free, r->contract = op->contract;
	/* the same memory with the same extent: the same stored tensor */
	size_t stored = n;
	const struct seen *same = NULL;
	r->storage = -1;
	for (size_t i = 0; i < s->nseen; i++) {
		const struct seen *e = &s->seen[i];
		size_t en = (size_t)e->nex * (size_t)e->nbat * (size_t)e->free * (size_t)e->contract;
		if (e->x != op->x || en != stored)
			continue;
		r->storage = s->rows[e->row].storage;
		if (e->nex == op->nex && e->nbat == op->nbat && e->free == op->free &&
		    e->contract == op->contract && e->trans == op->trans && e->hash == h)
			same = e;
	}
	if (r->storage < 0)
		r->storage = s->nstorage++;
	if (same) {
		memcpy(r->file, s->rows[same->row].file, sizeof r->file);
	} else {
		/* a name taken earlier in the step (an untagged or repeated
		 * product) gets a suffix */
		char base[80];
		if (r->layer >= 0)
			snprintf(base, sizeof base, "s%06llu_l%d_%s_%c", (unsigned long long)r->step,
			         r->layer, r->matmul, "AB"[r->operand]);
		else
			snprintf(base, sizeof base, "s%06llu_%s_%c", (unsigned long long)r->step, r->matmul,
			         "AB"[r->operand]);
		int k = 1;
		for (int clash = 1; clash; ) {
			if (k == 1)
				snprintf(r->file, sizeof r->file, "%s.npy", base);
			else
				snprintf(r->file, sizeof r->file, "%s_%d.npy", base, k);
			clash = 0;
			for (size_t i = s->step_first; i < s->nrows && !clash; i++)
				clash = !strcmp(s->rows[i].file, r->file);
			k++;
		}
		size_t pl = strlen(s->dir) + strlen(r->file) + 2;
		char *path = malloc(pl);
		if (!path)
			return set_err(s, MQ_ENOMEM, "out of memory");
		snprintf(path, pl, "%s/%s", s->dir, r->file);
		uint64_t dim[4] = {(uint64_t)op->nex, (uint64_t)op->nbat, (uint64_t)op->free,
		                   (uint64_t)op->contract};
		char e[400];
		mq_io_status st = mq_io_save_npy(path, s->buf, 4, dim, e, sizeof e);
		free(path);
		if (st != MQ_IO_OK)
			return set_err(s, st == MQ_IO_ENOMEM ? MQ_ENOMEM : MQ_EIO, e);
		r->written = 1;
		s->bytes += n * sizeof(float);
	}
	s->seen[s->nseen++] = (struct seen){op->x, op->nex, op->nbat, op->free, op->contract,
	                                    op->trans, h, s->nrows};
	s->nrows++;
}

mq_status mq_tsample_finish(mq_tsample *s, char *err, size_t errlen)
{
	if (s->err != MQ_OK) {
		snprintf(err, errlen, "%s", s->msg);
		return s->err;
	}
	size_t dl = strlen(s->dir);
	char *path = malloc(dl + 32), *tmp = malloc(dl + 32);
	if (!path || !tmp) {
		free(path), free(tmp);
		snprintf(err, errlen, "out of memory");
		return MQ_ENOMEM;
	}
	snprintf(path, dl + 32, "%s/tensors.csv", s->dir);
	snprintf(tmp, dl + 32, "%s/tensors.csv.tmp", s->dir);
	FILE *f = fopen(tmp, "w");
	int ok = f != NULL;
	if (ok)
		ok = fputs("step,layer,matmul,pass,operand,category,nex,nbat,free,contract,storage,file\n",
		           f) >= 0;
	for (size_t i = 0; ok && i < s->nrows; i++) {
		const mq_tsample_row *r = &s->rows[i];
		ok = fprintf(f, "%llu,%d,%s,%s,%c,%s,%d,%d,%d,%d,%d,%s\n", (unsigned long long)r->step,
		             r->layer, r->matmul, r->backward ? "bwd" : "fwd", "AB"[r->operand],
		             mq_tcat_name(r->cat), r->nex, r->nbat, r->free, r->contract, r->storage,
		             r->file) > 0;
	}
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: cannot write the index: %s", path, strerror(errno));
		remove(tmp);
		free(path), free(tmp);
		return MQ_EIO;
	}
	free(path), free(tmp);
	return MQ_OK;
}
