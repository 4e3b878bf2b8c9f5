/* test_accum.c: the accumulator model of kernels/accum.h on small cases
 * worked out by hand, the float32 preset against a plain float32 loop,
 * and the GEMM wrapper against the dot product. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accum.h"
#include "format.h"
#include "quant.h"
#include "check.h"

static mq_accum_model mk(int block, int F, mq_acc_round ra, int acc, mq_acc_round rn,
                         int promote)
{
	mq_accum_model m = {block, F, ra, acc, rn, promote, 0, -6, -6};
	return m;
}

/* sum_k a[k] * 1 under m */
static float dot1(const mq_accum_model *m, const float *a, size_t K)
{
	float ones[256];
	for (int i = 0; i < 256; i++)
		ones[i] = 1.0f;
	return mq_accum_dot(m, a, 1, ones, 1, K);
}

static unsigned lcg(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* A random E4M3 value (any finite code but NaN), as float. */
static float e4m3(unsigned *s)
{
	unsigned c = lcg(s) & 0xff;
	while ((c & 0x7f) == 0x7f)
		c = lcg(s) & 0xff;
	unsigned E = (c >> 3) & 15, m = c & 7;
	float v = E ? ldexpf((float)(8 + m), (int)E - 10) : ldexpf((float)m, -9);
	return (c & 0x80) ? -v : v;
}

static void test_alignment(void)
{
	/* one block {1, 2^-5}: with F = 4 the grid is 2^-4 and 2^-5 is half a
	 * step: truncated away (RZ), to -1 step for a negative term (RD), to
	 * the even neighbour 0 (RNE); F = 5 keeps it */
	float a[2] = {1.0f, 0.03125f};
	mq_accum_model m = mk(2, 4, MQ_ACC_RZ, 24, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, a, 2) == 1.0f, "RZ drops half a step: %a", dot1(&m, a, 2));
	m.frac_bits = 5;
	CHECK(dot1(&m, a, 2) == 1.03125f, "F = 5 keeps 2^-5: %a", dot1(&m, a, 2));
	a[1] = -0.03125f;
	m = mk(2, 4, MQ_ACC_RZ, 24, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, a, 2) == 1.0f, "RZ of -half: %a", dot1(&m, a, 2));
	m.round_align = MQ_ACC_RD;
	CHECK(dot1(&m, a, 2) == 0.9375f, "RD of -half: %a", dot1(&m, a, 2));
	m.round_align = MQ_ACC_RNE;
	CHECK(dot1(&m, a, 2) == 1.0f, "RNE of -half (tie to 0): %a", dot1(&m, a, 2));
	/* 3 * 2^-6 = 0.75 steps: RZ 0, RNE 1 */
	a[1] = 0.046875f;
	m = mk(2, 4, MQ_ACC_RNE, 24, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, a, 2) == 1.0625f, "RNE of 0.75 step: %a", dot1(&m, a, 2));
	m.round_align = MQ_ACC_RZ;
	CHECK(dot1(&m, a, 2) == 1.0f, "RZ of 0.75 step: %a", dot1(&m, a, 2));
	/* alignment is to the largest term of the block, whichever index */
	float b[4] = {0.03125f, 0.03125f, 0.03125f, 1.0f};
	m = mk(4, 4, MQ_ACC_RZ, 24, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, b, 4) == 1.0f, "three half steps, each dropped: %a", dot1(&m, b, 4));
	m.block = 2; /* {2^-5, 2^-5} exact, then {2^-4 in T, 2^-5, 1}: 2^-4 kept */
	CHECK(dot1(&m, b, 4) == 1.0625f, "blocks of two: %a", dot1(&m, b, 4));
}

