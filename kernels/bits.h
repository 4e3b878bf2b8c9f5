/* bits.h: a float's bits and back, the one bit cast every kernel uses.
 * memcpy is the cast C11 defines (no aliasing rule broken); compilers turn
 * it into a register move. */
#ifndef MQ_BITS_H
#define MQ_BITS_H

#include <stdint.h>
#include <string.h>

static inline uint32_t mq_f2u(float x)
{
	uint32_t u;
	memcpy(&u, &x, sizeof u);
	return u;
}

static inline float mq_u2f(uint32_t u)
{
	float x;
	memcpy(&x, &u, sizeof x);
	return x;
}

static inline uint64_t mq_d2u(double x)
{
	uint64_t u;
	memcpy(&u, &x, sizeof u);
	return u;
}

static inline double mq_u2d(uint64_t u)
{
	double x;
	memcpy(&x, &u, sizeof x);
	return x;
}

#endif
