// quant.cu: float32 -> FP8 E4M3 quantization on the GPU, for the throughput
// table (issue 8).  A shared library for ctypes (gpu/throughput.py): the
// pointers are device pointers, the calls enqueue on the given stream.
//
// code[i] = satfinite_rtne_e4m3(x[i] / s), the division correctly rounded
// (div.rn.f32; nvcc's default -prec-div=true), the conversion the
// cvt.rn.satfinite.e4m3x2.f32 instruction: the same function as metriq's
// mq_encode(e4m3, rtne, saturate) with scale s (throughput.py checks it on
// a sample).  Per-tensor scale s = absmax / 448 (1 when absmax is 0), as
// scale.h computes it, when mqq_quant_e4m3's `amax` flag is set: then
// *scale holds absmax's bits (from mqq_absmax) rather than the scale.
//
// Memory access: 16-byte loads, coalesced: block b covers 4 * blockDim
// float4s; thread t loads float4s t, t + blockDim, ... and stores each
// group of four codes as one 32-bit word, coalesced too.
#include <cuda_fp8.h>
#include <cuda_runtime.h>
#include <stdint.h>

static __device__ __forceinline__ uint32_t pack4(float4 v, float s)
{
	__nv_fp8x2_storage_t lo =
	    __nv_cvt_float2_to_fp8x2(make_float2(v.x / s, v.y / s), __NV_SATFINITE, __NV_E4M3);
	__nv_fp8x2_storage_t hi =
	    __nv_cvt_float2_to_fp8x2(make_float2(v.z / s, v.w / s), __NV_SATFINITE, __NV_E4M3);
	return (uint32_t)lo | ((uint32_t)hi << 16);
}

static __device__ __forceinline__ float scale_of(const float *scale, int amax)
{
	float s = *scale;
	if (amax)
		s = s == 0.0f ? 1.0f : s / 448.0f;
	return s;
}

__global__ void __launch_bounds__(256) quant_e4m3_k(const float4 *__restrict__ x,
                                                    uint32_t *__restrict__ y, size_t n4,
                                                    const float *__restrict__ scale, int amax)
{
	const float s = scale_of(scale, amax);
	const size_t tile = 4 * (size_t)blockDim.x;
	for (size_t base = blockIdx.x * tile; base < n4; base += (size_t)gridDim.x * tile) {
		float4 v[4];
#pragma unroll
		for (int j = 0; j < 4; j++) {
			size_t i = base + threadIdx.x + (size_t)j * blockDim.x;
			if (i < n4)
				v[j] = x[i];
		}
#pragma unroll
		for (int j = 0; j < 4; j++) {
			size_t i = base + threadIdx.x + (size_t)j * blockDim.x;
			if (i < n4)
				y[i] = pack4(v[j], s);
		}
	}
}

// Tail (n not a multiple of 4): one element a thread.
__global__ void quant_e4m3_tail(const float *__restrict__ x, uint8_t *__restrict__ y, size_t i0,
                                size_t n, const float *__restrict__ scale, int amax)
{
	const float s = scale_of(scale, amax);
	size_t i = i0 + blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i < n)
		y[i] = __nv_cvt_float_to_fp8(x[i] / s, __NV_SATFINITE, __NV_E4M3);
}

// max |x| as the bits of a float (non-negative floats order as integers).
__global__ void __launch_bounds__(256) absmax_k(const float4 *__restrict__ x, size_t n4,
                                                const float *__restrict__ xs, size_t n,
                                                unsigned int *amax)
{
	float m = 0.0f;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n4;
	     i += (size_t)gridDim.x * blockDim.x) {
		float4 v = x[i];
		m = fmaxf(m, fmaxf(fmaxf(fabsf(v.x), fabsf(v.y)), fmaxf(fabsf(v.z), fabsf(v.w))));
	}
	if (blockIdx.x == 0)
		for (size_t i = 4 * n4 + threadIdx.x; i < n; i += blockDim.x)
			m = fmaxf(m, fabsf(xs[i]));
	for (int o = 16; o > 0; o >>= 1)
		m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
	__shared__ float wm[8];
	if ((threadIdx.x & 31) == 0)
		wm[threadIdx.x >> 5] = m;
	__syncthreads();
	if (threadIdx.x == 0) {
		for (int w = 1; w < (int)(blockDim.x >> 5); w++)
			m = fmaxf(m, wm[w]);
		atomicMax(amax, __float_as_uint(m));
	}
}

static int grid_for(size_t work, int per_block)
{
	int dev = 0, sms = 132;
	cudaGetDevice(&dev);
	cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
	size_t want = (work + per_block - 1) / per_block;
	size_t cap = (size_t)sms * 16;
	return (int)(want < cap ? (want ? want : 1) : cap);
}

extern "C" {

// y[0..n) = codes of x[0..n) / s; s = *scale, or absmax-derived (above).
// x must be 16-byte aligned.  Returns a cudaError_t (0 = success).
int mqq_quant_e4m3(const float *x, uint8_t *y, size_t n, const float *scale, int amax,
                   void *stream)
{
	cudaStream_t st = (cudaStream_t)stream;
	size_t n4 = n / 4;
	if (n4) {
		quant_e4m3_k<<<grid_for(n4, 4 * 256), 256, 0, st>>>((const float4 *)x, (uint32_t *)y, n4,
		                                                     scale, amax);
	}
	if (n % 4)
		quant_e4m3_tail<<<1, 256, 0, st>>>(x, y, 4 * n4, n, scale, amax);
	return (int)cudaGetLastError();
}

// *amax_bits = bits of max |x[i]| (zeroed first).  x 16-byte aligned.
int mqq_absmax(const float *x, size_t n, unsigned int *amax_bits, void *stream)
{
	cudaStream_t st = (cudaStream_t)stream;
	cudaMemsetAsync(amax_bits, 0, sizeof(unsigned int), st);
	size_t n4 = n / 4;
	absmax_k<<<grid_for(n4, 4 * 256), 256, 0, st>>>((const float4 *)x, n4, x, n, amax_bits);
	return (int)cudaGetLastError();
}

} // extern "C"