static void test_swamping_and_promotion(void)
{
	/* 64 terms of 2^-5 with F = 4, one at a time: T climbs exactly to 1.0
	 * (while T < 1 the grid is fine enough), then every further 2^-5 is
	 * half a step below the grid of T = 1 and is lost */
	float a[64];
	for (int i = 0; i < 64; i++)
		a[i] = 0.03125f;
	mq_accum_model m = mk(1, 4, MQ_ACC_RZ, 24, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, a, 64) == 1.0f, "swamped at 1: %a", dot1(&m, a, 64));
	/* promoting every 32 products restarts T: 1 + 1 */
	m.promote = 32;
	CHECK(dot1(&m, a, 64) == 2.0f, "promotion every 32: %a", dot1(&m, a, 64));
	/* a partial last segment is added at the end: 48 products, 1 + 0.5 */
	CHECK(dot1(&m, a, 48) == 1.5f, "partial segment: %a", dot1(&m, a, 48));
	/* blocks of 32 see all 32 products together with T */
	m = mk(32, 4, MQ_ACC_RZ, 24, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, a, 64) == 1.0f, "block 32, second block dropped: %a", dot1(&m, a, 64));
}

static void test_normalisation(void)
{
	/* 1 + 1/8 + 1/16 = 1.0011b, to 4 significant bits */
	float a[3] = {1.0f, 0.125f, 0.0625f};
	mq_accum_model m = mk(3, 20, MQ_ACC_RZ, 4, MQ_ACC_RZ, 0);
	CHECK(dot1(&m, a, 3) == 1.125f, "RZ to 4 bits: %a", dot1(&m, a, 3));
	m.round_norm = MQ_ACC_RNE; /* tie, 1.001b is odd: up to 1.010b */
	CHECK(dot1(&m, a, 3) == 1.25f, "RNE to 4 bits: %a", dot1(&m, a, 3));
	m.round_norm = MQ_ACC_RD;
	CHECK(dot1(&m, a, 3) == 1.125f, "RD to 4 bits: %a", dot1(&m, a, 3));
	float b[3] = {-1.0f, -0.125f, -0.0625f};
	CHECK(dot1(&m, b, 3) == -1.25f, "RD of a negative sum: %a", dot1(&m, b, 3));
	m.round_norm = MQ_ACC_RZ;
	CHECK(dot1(&m, b, 3) == -1.125f, "RZ of a negative sum: %a", dot1(&m, b, 3));
	/* zeros and cancellation */
	float z[4] = {0.0f, 0.0f, 0.0f, 0.0f};
	CHECK(dot1(&m, z, 4) == 0.0f, "zeros");
	float c[2] = {3.0f, -3.0f};
	CHECK(dot1(&m, c, 2) == 0.0f, "cancellation");
	CHECK(dot1(&m, c, 0) == 0.0f, "K = 0");
}

static void test_fp32_preset(void)
{
	mq_accum_model m;
	CHECK(mq_accum_model_preset("fp32", &m) == MQ_OK, "fp32 preset");
	unsigned s = 7;
	for (int t = 0; t < 200; t++) {
		float a[300], b[300];
		size_t K = 1 + lcg(&s) % 300;
		for (size_t k = 0; k < K; k++)
			a[k] = e4m3(&s), b[k] = e4m3(&s);
		float ref = 0.0f;
		for (size_t k = 0; k < K; k++)
			ref += a[k] * b[k];
		float got = mq_accum_dot(&m, a, 1, b, 1, K);
		CHECK(memcmp(&ref, &got, 4) == 0, "fp32 preset: %a, loop %a", got, ref);
	}
	/* with F large the block model is exact up to its final rounding: it
	 * agrees with float32 one product at a time (block 1, F = 50, RNE) */
	mq_accum_model e = mk(1, 50, MQ_ACC_RNE, 24, MQ_ACC_RNE, 0);
	for (int t = 0; t < 200; t++) {
		float a[300], b[300];
		size_t K = 1 + lcg(&s) % 300;
		for (size_t k = 0; k < K; k++)
			a[k] = e4m3(&s), b[k] = e4m3(&s);
		float ref = mq_accum_dot(&m, a, 1, b, 1, K);
		float got = mq_accum_dot(&e, a, 1, b, 1, K);
		CHECK(memcmp(&ref, &got, 4) == 0, "F = 50 block 1: %a, fp32 %a", got, ref);
	}
}

