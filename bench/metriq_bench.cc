// metriq-bench: kernel throughput on Google Benchmark.
//
// Names are stable so runs on different machines compare:
//   BM_copy/N                         memcpy of N float32 (the bandwidth baseline)
//   BM_quantize/<fmt>/<rnd>/N         float32 -> 8-bit codes, one scale (mq_encode,
//                                     no stats: the kernel then skips its counts)
//   BM_quantize_counts/<fmt>/<rnd>/N  the same with stats, as the harness calls it
//   BM_fakequant/<fmt>/<rnd>/N        float32 -> float32 through the format
//   BM_quantize_pow2/<fmt>/rtne/N     BM_quantize at the power of two just below
//                                     4 / max (MX-style scales: the kernel multiplies)
//   BM_absmax/<gran>/N                absmax scales of a 4096-column LHS
//   BM_quantize_tensor/<gran>/N       absmax scaling + e4m3 RTNE codes of that LHS
//   BM_sgemm/n                        OpenBLAS cblas_sgemm, n x n x n (the GEMM baseline)
//   BM_dgemm/n                        cblas_dgemm, the same (what exact FP8 sums need)
//   BM_qgemm/<fmt>/<gran>/n           mq_qmatmul, both operands <fmt> RTNE at <gran>,
//                                     exact accumulation, one thread of metriq's own
//   BM_qgemm_fp32/<fmt>/<gran>/n      the same with fp32 accumulation (float32 sums in
//                                     k order: qmmk.h's kernel)
//   BM_backward_error/n               mq_backward_error (Eq. 3) of an n^3 product
// items_per_second counts elements (quantize, copy, absmax) or outputs
// (backward error); the GEMMs report FLOPS = 2 n^3 per second.  Inputs are
// N(0,1) from a fixed seed.  Quantize kernel path: the CPU's widest
// (METRIQ_ISA=generic|avx2|avx512|amx forces one), recorded in the context as
// metriq_isa, with OpenBLAS's configuration and OPENBLAS_CORETYPE.
#include <benchmark/benchmark.h>

#include <cblas.h>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <gsl/gsl_version.h>
#include <random>
#include <string>
#include <vector>

extern "C" {
#include "metriq.h"
#include "qkern.h"
char *openblas_get_config(void);
}

