/* rng.c: Philox4x32-10, the counter-based generator of Random123.
 *
 * Key words: (seed low 32, seed high 32).  Counter words: (counter low 32,
 * counter high 32, 0, 0).  With seed = 0 and counter = 0 this is Random123's
 * known-answer case philox4x32_10(ctr = 0, key = 0). */
#include "rng.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline void philox_round(uint32_t c[4], const uint32_t k[2])
{
	uint64_t p0 = (uint64_t)PHILOX_M0 * c[0];
	uint64_t p1 = (uint64_t)PHILOX_M1 * c[2];
	uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
	uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
	uint32_t n0 = hi1 ^ c[1] ^ k[0];
	uint32_t n2 = hi0 ^ c[3] ^ k[1];
	c[0] = n0;
	c[1] = lo1;
	c[2] = n2;
	c[3] = lo0;
}

void mq_philox4x32(uint64_t seed, uint64_t counter, uint32_t out[4])
{
	uint32_t k[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
	uint32_t c[4] = {(uint32_t)counter, (uint32_t)(counter >> 32), 0, 0};
	for (int r = 0; r < 10; r++) {
		philox_round(c, k);
		k[0] += PHILOX_W0;
		k[1] += PHILOX_W1;
	}
	for (int i = 0; i < 4; i++)
		out[i] = c[i];
}

uint32_t mq_rand32(uint64_t seed, uint64_t index)
{
	uint32_t w[4];
	mq_philox4x32(seed, index >> 2, w);
	return w[index & 3];
}

void mq_rand32_fill(uint64_t seed, uint64_t first, uint32_t *out, uint64_t n)
{
	uint64_t i = 0;
	uint32_t w[4];
	/* leading partial block */
	while (i < n && ((first + i) & 3)) {
		out[i] = mq_rand32(seed, first + i);
		i++;
	}
	for (; i + 4 <= n; i += 4) {
		mq_philox4x32(seed, (first + i) >> 2, w);
		out[i] = w[0], out[i + 1] = w[1], out[i + 2] = w[2], out[i + 3] = w[3];
	}
	for (; i < n; i++)
		out[i] = mq_rand32(seed, first + i);
}

static uint64_t splitmix64(uint64_t z)
{
	z += 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

uint64_t mq_seed_derive(uint64_t seed, uint64_t tag)
{
	return splitmix64(splitmix64(seed) ^ tag);
}