static void test_gemm_and_checks(void)
{
	enum { M = 5, K = 77, N = 6 };
	float L[M * K], R[K * N], C1[M * N], C3[M * N];
	unsigned s = 99;
	for (int i = 0; i < M * K; i++)
		L[i] = e4m3(&s);
	for (int i = 0; i < K * N; i++)
		R[i] = e4m3(&s);
	mq_accum_model m;
	CHECK(mq_accum_model_preset("h100-fp8", &m) == MQ_OK, "h100-fp8 preset");
	CHECK(mq_accum_model_check(&m) == MQ_OK, "h100-fp8 valid");
	CHECK(mq_accum_model_preset("h100-fp8-fast", &m) == MQ_OK, "h100-fp8-fast preset");
	CHECK(mq_accum_model_check(&m) == MQ_OK, "h100-fp8-fast valid");
	CHECK(mq_accum_gemm(&m, M, K, N, L, R, 0.25f, C1, 1) == MQ_OK, "gemm 1 thread");
	CHECK(mq_accum_gemm(&m, M, K, N, L, R, 0.25f, C3, 3) == MQ_OK, "gemm 3 threads");
	CHECK(memcmp(C1, C3, sizeof C1) == 0, "threads change nothing");
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			float d = mq_accum_dot(&m, L + i * K, 1, R + j, N, K) * 0.25f;
			CHECK(memcmp(&d, &C1[i * N + j], 4) == 0, "gemm (%d,%d) is the dot product", i, j);
		}
	CHECK(mq_accum_gemm(&m, 0, K, N, L, R, 1.0f, C1, 1) == MQ_ESHAPE, "M = 0");
	mq_accum_model bad = m;
	bad.block = 0;
	CHECK(mq_accum_model_check(&bad) == MQ_EOPTION, "block 0");
	bad = m, bad.frac_bits = 51;
	CHECK(mq_accum_model_check(&bad) == MQ_EOPTION, "F 51");
	bad = m, bad.acc_bits = 25;
	CHECK(mq_accum_model_check(&bad) == MQ_EOPTION, "acc 25");
	bad = m, bad.block = 32, bad.promote = 48;
	CHECK(mq_accum_model_check(&bad) == MQ_EOPTION, "promote not a multiple of block");
	bad = mk(2, -1, MQ_ACC_RZ, 24, MQ_ACC_RNE, 0);
	CHECK(mq_accum_model_check(&bad) == MQ_EOPTION, "exact needs block 1");
	CHECK(mq_accum_gemm(&bad, M, K, N, L, R, 1.0f, C1, 1) == MQ_EOPTION, "gemm checks");
	CHECK(mq_accum_model_preset("h200", &m) == MQ_EOPTION, "unknown preset");
	CHECK(mq_accum_model_preset(NULL, &m) == MQ_EOPTION, "NULL preset");
	CHECK(strstr(mq_accum_model_known(), "h100-fp8") != NULL, "known list");
}

/* Dot products an NVIDIA H100 computed with torch._scaled_mm (float32 out,
 * scales 1; docs/gpu.md): the operands' codes as hex, the GPU's output.
 * Each is an output where float32 accumulation in k order differs. */
