/* rng.h: the counter-based generator behind stochastic rounding.
 *
 * Philox4x32-10 (Salmon et al., SC'11; the generator of cuRAND and JAX).
 * A block is keyed by the 64-bit seed and indexed by a 64-bit counter; it
 * yields four 32-bit words.  Element i of a stream uses word i%4 of block
 * i/4, so the bits an element gets depend only on (seed, i): any split of
 * the work over threads gives the same result.
 *
 * Mapping to Random123's philox4x32_10(ctr, key): key = {seed & 0xffffffff,
 * seed >> 32}, ctr = {counter & 0xffffffff, counter >> 32, 0, 0}; its
 * known-answer vector for ctr = key = 0 is mq_philox4x32(0, 0). */
#ifndef MQ_RNG_H
#define MQ_RNG_H

#include <stdint.h>

void mq_philox4x32(uint64_t seed, uint64_t counter, uint32_t out[4]);

/* The 32-bit word for element `index` of the stream `seed`. */
uint32_t mq_rand32(uint64_t seed, uint64_t index);

/* Fill out[0..n) with the words for elements first .. first+n-1. */
void mq_rand32_fill(uint64_t seed, uint64_t first, uint32_t *out, uint64_t n);

/* Derive an independent seed from a seed and a tag (splitmix64 of both):
 * used to give each tensor or grid cell a stream of its own. */
uint64_t mq_seed_derive(uint64_t seed, uint64_t tag);

#endif
