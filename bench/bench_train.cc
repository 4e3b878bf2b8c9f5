// bench_train.cc: the training step of the default model (train/model.h),
// unquantized and with one tensor category quantized (issue 6: the
// quantized step should cost at most 1.5x the fp32 one).
//
//   BM_train_step/<config>   config "base" (fp32) or
//                            <category>:<format>:<granularity>:<rounding>,
//                            the configurations of experiments/train_speed.lua
//
// One iteration is one training step's work as mq_train_run does it: the
// step's MLM batch (mq_mlm_batch), the step's quantization streams
// (mq_tquant_step), the forward and the backward pass.  The AdamW update
// (elementwise over the parameters, the same in every configuration) is
// left out, so the weights stay at their initialisation and every
// iteration does the same amount of work; items are steps.  The products
// are train/tgemm.h's single-threaded fixed-order kernel (issue 18), so a
// configuration's time compares one core with one core and the CPU time
// Google Benchmark reports (the main thread's) is all of it; OpenBLAS is
// still held to one thread (as train_speed.lua's --threads 1) for whatever
// else might call it.  Compare configurations within one run (BENCHMARKS.md).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include "data.h"
#include "model.h"
#include "nn.h"
#include "rng.h"
#include "tquant.h"
void openblas_set_num_threads(int);
}

namespace {

struct config {
	const char *name;  // the benchmark's name after BM_train_step/
	const char *cat;   // nullptr: fp32
	const char *fmt, *gran, *rnd;
};

const config configs[] = {
    {"base", nullptr, nullptr, nullptr, nullptr},
    {"rhs:int8:channel:rtne", "rhs", "int8", "channel", "rtne"},
    {"lhs:int8:fine:rtne", "lhs", "int8", "fine", "rtne"},
    {"lhs:e4m3:fine:rtne", "lhs", "e4m3", "fine", "rtne"},
    {"grad:e5m2:fine:rtne", "grad", "e5m2", "fine", "rtne"},
    {"grad:int8:fine:sr", "grad", "int8", "fine", "sr"},
    {"grad:e4m3:fine:sr", "grad", "e4m3", "fine", "sr"},
};

// The training text, read once for all configurations (with the default
// held-out share, as a run splits it).
const mq_corpus *corpus(double eval_frac)
{
	static mq_corpus c;
	static mq_status s = mq_corpus_load(nullptr, eval_frac, &c);
	return s == MQ_OK ? &c : nullptr;
}

void train_step(benchmark::State &st, const config &cf)
{
	mq_train_cfg cfg;
	mq_train_defaults(&cfg);
	const mq_corpus *text = corpus(cfg.eval_frac);
	if (!text) {
		st.SkipWithError("cannot read the training text (" MQ_LICENSES_DIR ")");
		return;
	}
	mq_tquant tq = cfg.quant;
	tq.seed = mq_seed_derive(cfg.seed, 3);
	mq_tcat cat;
	if (cf.cat && (mq_tcat_parse(cf.cat, &cat) != MQ_OK ||
	               mq_tquant_set(&tq, cat, cf.fmt, cf.rnd, cf.gran) != MQ_OK)) {
		st.SkipWithError("bad quantization configuration");
		return;
	}
	const mq_nn_dims &d = cfg.dims;
	mq_nn_f32 nn;
	if (mq_nn_alloc_f32(&nn, &d) != MQ_OK) {
		st.SkipWithError("cannot allocate the model");
		return;
	}
	mq_nn_init_f32(&nn, mq_seed_derive(cfg.seed, 1));
	std::vector<int> inputs((size_t)d.B * d.T), mpos((size_t)d.B * d.NM),
	    targets((size_t)d.B * d.NM);
	uint64_t data_seed = mq_seed_derive(cfg.seed, 2), step = 0;
	openblas_set_num_threads(1);
	float loss = 0;
	for (auto _ : st) {
		mq_mlm_batch(text->train, text->ntrain, d.B, d.T, d.NM, d.V, data_seed, step, nullptr,
		             inputs.data(), mpos.data(), targets.data());
		mq_tquant_step(&tq, step++);
		loss = mq_nn_forward_f32(&nn, &tq, inputs.data(), mpos.data(), targets.data(), d.B);
		mq_nn_backward_f32(&nn, &tq);
		benchmark::DoNotOptimize(loss);
		benchmark::ClobberMemory();
	}
	if (tq.err != MQ_OK)
		st.SkipWithError("a quantized operand was not finite");
	st.SetItemsProcessed((int64_t)st.iterations());
	mq_nn_free_f32(&nn);
	mq_tquant_free(&tq);
}

int register_train()
{
	for (const config &cf : configs)
		benchmark::RegisterBenchmark((std::string("BM_train_step/") + cf.name).c_str(),
		                             [&cf](benchmark::State &s) { train_step(s, cf); })
		    ->UseRealTime()
		    ->Unit(benchmark::kMillisecond);
	return 0;
}

// Registered before main runs; metriq_bench.cc's main runs every benchmark
// registered by then.
const int registered = register_train();

} // namespace