namespace {

const std::vector<float> &inputs(size_t n)
{
	static std::vector<float> x;
	if (x.size() < n) {
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

enum qkind { CODES, CODES_COUNTS, FAKEQUANT, CODES_POW2 };

void quantize(benchmark::State &st, const char *fmt, const char *rnd, qkind kind)
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
	if (kind == CODES_POW2)
		scale = std::exp2(std::floor(std::log2(scale)));
	std::vector<uint8_t> c(n);
	std::vector<float> y(kind == FAKEQUANT ? n : 0);
	mq_qstats stats = {0, 0, 0, 0};
	for (auto _ : st) {
		if (kind == CODES || kind == CODES_POW2)
			mq_encode(&q, x.data(), n, scale, 0, c.data(), nullptr);
		else if (kind == CODES_COUNTS)
			mq_encode(&q, x.data(), n, scale, 0, c.data(), &stats);
		else
			mq_fakequant(&q, x.data(), n, scale, 0, y.data(), nullptr);
		benchmark::ClobberMemory();
	}
	st.SetItemsProcessed((int64_t)st.iterations() * (int64_t)n);
}

const size_t COLS = 4096;

void absmax(benchmark::State &st, const char *gran)
{
	size_t n = (size_t)st.range(0);
	const auto &x = inputs(n);
	mq_layout l;
	mq_layout_matrix(&l, n / COLS, COLS, MQ_LHS);
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

void quantize_tensor(benchmark::State &st, const char *gran)
{
	size_t n = (size_t)st.range(0);
	const auto &x = inputs(n);
	mq_layout l;
	mq_layout_matrix(&l, n / COLS, COLS, MQ_LHS);
	mq_granularity g;
	mq_gran_parse(gran, &g);
	mq_qspec q;
	mq_qspec_init(&q, "e4m3", "rtne");
	std::vector<float> s(mq_scale_count(&l, &g));
	std::vector<uint8_t> c(n);
	for (auto _ : st) {
		mq_quantize_tensor(&q, &l, &g, MQ_SCALE_FP32, x.data(), nullptr, c.data(), s.data(),
		                   nullptr);
		benchmark::ClobberMemory();
	}
	st.SetItemsProcessed((int64_t)st.iterations() * (int64_t)n);
}

void flops(benchmark::State &st, size_t n)
{
	st.counters["FLOPS"] = benchmark::Counter(2.0 * (double)n * (double)n * (double)n *
	                                              (double)st.iterations(),
	                                          benchmark::Counter::kIsRate);
}

void BM_sgemm(benchmark::State &st)
{
	size_t n = (size_t)st.range(0);
	const auto &x = inputs(2 * n * n);
	std::vector<float> c(n * n);
	for (auto _ : st) {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0f,
		            x.data(), (int)n, x.data() + n * n, (int)n, 0.0f, c.data(), (int)n);
		benchmark::ClobberMemory();
	}
	flops(st, n);
}

void BM_dgemm(benchmark::State &st)
{
	size_t n = (size_t)st.range(0);
	const auto &x = inputs(2 * n * n);
	std::vector<double> a(x.begin(), x.begin() + 2 * n * n), c(n * n);
	for (auto _ : st) {
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0,
		            a.data(), (int)n, a.data() + n * n, (int)n, 0.0, c.data(), (int)n);
		benchmark::ClobberMemory();
	}
	flops(st, n);
}

void qgemm(benchmark::State &st, const char *fmt, const char *gran, mq_accum acc)
{
	size_t n = (size_t)st.range(0);
	const auto &x = inputs(2 * n * n);
	mq_qmatmul_cfg cfg;
	std::memset(&cfg, 0, sizeof cfg);
	if (mq_qoperand_init(&cfg.lhs, fmt, "rtne", gran) != MQ_OK ||
	    mq_qoperand_init(&cfg.rhs, fmt, "rtne", gran) != MQ_OK) {
		st.SkipWithError("bad operand");
		return;
	}
	cfg.accum = acc;
	std::vector<float> c(n * n);
	for (auto _ : st) {
		if (mq_qmatmul(&cfg, n, n, n, x.data(), x.data() + n * n, c.data(), 1, nullptr,
		               nullptr) != MQ_OK) {
			st.SkipWithError("mq_qmatmul failed");
			return;
		}
		benchmark::ClobberMemory();
	}
	flops(st, n);
}

void BM_backward_error(benchmark::State &st)
{
	size_t n = (size_t)st.range(0);
	const auto &x = inputs(2 * n * n);
	const float *L = x.data(), *R = x.data() + n * n;
	mq_qmatmul_cfg cfg;
	std::memset(&cfg, 0, sizeof cfg);
	mq_qoperand_init(&cfg.lhs, "e4m3", "rtne", "channel");
	mq_qoperand_init(&cfg.rhs, "e4m3", "rtne", "channel");
	cfg.accum = MQ_ACCUM_EXACT;
	std::vector<float> q(n * n), be(n * n);
	if (mq_qmatmul(&cfg, n, n, n, L, R, q.data(), 1, nullptr, nullptr) != MQ_OK) {
		st.SkipWithError("mq_qmatmul failed");
		return;
	}
	for (auto _ : st) {
		if (mq_backward_error(n, n, n, L, R, q.data(), be.data()) != MQ_OK) {
			st.SkipWithError("mq_backward_error failed");
			return;
		}
		benchmark::ClobberMemory();
	}
	st.SetItemsProcessed((int64_t)st.iterations() * (int64_t)(n * n));
}

const int64_t N = 1 << 24;

void reg(const std::string &name, std::function<void(benchmark::State &)> fn, int64_t arg)
{
	benchmark::RegisterBenchmark(name.c_str(), fn)->Arg(arg)->UseRealTime()->Unit(
	    benchmark::kMillisecond);
}

int register_all()
{
	reg("BM_copy", BM_copy, N);
	for (const char *f : {"int8", "e4m3", "e5m2"})
		for (const char *r : {"rtne", "sr"}) {
			std::string tail = std::string(f) + "/" + r;
			reg("BM_quantize/" + tail, [f, r](benchmark::State &s) { quantize(s, f, r, CODES); },
			    N);
			reg("BM_quantize_counts/" + tail,
			    [f, r](benchmark::State &s) { quantize(s, f, r, CODES_COUNTS); }, N);
			reg("BM_fakequant/" + tail,
			    [f, r](benchmark::State &s) { quantize(s, f, r, FAKEQUANT); }, N);
		}
	for (const char *f : {"int8", "e4m3", "e5m2"})
		reg(std::string("BM_quantize_pow2/") + f + "/rtne",
		    [f](benchmark::State &s) { quantize(s, f, "rtne", CODES_POW2); }, N);
	for (const char *g : {"tensor", "channel", "block:32"}) {
		reg(std::string("BM_absmax/") + g, [g](benchmark::State &s) { absmax(s, g); }, N);
		reg(std::string("BM_quantize_tensor/") + g,
		    [g](benchmark::State &s) { quantize_tensor(s, g); }, N);
	}
	for (int64_t n : {512, 1024}) {
		reg("BM_sgemm", BM_sgemm, n);
		reg("BM_dgemm", BM_dgemm, n);
	}
	for (const char *f : {"int8", "e4m3", "e5m2"})
		for (const char *g : {"tensor", "channel", "block:32"})
			for (int64_t n : {512, 1024})
				reg(std::string("BM_qgemm/") + f + "/" + g,
				    [f, g](benchmark::State &s) { qgemm(s, f, g, MQ_ACCUM_EXACT); }, n);
	for (const char *f : {"int8", "e4m3", "e5m2"})
		for (const char *g : {"tensor", "channel", "block:32"})
			for (int64_t n : {512, 1024})
				reg(std::string("BM_qgemm_fp32/") + f + "/" + g,
				    [f, g](benchmark::State &s) { qgemm(s, f, g, MQ_ACCUM_FP32); }, n);
	reg("BM_backward_error", BM_backward_error, 512);
	return 0;
}

// /proc/cpuinfo's first "model name" (Google Benchmark records none).
std::string cpu_model()
{
	std::ifstream f("/proc/cpuinfo");
	std::string line;
	while (std::getline(f, line))
		if (line.rfind("model name", 0) == 0) {
			size_t p = line.find(':');
			if (p != std::string::npos && p + 2 <= line.size())
				return line.substr(p + 2);
		}
	return "(unknown)";
}

} // namespace

int main(int argc, char **argv)
{
	// the machine and the libraries, so that files from two machines compare
	// (cores: Google Benchmark's num_cpus; Lua: metriq bench adds lua_version)
	benchmark::AddCustomContext("cpu_model", cpu_model());
	benchmark::AddCustomContext("gsl_version", gsl_version);
	benchmark::AddCustomContext("benchmark_version", MQ_BENCHMARK_VERSION);
#ifdef __clang__
	benchmark::AddCustomContext("compiler", __VERSION__);
#else
	benchmark::AddCustomContext("compiler", "GCC " __VERSION__);
#endif
	const char *isa = nullptr;
	mq_qkern_select(&isa);
	benchmark::AddCustomContext("metriq_isa", isa);
	benchmark::AddCustomContext("openblas_config", openblas_get_config());
	const char *ct = std::getenv("OPENBLAS_CORETYPE");
	benchmark::AddCustomContext("OPENBLAS_CORETYPE", ct ? ct : "(unset)");
	const char *nt = std::getenv("OPENBLAS_NUM_THREADS");
	benchmark::AddCustomContext("OPENBLAS_NUM_THREADS", nt ? nt : "(unset)");
	register_all();
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
