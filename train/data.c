/* data.c: the license texts as character tokens, and MLM batches (data.h). */
#define _POSIX_C_SOURCE 200809L
#include "data.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hash.h"
#include "rng.h"

int mq_token_of_byte(unsigned char c)
{
	if (c == '\n')
		return 1;
	if (c >= ' ' && c <= '~')
		return 2 + (c - ' ');
	return MQ_VOCAB - 1;
}

char mq_byte_of_token(int tok)
{
	if (tok == MQ_TOK_MASK)
		return '_';
	if (tok == 1)
		return '\n';
	if (tok >= 2 && tok < MQ_VOCAB - 1)
		return (char)(' ' + tok - 2);
	return '?';
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir (not links), sorted; NULL on failure. */
static char **list_files(const char *dir, int *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char **names = NULL;
	int cnt = 0, cap = 0, ok = 1;
	struct dirent *e;
	while (ok && (e = readdir(d))) {
		char path[4096];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
			continue;
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (cnt == cap) {
			cap = cap ? 2 * cap : 32;
			char **p = realloc(names, (size_t)cap * sizeof *p);
			if (!p) {
				ok = 0;
				break;
			}
			names = p;
		}
		if (!(names[cnt] = strdup(e->d_name)))
			ok = 0;
		else
			cnt++;
	}
	closedir(d);
	if (!ok) {
		for (int i = 0; i < cnt; i++)
			free(names[i]);
		free(names);
		return NULL;
	}
	if (cnt)
		qsort(names, (size_t)cnt, sizeof *names, cmp_names);
	*n = cnt;
	return names ? names : calloc(1, sizeof *names);
}

static mq_status append(uint8_t **buf, size_t *n, size_t *cap, const unsigned char *src,
                        size_t len)
{
	if (*n + len > *cap) {
		size_t c = *cap ? *cap : 65536;
		while (c < *n + len)
			c *= 2;
		uint8_t *p = realloc(*buf, c);
		if (!p)
			return MQ_ENOMEM;
		*buf = p;
		*cap = c;
	}
	for (size_t i = 0; i < len; i++)
		(*buf)[*n + i] = (uint8_t)mq_token_of_byte(src[i]);
	*n += len;
	return MQ_OK;
}

mq_status mq_corpus_load(const char *dir, double eval_frac, mq_corpus *c)
{
	memset(c, 0, sizeof *c);
	if (!(eval_frac > 0 && eval_frac < 1))
		return MQ_EOPTION;
	if (!dir)
		dir = MQ_LICENSES_DIR;
	int nf = 0;
	char **names = list_files(dir, &nf);
	if (!names)
		return MQ_EIO;
	mq_status s = MQ_OK;
	size_t tcap = 0, ecap = 0;
	uint64_t h = MQ_FNV1A64_INIT;
	for (int i = 0; i < nf && s == MQ_OK; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "rb");
		if (!f) {
			s = MQ_EIO;
			break;
		}
		unsigned char *bytes = NULL;
		size_t len = 0, cap = 0, got;
		unsigned char chunk[65536];
		while (s == MQ_OK && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
			if (len + got > cap) {
				size_t nc = cap ? cap * 2 : sizeof chunk;
				while (nc < len + got)
					nc *= 2;
				unsigned char *p = realloc(bytes, nc);
				if (!p)
					s = MQ_ENOMEM;
				else
					bytes = p, cap = nc;
			}
			if (s == MQ_OK)
				memcpy(bytes + len, chunk, got), len += got;
		}
		if (ferror(f))
			s = MQ_EIO;
		fclose(f);
		if (s == MQ_OK)
			h = mq_fnv1a64(bytes, len, h);
		size_t cut = (size_t)((double)len * (1.0 - eval_frac));
		if (s == MQ_OK)
			s = append(&c->train, &c->ntrain, &tcap, bytes, cut);
		if (s == MQ_OK)
			s = append(&c->eval, &c->neval, &ecap, bytes + cut, len - cut);
		free(bytes);
		if (s == MQ_OK && len)
			c->nfiles++;
	}
	for (int i = 0; i < nf; i++)
		free(names[i]);
	free(names);
	if (s == MQ_OK && (c->ntrain == 0 || c->neval == 0))
		s = MQ_EIO;
	if (s != MQ_OK) {
		mq_corpus_free(c);
		return s;
	}
	c->hash = h;
	return MQ_OK;
}

void mq_corpus_free(mq_corpus *c)
{
	free(c->train);
	free(c->eval);
	memset(c, 0, sizeof *c);
}

/* A counter-based stream: word k of the batch's draws. */
typedef struct {
	uint64_t seed, k;
} stream;

static uint32_t draw(stream *s)
{
	return mq_rand32(s->seed, s->k++);
}

/* uniform in [0, n) for n <= 2^32, by multiply-shift (the bias, below
 * n / 2^32, is far below anything measured here) */
static uint64_t below(stream *s, uint64_t n)
{
	return ((uint64_t)draw(s) * n) >> 32;
}

void mq_mlm_batch(const uint8_t *text, size_t n, int B, int T, int NM, int V,
                  uint64_t seed, uint64_t index, const size_t *starts,
                  int *inputs, int *mpos, int *targets)
{
	stream s = {mq_seed_derive(seed, index), 0};
	int pos[MQ_MAXSEQ];
	for (int b = 0; b < B; b++) {
		size_t st;
		if (starts) {
			st = starts[b];
		} else {
			uint64_t hi = (uint64_t)draw(&s), lo = (uint64_t)draw(&s);
			st = (size_t)(((hi << 32) | lo) % (uint64_t)(n - (size_t)T + 1));
		}
		for (int t = 0; t < T; t++)
			inputs[b * T + t] = text[st + (size_t)t];
		/* NM distinct positions: a partial Fisher-Yates shuffle */
		for (int t = 0; t < T; t++)
			pos[t] = t;
		for (int j = 0; j < NM; j++) {
			int r = j + (int)below(&s, (uint64_t)(T - j));
			int tmp = pos[j];
			pos[j] = pos[r];
			pos[r] = tmp;
			int p = pos[j];
			mpos[b * NM + j] = p;
			targets[b * NM + j] = inputs[b * T + p];
			uint32_t u = draw(&s); /* one word decides the replacement */
			uint32_t tok = draw(&s);
			if (u < 0xCCCCCCCDu) /* 0.8 * 2^32 */
				inputs[b * T + p] = MQ_TOK_MASK;
			else if (u < 0xE6666667u) /* 0.9 * 2^32 */
				inputs[b * T + p] = 1 + (int)(((uint64_t)tok * (uint64_t)(V - 1)) >> 32);
		}
	}
}
