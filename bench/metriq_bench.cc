// metriq-bench: kernel throughput on Google Benchmark.
//
// Names are stable so runs on different machines compare:
//   BM_copy/N                         memcpy of N float32 (the bandwidth baseline)
//   BM_quantize/<fmt>/<rnd>/N         float32 -> 8-bit codes, one scale
//   BM_fakequant/<fmt>/<rnd>/N        float32 -> float32 through the format
//   BM_absmax/<gran>/N                absmax scales of a 4096-column LHS
// items_per_second counts elements.  Inputs are N(0,1) from a fixed seed.
// Kernel path: the CPU's widest (METRIQ_ISA=generic|avx2|avx512 forces one);
// the path is recorded in the context as metriq_isa.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" {
#include "metriq.h"
#include "qkern.h"
}

namespace {

const std::vector<float> &inputs(size_t n)
{
	static std::vector<float> x;
	if (x.size() != n) {
		x.resize(n);
		std::mt19937 g(12345);
		std::normal_distribution<float> d(0.0f, 1.0f);
		for (auto &v : x)
			v = d(g);
	}
	return x;
}

void BM_copy(benchmark::State &st)
{
	size_t n = (size_t)st.range(0);
	const auto &x = inputs(n);
	std::vector<float> y(n);
	for (auto _ : st) {
		std::memcpy(y.data(), x.data(), n * sizeof(float));
		benchmark::ClobberMemory();
	}
	st.SetItemsProcessed((int64_t)st.iterations() * (int64_t)n);
	st.SetBytesProcessed((int64_t)st.iterations() * (int64_t)n * 8);
}

void quantize(benchmark::State &st, const char *fmt, const char *rnd, bool codes)
{
	size_t n = (size_t)st.range(0);
	const auto &x = inputs(n);
	mq_qspec q;
	if (mq_qspec_init(&q, fmt, rnd) != MQ_OK) {
		st.SkipWithError("bad format");
		return;
	}
	q.seed = 7;
	float scale = 4.0f / q.fmt.max; // absmax of N(0,1) at this size is about 5.5: some clipping, as in practice
	std::vector<uint8_t> c(n);
	std::vector<float> y(n);
	for (auto _ : st) {
		if (codes)
			mq_encode(&q, x.data(), n, scale, 0, c.data(), nullptr);
		else
			mq_fakequant(&q, x.data(), n, scale, 0, y.data(), nullptr);
		benchmark::ClobberMemory();
	}
	st.SetItemsProcessed((int64_t)st.iterations() * (int64_t)n);
}

void absmax(benchmark::State &st, const char *gran)
{
	size_t n = (size_t)st.range(0), cols = 4096;
	const auto &x = inputs(n);
	mq_layout l;
	mq_layout_matrix(&l, n / cols, cols, MQ_LHS);
	mq_granularity g;
	mq_gran_parse(gran, &g);
	mq_format f;
	mq_format_get("e4m3", &f);
	std::vector<float> s(mq_scale_count(&l, &g));
	for (auto _ : st) {
		mq_absmax_scales(&l, &g, &f, MQ_SCALE_FP32, x.data(), s.data());
		benchmark::ClobberMemory();
	}
	st.SetItemsProcessed((int64_t)st.iterations() * (int64_t)n);
}

const int64_t N = 1 << 24;

int register_all()
{
	benchmark::RegisterBenchmark("BM_copy", BM_copy)->Arg(N)->UseRealTime();
	for (const char *f : {"int8", "e4m3", "e5m2"})
		for (const char *r : {"rtne", "sr"}) {
			std::string tail = std::string(f) + "/" + r;
			benchmark::RegisterBenchmark(("BM_quantize/" + tail).c_str(),
			                             [f, r](benchmark::State &s) { quantize(s, f, r, true); })
			    ->Arg(N)->UseRealTime();
			benchmark::RegisterBenchmark(("BM_fakequant/" + tail).c_str(),
			                             [f, r](benchmark::State &s) { quantize(s, f, r, false); })
			    ->Arg(N)->UseRealTime();
		}
	for (const char *g : {"tensor", "channel", "block:32"})
		benchmark::RegisterBenchmark((std::string("BM_absmax/") + g).c_str(),
		                             [g](benchmark::State &s) { absmax(s, g); })
		    ->Arg(N)->UseRealTime();
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	const char *isa = nullptr;
	mq_qkern_select(&isa);
	benchmark::AddCustomContext("metriq_isa", isa);
	register_all();
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
