/* nn.c: the encoder's shapes, and its code (nn_impl.inc) instantiated for
 * float and double (nn.h). */
#include "nn.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "rng.h"

static const char *const param_names[MQ_NPARAM] = {
	"wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "relb", "attprojw", "attprojb", "ln2w", "ln2b",
	"fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb", "headb",
};

const char *mq_nn_param_name(int i)
{
	return i >= 0 && i < MQ_NPARAM ? param_names[i] : "?";
}

mq_status mq_nn_dims_check(const mq_nn_dims *d)
{
	if (!d || d->V < 1 || d->T < 1 || d->C < 1 || d->L < 1 || d->NH < 1 || d->B < 1 ||
	    d->NM < 1 || d->NM > d->T || d->C % d->NH)
		return MQ_ESHAPE;
	/* the largest operands (B*T x 4C, B*NH x T x T, B*NM x V) must fit
	 * an int for BLAS, with room: bound everything by 2^30 */
	double lim = (double)(1 << 30);
	double bt = (double)d->B * d->T;
	if (bt * 4 * d->C * d->L > lim || bt * d->NH * d->T * d->L > lim ||
	    (double)d->B * d->NM * d->V > lim || (double)d->V * d->C > lim)
		return MQ_ESHAPE;
	return MQ_OK;
}

size_t mq_nn_param_sizes(const mq_nn_dims *d, size_t s[MQ_NPARAM])
{
	size_t V = (size_t)d->V, T = (size_t)d->T, C = (size_t)d->C, L = (size_t)d->L;
	s[MQ_P_WTE] = V * C;
	s[MQ_P_WPE] = T * C;
	s[MQ_P_LN1W] = s[MQ_P_LN1B] = L * C;
	s[MQ_P_QKVW] = L * 3 * C * C;
	s[MQ_P_QKVB] = L * 3 * C;
	s[MQ_P_RELB] = L * (size_t)d->NH * (2 * T - 1);
	s[MQ_P_ATTPROJW] = L * C * C;
	s[MQ_P_ATTPROJB] = L * C;
	s[MQ_P_LN2W] = s[MQ_P_LN2B] = L * C;
	s[MQ_P_FCW] = L * 4 * C * C;
	s[MQ_P_FCB] = L * 4 * C;
	s[MQ_P_FCPROJW] = L * C * 4 * C;
	s[MQ_P_FCPROJB] = L * C;
	s[MQ_P_LNFW] = s[MQ_P_LNFB] = C;
	s[MQ_P_HEADB] = V;
	size_t n = 0;
	for (int i = 0; i < MQ_NPARAM; i++)
		n += s[i];
	return n;
}

size_t mq_nn_act_sizes(const mq_nn_dims *d, size_t s[MQ_NACT])
{
	size_t B = (size_t)d->B, T = (size_t)d->T, C = (size_t)d->C, L = (size_t)d->L;
	size_t NH = (size_t)d->NH, V = (size_t)d->V, NM = (size_t)d->NM;
	s[MQ_A_ENCODED] = B * T * C;
	s[MQ_A_LN1] = L * B * T * C;
	s[MQ_A_LN1_MEAN] = s[MQ_A_LN1_RSTD] = L * B * T;
	s[MQ_A_QKV] = L * B * T * 3 * C;
	s[MQ_A_Q] = s[MQ_A_K] = s[MQ_A_V] = L * B * T * C;
	s[MQ_A_ATT] = L * B * NH * T * T;
	s[MQ_A_ATTY] = s[MQ_A_ATTYM] = s[MQ_A_ATTPROJ] = s[MQ_A_RES2] = L * B * T * C;
	s[MQ_A_LN2] = L * B * T * C;
	s[MQ_A_LN2_MEAN] = s[MQ_A_LN2_RSTD] = L * B * T;
	s[MQ_A_FCH] = s[MQ_A_FCHG] = L * B * T * 4 * C;
	s[MQ_A_FCPROJ] = s[MQ_A_RES3] = L * B * T * C;
	s[MQ_A_LNF] = B * T * C;
	s[MQ_A_LNF_MEAN] = s[MQ_A_LNF_RSTD] = B * T;
	s[MQ_A_HM] = B * NM * C;
	s[MQ_A_LOGITS] = s[MQ_A_PROBS] = B * NM * V;
	s[MQ_A_LOSSES] = B * NM;
	size_t n = 0;
	for (int i = 0; i < MQ_NACT; i++)
		n += s[i];
	return n;
}

double mq_nn_normal(uint64_t seed, uint64_t index)
{
	uint32_t w[4];
	mq_philox4x32(seed, index, w);
	/* u1 in (0, 1], so the log is finite */
	double u1 = ((double)w[0] + 1.0) / 4294967296.0;
	double u2 = (double)w[1] / 4294967296.0;
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#define mq_real float
#define MQ_NN(name) name##_f32
#define MQ_MM mq_mm_f32
#include "nn_impl.inc"
#undef mq_real
#undef MQ_NN
#undef MQ_MM

#define mq_real double
#define MQ_NN(name) name##_f64
#define MQ_MM mq_mm_f64
#include "nn_impl.inc"
#undef mq_real
#undef MQ_NN
#undef MQ_MM
