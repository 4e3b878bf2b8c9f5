/* hash.h: FNV-1a, 64 bits, the one stable hash of bytes in metriq (cell
 * keys and seeds, the script and data hashes in manifests, the training
 * sampler's buffer checks).  Not for security: it is chosen because it is
 * tiny, needs no state and gives the same value on every host, so a hash
 * recorded in a manifest or a paper can be checked anywhere.
 *
 *   uint64_t h = mq_fnv1a64(p, n, MQ_FNV1A64_INIT);
 *   h = mq_fnv1a64(q, m, h);      (a running hash: the same as over p then q) */
#ifndef MQ_HASH_H
#define MQ_HASH_H

#include <stddef.h>
#include <stdint.h>

#define MQ_FNV1A64_INIT 0xcbf29ce484222325ull

static inline uint64_t mq_fnv1a64(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

#endif