static const struct {
	const char *fmt_a; /* the right operand is e4m3 */
	int K, fast;
	float gpu;
	const char *a, *b;
} h100[] = {
	/* config 24, output (0,0): GPU 0x1.0be8p+16, float32 in k order 0x1.0c31e6p+16 */
	{"e4m3", 512, 0, 0x1.0be8p+16,
	 "554d552d70bfc254f29d2d5685a5bf5d08b66360715b86a4e5b4efb2f1d83081fec6cc8f4c2b552d524cca3474ca87293c3031b3dae637b264668d7cfafc5319c8034e3a560eee9694d65e8612112ad4fcabc592fddef576fa1f6de45d6108e38a4843343a33e837ddcd2092f5c3c5544fdf8eefb4bb7e5c49505123c12541d6d92f2a90aabf0c3cc31e8e18610a623bb13a9fa5da9b8f17ab40f8665b706fbd592d6be68160767662ece05ad293eb043ac486c4b94ccd1e744c2f132f1b2b7528c8c204d0e126276ee9caf8d17c6a4b24500cbae09d18e3e9183a35c1cd7a5117d04d058e685cd4d088fc5b8a3fe171132e4ccde47211595363635a22247694e994b961095ed4f6fbadbfb23e1a56d34d6a9c257349d46e8d809005546a36798754c9718e22fe5f9f86b9886e208a8891c7e03cd2b123df2aeb71e5be3511ad95a0603479b9283b3d8460afbb028ceaa275c5916f772515894e499f209e0471e0303763445450b8a8343ad5a80690d5c1218760801f29a15a75de4c4a833cda91e02e49c095c51cc9988b4a47a145fe5d373713b5039391fc94601cae7c89911d08bd8a0316da82a8f58dbc5a985473864e8bc6bce4b1b56dd4e13b8325caeee1190ec0a906eefb278da4b8f446c12ee6ba69725baa7887d9d8190ba3b72910949c47009c68a8d034434dfb7a35431dd9c59eb1c1884732cd33ee946af4eda5",
	 "47300f3df6d23088b1b044f61e7e4e36d2765826542481e6b87c6e9ba510430c11e6906aa667e8d809d0445988b724486c84e8a20585ee7460edbf752305da4ee92f89be2cf6140d34c04f105cad94eefa216ffcfdddc1a70a15e097dfef6ae04674547ea493af80ad955716b6c1b0258ab8a50c47b46f7cd2a13756881b04ca9421adb5be46b69c2d356970030f788e0e9638be124bd47168733468a75a0574df2a1c67fc759112395025ed2c64c3a752d18116597daa4b337d5e55e395413b2eab84a8c5bc54828d3a390e50998e8c437a325be0e313f5939e184490f755de4f15b3241187ede0e9c7c976aa23d626607178e7b8c2d11e74e2e6b42944cb6fe0b724ad9d631a75d3e50459e4a3f01e98283286e163fc54578ed5fb47822f668def954edc8794d9bb23554995e52426fa023a7cc320de3fd4ee236cbe3bb22487e0e41ee6030af03ead75afafb960e061a1dac998fe3f8d99202e4b32fd44eb406ac70eeebc665237262cd2467657962c815989e2f43d91f793231286dec57d87238c9feb4d38f55234eefa346a0d69d56569b4507478af4f924b76f81e54b17d1fae9301488021faac3003896357d95794d2745e658a5318c48463b83cb7590a3d10425a84a683c95f8f50d50bc4f9ed0227f430e9264a8842562bfbfde45203be0574e5fba269bbd99d793ca930e6536adaaf7dee4f14f857d6acf4dc4f87"},
	/* config 25, output (0,0): GPU 0x1.0bdp+16, float32 in k order 0x1.0c31e6p+16 */
	{"e4m3", 512, 1, 0x1.0bdp+16,
	 "554d552d70bfc254f29d2d5685a5bf5d08b66360715b86a4e5b4efb2f1d83081fec6cc8f4c2b552d524cca3474ca87293c3031b3dae637b264668d7cfafc5319c8034e3a560eee9694d65e8612112ad4fcabc592fddef576fa1f6de45d6108e38a4843343a33e837ddcd2092f5c3c5544fdf8eefb4bb7e5c49505123c12541d6d92f2a90aabf0c3cc31e8e18610a623bb13a9fa5da9b8f17ab40f8665b706fbd592d6be68160767662ece05ad293eb043ac486c4b94ccd1e744c2f132f1b2b7528c8c204d0e126276ee9caf8d17c6a4b24500cbae09d18e3e9183a35c1cd7a5117d04d058e685cd4d088fc5b8a3fe171132e4ccde47211595363635a22247694e994b961095ed4f6fbadbfb23e1a56d34d6a9c257349d46e8d809005546a36798754c9718e22fe5f9f86b9886e208a8891c7e03cd2b123df2aeb71e5be3511ad95a0603479b9283b3d8460afbb028ceaa275c5916f772515894e499f209e0471e0303763445450b8a8343ad5a80690d5c1218760801f29a15a75de4c4a833cda91e02e49c095c51cc9988b4a47a145fe5d373713b5039391fc94601cae7c89911d08bd8a0316da82a8f58dbc5a985473864e8bc6bce4b1b56dd4e13b8325caeee1190ec0a906eefb278da4b8f446c12ee6ba69725baa7887d9d8190ba3b72910949c47009c68a8d034434dfb7a35431dd9c59eb1c1884732cd33ee946af4eda5",
	 "47300f3df6d23088b1b044f61e7e4e36d2765826542481e6b87c6e9ba510430c11e6906aa667e8d809d0445988b724486c84e8a20585ee7460edbf752305da4ee92f89be2cf6140d34c04f105cad94eefa216ffcfdddc1a70a15e097dfef6ae04674547ea493af80ad955716b6c1b0258ab8a50c47b46f7cd2a13756881b04ca9421adb5be46b69c2d356970030f788e0e9638be124bd47168733468a75a0574df2a1c67fc759112395025ed2c64c3a752d18116597daa4b337d5e55e395413b2eab84a8c5bc54828d3a390e50998e8c437a325be0e313f5939e184490f755de4f15b3241187ede0e9c7c976aa23d626607178e7b8c2d11e74e2e6b42944cb6fe0b724ad9d631a75d3e50459e4a3f01e98283286e163fc54578ed5fb47822f668def954edc8794d9bb23554995e52426fa023a7cc320de3fd4ee236cbe3bb22487e0e41ee6030af03ead75afafb960e061a1dac998fe3f8d99202e4b32fd44eb406ac70eeebc665237262cd2467657962c815989e2f43d91f793231286dec57d87238c9feb4d38f55234eefa346a0d69d56569b4507478af4f924b76f81e54b17d1fae9301488021faac3003896357d95794d2745e658a5318c48463b83cb7590a3d10425a84a683c95f8f50d50bc4f9ed0227f430e9264a8842562bfbfde45203be0574e5fba269bbd99d793ca930e6536adaaf7dee4f14f857d6acf4dc4f87"},
	/* config 5, output (0,0): GPU 0x1.2d2p+5, float32 in k order 0x1.2d1d2p+5 */
	{"e5m2", 512, 1, 0x1.2d2p+5,
	 "ba393e37b13a3dbeb8bd37333e40bd2fb8b5aca73fbdb9c34140bd3fa6c33839b9c838bc2ca9b8beb83c44353a403bb1bdbebb3b33c2be3a4041ba2f47bdbbbd34b63ea9b9c0373bbeb4c0b8ad3f3c3ebdbeae2cb9c440c3373e3db7ba3d42bb243dbf3d39b5be37b8ba38403b32afb7bab8333e36aeb9b63ebd3cb93abcb5bd3ab5ba34bdb7463a36b934bd3c35af2db6b12dbe3da8c334b6bdbf29b7c02634beb7bca3b33ec138af4237c2293e38b5c528443d394334bb3e2f36b833b93b3c40b62db1b4b8bdbd39b7393931373534c1bf3e3d31354242b8c09a3a2fa53ac02fbb3eb943b4b8baa836bc40c13ec043c13db437bab7bb3dbbb4b8c0c4b43dbb363c3524353bc5c0303f3fb9c3b62dbc3d3a35b841bf41ac39abbd353c3cb93b2ac0b9393fbe2ebdb92ebdbcbc443f3d2b3ebcbd404141ba38b53e3db9c13db42ec23d42b7bbb3c0c4b5b4c03fba3b3ca830c43a44403bacbcb541b73ebd3a3bb935bab9b4be32403ac035c229b63cb5bcb6b0402dbd3bbab839be3d3638bcc03a3db4b3bd3ebeb43c3db4abbc393cc0bb33bba837333d363f303bbc3c3cb038ac4035b8b9b43cb93ec1323ea6bd39c53bbf3d362bbbb3403dc1c1adba363dc139bd3931403db5b0ba3e3cbbb43f3435b9b73dbbbd3dbd413d3541b9c63cb7bdb1bb3e3c2dbbb53bbb39363c38343f3cc034c135c2b4bc39bb3a39bd9dbebe2d",
	 "b6474431b33f3737aab52aaa443ab022b638463a49bdb9b79f2eb4ab9b18a696b8bbb5b2b130b19db89f35ae40be13b4bbbcb22f2832333dc1cbabbebab827abb145c4a926b34394a53cb6dc41af9d4508be3933a2aec042403b1dbe3eb52b3141bca4ba36b93220b03b213ebcc0c039bcbeb3adae31bbc44638b4c5b08e1b1b10b7bfa93cb8b42eb5bda8c03cc2a335b4213b363810b6233db53bad34aabf38a8b830b72fb4aa3dc1b957a7b7bb32411ea919c0bba435c0acaf32a8acaeaa3e353a8b293530c4c3bd2e3ec521bdbb373036aec2aa313827bc3f3630c2199a3c3a3dc13dba31ae1da638bbc0b7373db42585c0bdbecd3c35c83f38ad403a3ab5369f2c39ac3f3eb5bab331c2323a95adc4b03835bf35b12f32523ab09041c3b5ba30334137363a234245c2b9a93a3139bfbeb0b1b5c442b8b6393fbf39b13ec734ae2537aa47a8c1b0b23e943f32bc3840c1b2c1343c34022c42b499382630b4b2310740b89e2e29c630b935a03b2ead3ca8a7a6b44134bda9a8aabc36b8b4c03a4941b2b4b7abae9fb2b9b8329c3b3c41b11b341c3db73fa646c0390ab53bb740a8b3b0b90f3c3cb3a92b5130b6b138c530ad1f392c38c23f369839a738302f4c95aaa8ac51be39aea634b8b33a013333b734391839ab2c3e2dc438a23128382c48b8ab2e3aafba44b03ac145b826b0b487b5aaaaa82cb33a9f2f1faec3bf2d"},
};

