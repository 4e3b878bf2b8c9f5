/* data.h: the training text and masked-language-model batches.
 *
 * Text.  The license texts every Debian system ships in
 * /usr/share/common-licenses (base-files): every regular file of the
 * folder (symbolic links such as GPL -> GPL-3 are skipped, so no text is
 * read twice), in byte order of the names.  Split: the first
 * (1 - eval_frac) of each file's bytes are training text, the rest
 * held-out text, each part concatenated in file order.  Taking the tail of
 * every file (rather than whole files) keeps the held-out text in the same
 * mix of licenses, and the near-copies among them (GPL-2 / LGPL-2 /
 * LGPL-2.1, GFDL-1.2 / 1.3) have their tails on the same side of the cut.
 * The file set differs slightly between Debian releases; mq_corpus records
 * what was read (files, characters, a hash) so that results say it.
 *
 * Tokens are characters: 0 is [MASK], 1 is '\n', 2..96 the printable ASCII
 * characters ' '..'~', 97 any other byte (tab, form feed, non-ASCII).
 *
 * Batches (BERT's masking, with a fixed count per sequence).  A sequence is
 * a window of T consecutive tokens.  NM distinct positions of it are
 * chosen uniformly; each chosen token becomes [MASK] with probability 0.8,
 * a uniformly random character token (1..V-1) with probability 0.1, and
 * stays with probability 0.1; the loss and the accuracy are over the
 * chosen positions.  All draws are Philox words (rng.h) of
 * mq_seed_derive(seed, batch index), so a batch depends on the seed and
 * its index alone. */
#ifndef MQ_DATA_H
#define MQ_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define MQ_TOK_MASK 0
#define MQ_VOCAB 98
#define MQ_MAXSEQ 4096     /* the longest sequence mq_mlm_batch takes */
#define MQ_LICENSES_DIR "/usr/share/common-licenses"

typedef struct mq_corpus {
	uint8_t *train, *eval;      /* token ids */
	size_t ntrain, neval;
	int nfiles;
	uint64_t hash;              /* FNV-1a of the bytes read, in order */
} mq_corpus;

int mq_token_of_byte(unsigned char c);
/* The character a token stands for ('?' for 97, '_' for [MASK]). */
char mq_byte_of_token(int tok);

/* Read dir (NULL: MQ_LICENSES_DIR) and split it; eval_frac in (0, 1).
 * MQ_EIO if the folder cannot be read or holds no text, MQ_EOPTION for a
 * bad fraction, MQ_ENOMEM. */
mq_status mq_corpus_load(const char *dir, double eval_frac, mq_corpus *c);
void mq_corpus_free(mq_corpus *c);

/* B sequences of T tokens with NM masked positions each, from text[0..n)
 * (MQ_MAXSEQ >= T, n >= T): inputs (B, T), mpos (B, NM), targets (B, NM).  Sequence i
 * starts at starts[i] (<= n - T), or, with starts NULL, at a uniformly
 * random position in [0, n - T].  The draws come from
 * mq_seed_derive(seed, index). */
void mq_mlm_batch(const uint8_t *text, size_t n, int B, int T, int NM, int V,
                  uint64_t seed, uint64_t index, const size_t *starts,
                  int *inputs, int *mpos, int *targets);

#endif