static void test_h100_outputs(void)
{
	for (size_t t = 0; t < sizeof h100 / sizeof h100[0]; t++) {
		mq_format fa, fb;
		CHECK(mq_format_get(h100[t].fmt_a, &fa) == MQ_OK && mq_format_get("e4m3", &fb) == MQ_OK,
		      "formats");
		int K = h100[t].K;
		float *a = malloc(sizeof *a * (size_t)K), *b = malloc(sizeof *b * (size_t)K);
		for (int k = 0; k < K; k++) {
			unsigned ca, cb;
			sscanf(h100[t].a + 2 * k, "%2x", &ca);
			sscanf(h100[t].b + 2 * k, "%2x", &cb);
			a[k] = mq_decode1(&fa, ca);
			b[k] = mq_decode1(&fb, cb);
		}
		mq_accum_model m, f32;
		CHECK(mq_accum_model_preset(h100[t].fast ? "h100-fp8-fast" : "h100-fp8", &m) == MQ_OK,
		      "preset");
		mq_accum_model_operands(&m, &fa, &fb);
		mq_accum_model_preset("fp32", &f32);
		float got = mq_accum_dot(&m, a, 1, b, 1, (size_t)K);
		float ref = mq_accum_dot(&f32, a, 1, b, 1, (size_t)K);
		CHECK(memcmp(&got, &h100[t].gpu, 4) == 0, "H100 case %zu: model %a, GPU %a", t, got,
		      h100[t].gpu);
		CHECK(ref != h100[t].gpu, "H100 case %zu: float32 would have matched", t);
		free(a);
		free(b);
	}
}

int main(void)
{
	test_h100_outputs();
	test_alignment();
	test_swamping_and_promotion();
	test_normalisation();
	test_fp32_preset();
	test_gemm_and_checks();
	if (failures)
		fprintf(stderr, "test_accum: %d failure(s)\n", failures);
	return failures != 0;
}
