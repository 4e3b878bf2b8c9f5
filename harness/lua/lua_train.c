/* lua_train.c: metriq.train(cfg), one training run of the encoder of
 * train/ (model.h) with quantized matmuls by tensor category.
 *
 *   local r = metriq.train{steps = 600, lhs = {format = "int8", granularity = "fine"}}
 *
 * cfg fields (all optional; defaults are mq_train_defaults'):
 *   layers, channels, heads, seq, batch, masked   the model and its batches
 *   steps, eval_every, eval_seqs                  the run and its evaluations
 *   lr, warmup, lr_min, beta1, beta2, eps, weight_decay, clip   AdamW
 *   seed        (default: the run's next implicit seed)
 *   threads     OpenBLAS threads (default: --threads)
 *   data, eval_frac   the text folder and its held-out share
 *   base        "fp32" (default) or "bf16": operands of categories left off
 *   lhs, rhs, grad    a category's quantization: a format name or a table
 *               of quantize's operand fields (format, rounding,
 *               granularity, block, overflow, underflow, scale); role and
 *               seed are implied (the category; streams from the seed)
 *   sample      {steps = {s1, ...}, dir = "tensors"}: write every operand
 *               of every matmul at those training steps (0-based, below
 *               `steps`) as .npy files, with an index tensors.csv, into
 *               the folder dir inside the run's output folder
 *               (train/tsample.h)
 * Returns {auc, final_acc, unigram_acc, train_loss, diverged_step (nil if
 * none), seconds, step_ms, params, train_chars, eval_chars, corpus_hash,
 * evals = {{step, acc, loss}, ...}, stats = {lhs = {n, clipped,
 * underflowed, nan}, rhs = ..., grad = ...}, and with sample: sample = {dir,
 * bytes, rows = {{step, layer, matmul, pass, operand, category, nex, nbat,
 * free, contract, storage, file, path}, ...}}}. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lmetriq.h"
#include "model.h"
#include "run.h"
#include "tsample.h"

static const char *const fields[] = {
	"layers", "channels", "heads", "seq", "batch", "masked", "steps", "eval_every",
	"eval_seqs", "lr", "warmup", "lr_min", "beta1", "beta2", "eps", "weight_decay", "clip",
	"seed", "threads", "data", "eval_frac", "base", "lhs", "rhs", "grad", "sample", NULL
};

#define KNOWN "layers, channels, heads, seq, batch, masked, steps, eval_every, eval_seqs, " \
              "lr, warmup, lr_min, beta1, beta2, eps, weight_decay, clip, seed, threads, " \
              "data, eval_frac, base, lhs, rhs, grad, sample"

/* An integer field >= lo, or def when absent. */
#define MAXINT 1000000000 /* sizes and counts: far beyond any run, and no int overflow */

static int optint(lua_State *L, const char *k, int def, int lo, int hi)
{
	int r = def;
	if (lua_getfield(L, 1, k) != LUA_TNIL) {
		int isint;
		lua_Integer n = lua_tointegerx(L, -1, &isint);
		if (!isint || n < lo || n > hi)
			luaL_argerror(L, 1, lua_pushfstring(L, "'%s' must be an integer in %d..%d", k, lo, hi));
		r = (int)n;
	}
	lua_pop(L, 1);
	return r;
}

static double optnum(lua_State *L, const char *k, double def)
{
	double r = def;
	if (lua_getfield(L, 1, k) != LUA_TNIL) {
		int isnum;
		r = lua_tonumberx(L, -1, &isnum);
		if (!isnum || !isfinite(r))
			luaL_argerror(L, 1, lua_pushfstring(L, "'%s' must be a finite number", k));
	}
	lua_pop(L, 1);
	return r;
}

/* cfg[name]: a category's quantization, or nothing. */
static void category(lua_State *L, mq_tquant *tq, mq_tcat c)
{
	const char *name = mq_tcat_name(c);
	int t = lua_getfield(L, 1, name);
	if (t == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	char what[16];
	snprintf(what, sizeof what, "%s: ", name);
	if (t == LUA_TTABLE) {
		for (int i = 0; i < 2; i++) {
			const char *k = i ? "seed" : "role";
			if (lua_getfield(L, -1, k) != LUA_TNIL)
				luaL_argerror(L, 1, lua_pushfstring(L, "%s'%s' is implied in train (%s)", what, k,
				              i ? "streams come from the run's seed" : "the category is the role"));
			lua_pop(L, 1);
		}
	}
	mq_qcfg q;
	mq_checkqcfg(L, lua_gettop(L), 0, 1, what, 0, &q);
	mq_tcat_cfg *tc = &tq->cat[c];
	memset(tc, 0, sizeof *tc);
	tc->on = 1;
	tc->q = q.op.q;
	tc->gran = q.op.gran;
	tc->mode = q.op.mode;
	if (tc->q.fmt.kind == MQ_KIND_E8M0)
		luaL_argerror(L, 1, lua_pushfstring(L, "%se8m0 is unsigned: it cannot hold a tensor", what));
	lua_pop(L, 1);
}

/* cfg.sample, checked: the steps (in a userdata on the stack, so that an
 * error frees them) and the folder's path inside the output folder. */
typedef struct sample_cfg {
	uint64_t *steps;
	size_t nsteps;
	const char *dir;        /* kept alive on the stack */
} sample_cfg;

static int sample_opt(lua_State *L, const mq_run *run, int nsteps_run, sample_cfg *sc)
{
	if (lua_getfield(L, 1, "sample") == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	int t = lua_gettop(L);
	if (!lua_istable(L, t))
		luaL_argerror(L, 1, "'sample' must be a table {steps = {...}, dir = \"tensors\"}");
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_pop(L, 1);
		const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		if (!k || (strcmp(k, "steps") && strcmp(k, "dir")))
			luaL_argerror(L, 1, lua_pushfstring(L, "sample: unknown field '%s' (known: steps, dir)",
			                                    luaL_tolstring(L, -1, NULL)));
	}
	if (lua_getfield(L, t, "steps") != LUA_TTABLE)
		luaL_argerror(L, 1, "sample: 'steps' must be a list of step numbers");
	size_t n = lua_rawlen(L, -1);
	if (n == 0)
		luaL_argerror(L, 1, "sample: 'steps' is empty");
	sc->steps = lua_newuserdatauv(L, n * sizeof *sc->steps, 0);
	sc->nsteps = n;
	for (size_t i = 0; i < n; i++) {
		lua_rawgeti(L, -2, (lua_Integer)i + 1);
		int isint;
		lua_Integer v = lua_tointegerx(L, -1, &isint);
		if (!isint || v < 0 || v >= nsteps_run)
			luaL_argerror(L, 1, lua_pushfstring(L, "sample: steps[%d] must be an integer step "
			              "number from 0 to %d (steps - 1), not %s", (int)i + 1, nsteps_run - 1,
			              luaL_tolstring(L, -1, NULL)));
		sc->steps[i] = (uint64_t)v;
		lua_pop(L, 1);
	}
	/* the userdata stays on the stack; the steps table may go */
	lua_remove(L, -2);
	const char *dir = "tensors";
	if (lua_getfield(L, t, "dir") != LUA_TNIL) {
		dir = lua_tostring(L, -1);
		if (lua_type(L, -1) != LUA_TSTRING || !*dir)
			luaL_argerror(L, 1, "sample: 'dir' must be a folder name");
	}
	lua_pop(L, 1);
	/* inside the output folder: no absolute path, no way up */
	size_t dl = strlen(dir);
	if (dir[0] == '/' || !strcmp(dir, "..") || !strncmp(dir, "../", 3) || strstr(dir, "/../") ||
	    (dl >= 3 && !strcmp(dir + dl - 3, "/..")))
		luaL_argerror(L, 1, lua_pushfstring(L, "sample: 'dir' (%s) must be a folder inside the "
		                                    "output folder", dir));
	sc->dir = lua_pushfstring(L, "%s/%s", run->outdir ? run->outdir : ".", dir);
	return 1;
}

/* The sampler lives in a userdata whose __gc frees it, so that an error
 * raised while it is open (no memory for the result) frees it too. */
#define MQ_TSAMPLE_BOX "metriq.tsample"

static int box_gc(lua_State *L)
{
	mq_tsample **b = luaL_checkudata(L, 1, MQ_TSAMPLE_BOX);
	mq_tsample_free(*b);
	*b = NULL;
	return 0;
}

static void push_sample(lua_State *L, const mq_tsample *ts, const char *dir)
{
	size_t n;
	uint64_t bytes;
	const mq_tsample_row *rows = mq_tsample_rows(ts, &n, &bytes);
	lua_createtable(L, 0, 3);
	lua_pushstring(L, dir);
	lua_setfield(L, -2, "dir");
	lua_pushinteger(L, (lua_Integer)bytes);
	lua_setfield(L, -2, "bytes");
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		const mq_tsample_row *r = &rows[i];
		lua_createtable(L, 0, 13);
		lua_pushinteger(L, (lua_Integer)r->step);
		lua_setfield(L, -2, "step");
		lua_pushinteger(L, r->layer);
		lua_setfield(L, -2, "layer");
		lua_pushstring(L, r->matmul);
		lua_setfield(L, -2, "matmul");
		lua_pushstring(L, r->backward ? "bwd" : "fwd");
		lua_setfield(L, -2, "pass");
		lua_pushstring(L, r->operand ? "B" : "A");
		lua_setfield(L, -2, "operand");
		lua_pushstring(L, mq_tcat_name(r->cat));
		lua_setfield(L, -2, "category");
		const char *k[] = {"nex", "nbat", "free", "contract", "storage"};
		int v[] = {r->nex, r->nbat, r->free, r->contract, r->storage};
		for (int j = 0; j < 5; j++) {
			lua_pushinteger(L, v[j]);
			lua_setfield(L, -2, k[j]);
		}
		lua_pushstring(L, r->file);
		lua_setfield(L, -2, "file");
		lua_pushfstring(L, "%s/%s", dir, r->file);
		lua_setfield(L, -2, "path");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "rows");
}

static void push_stats(lua_State *L, const mq_qstats *st)
{
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, (lua_Integer)st->n);
	lua_setfield(L, -2, "n");
	lua_pushinteger(L, (lua_Integer)st->clipped);
	lua_setfield(L, -2, "clipped");
	lua_pushinteger(L, (lua_Integer)st->underflowed);
	lua_setfield(L, -2, "underflowed");
	lua_pushinteger(L, (lua_Integer)st->nan);
	lua_setfield(L, -2, "nan");
}

static void setnum(lua_State *L, const char *k, double v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

static void setint(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

static int l_train(lua_State *L)
{
	mq_run *run = mq_run_get(L);
	if (lua_isnoneornil(L, 1))
		lua_settop(L, 0), lua_newtable(L);
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	/* a misspelt field would silently take its default: refuse it */
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		lua_pop(L, 1);
		int known = 0;
		if (lua_type(L, -1) == LUA_TSTRING)
			for (int i = 0; fields[i] && !known; i++)
				known = !strcmp(lua_tostring(L, -1), fields[i]);
		if (!known)
			luaL_argerror(L, 1, lua_pushfstring(L, "unknown field '%s' (known: " KNOWN ")",
			                                    luaL_tolstring(L, -1, NULL)));
	}
	mq_train_cfg c;
	mq_train_defaults(&c);
	c.dims.L = optint(L, "layers", c.dims.L, 1, MAXINT);
	c.dims.C = optint(L, "channels", c.dims.C, 1, MAXINT);
	c.dims.NH = optint(L, "heads", c.dims.NH, 1, MAXINT);
	c.dims.T = optint(L, "seq", c.dims.T, 1, MQ_MAXSEQ);
	c.dims.B = optint(L, "batch", c.dims.B, 1, MAXINT);
	c.dims.NM = optint(L, "masked", c.dims.NM, 1, MAXINT);
	c.steps = optint(L, "steps", c.steps, 1, MAXINT);
	c.eval_every = optint(L, "eval_every", c.eval_every, 1, MAXINT);
	c.eval_seqs = optint(L, "eval_seqs", c.eval_seqs, 1, MAXINT);
	c.lr = optnum(L, "lr", c.lr);
	c.warmup = optint(L, "warmup", c.warmup, 0, MAXINT);
	c.lr_min = optnum(L, "lr_min", c.lr_min);
	c.beta1 = optnum(L, "beta1", c.beta1);
	c.beta2 = optnum(L, "beta2", c.beta2);
	c.eps = optnum(L, "eps", c.eps);
	c.weight_decay = optnum(L, "weight_decay", c.weight_decay);
	c.clip = optnum(L, "clip", c.clip);
	c.eval_frac = optnum(L, "eval_frac", c.eval_frac);
	c.threads = optint(L, "threads", run->threads, 1, MQ_MAXTHREADS);
	if (c.dims.C % c.dims.NH)
		luaL_argerror(L, 1, lua_pushfstring(L, "'heads' (%d) must divide 'channels' (%d)",
		                                    c.dims.NH, c.dims.C));
	if (c.dims.NM > c.dims.T)
		luaL_argerror(L, 1, lua_pushfstring(L, "'masked' (%d) must be at most 'seq' (%d)",
		                                    c.dims.NM, c.dims.T));
	if (lua_getfield(L, 1, "seed") != LUA_TNIL) {
		int isint;
		c.seed = (uint64_t)lua_tointegerx(L, -1, &isint);
		if (!isint)
			luaL_argerror(L, 1, "'seed' must be an integer");
	} else {
		c.seed = mq_optseed(L, lua_gettop(L)); /* nil: the next implicit seed */
	}
	lua_pop(L, 1);
	if (lua_getfield(L, 1, "data") != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_argerror(L, 1, "'data' must be a folder name");
		c.data_dir = lua_tostring(L, -1); /* kept alive by the cfg table */
	}
	lua_pop(L, 1);
	if (lua_getfield(L, 1, "base") != LUA_TNIL) {
		const char *b = lua_tostring(L, -1);
		if (lua_type(L, -1) != LUA_TSTRING || (strcmp(b, "fp32") && strcmp(b, "bf16")))
			luaL_argerror(L, 1, lua_pushfstring(L, "unknown base '%s'; known: fp32, bf16",
			                                    luaL_tolstring(L, -1, NULL)));
		c.quant.base_bf16 = !strcmp(b, "bf16");
	}
	lua_pop(L, 1);
	for (int k = 0; k < MQ_TCAT_N; k++)
		category(L, &c.quant, (mq_tcat)k);
	mq_status s = mq_train_check(&c);
	if (s == MQ_ESHAPE)
		return luaL_argerror(L, 1, "the model's sizes are out of range");
	if (s)
		return mq_lua_status(L, s, 1, "an optimizer or evaluation setting is out of range "
		                     "(lr > 0, 0 <= lr_min <= 1, 0 <= beta < 1, eps > 0, 0 < eval_frac < 1)");

	sample_cfg sc = {0};
	int sampling = sample_opt(L, run, c.steps, &sc);
	mq_tsample *ts = NULL;
	if (sampling) {
		mq_tsample **box = lua_newuserdatauv(L, sizeof *box, 0);
		*box = NULL;
		luaL_setmetatable(L, MQ_TSAMPLE_BOX);
		char err[600];
		s = mq_tsample_open(box, sc.dir, sc.steps, sc.nsteps, err, sizeof err);
		if (s)
			return luaL_error(L, "train: %s", err);
		ts = *box;
		mq_tsample_attach(ts, &c.quant);
	}
	mq_train_result r;
	s = mq_train_run(&c, NULL, NULL, NULL, &r);
	if (ts && s == MQ_OK) {
		char err[600];
		mq_status ss = mq_tsample_finish(ts, err, sizeof err);
		if (ss != MQ_OK) {
			mq_train_result_free(&r);
			return luaL_error(L, "train: sample: %s", err);
		}
	}
	if (s == MQ_EIO)
		return luaL_error(L, "train: cannot read the text in %s", c.data_dir ? c.data_dir : MQ_LICENSES_DIR);
	if (s == MQ_ESHAPE)
		return luaL_error(L, "train: the held-out or training text is shorter than 'seq'");
	if (s)
		return mq_lua_status(L, s, 0, NULL);

	lua_createtable(L, 0, 16);
	setnum(L, "auc", r.auc);
	setnum(L, "final_acc", r.final_acc);
	setnum(L, "unigram_acc", r.unigram_acc);
	setnum(L, "train_loss", r.train_loss);
	if (r.diverged_step >= 0)
		setint(L, "diverged_step", r.diverged_step);
	setnum(L, "seconds", r.seconds);
	setnum(L, "step_ms", r.step_ms);
	setint(L, "params", (lua_Integer)r.nparams);
	setint(L, "train_chars", (lua_Integer)r.ntrain);
	setint(L, "eval_chars", (lua_Integer)r.neval);
	char hash[20];
	snprintf(hash, sizeof hash, "%016llx", (unsigned long long)r.corpus_hash);
	lua_pushstring(L, hash);
	lua_setfield(L, -2, "corpus_hash");
	lua_createtable(L, r.nevals, 0);
	for (int i = 0; i < r.nevals; i++) {
		lua_createtable(L, 0, 3);
		setint(L, "step", r.evals[i].step);
		setnum(L, "acc", r.evals[i].acc);
		setnum(L, "loss", r.evals[i].loss);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "evals");
	lua_createtable(L, 0, MQ_TCAT_N);
	for (int k = 0; k < MQ_TCAT_N; k++) {
		push_stats(L, &r.stats[k]);
		lua_setfield(L, -2, mq_tcat_name((mq_tcat)k));
	}
	lua_setfield(L, -2, "stats");
	mq_train_result_free(&r);
	if (ts) {
		push_sample(L, ts, sc.dir);
		lua_setfield(L, -2, "sample");
	}
	return 1;
}

static const luaL_Reg funcs[] = {
	{"train", l_train},
	{NULL, NULL}
};

int mq_open_train(lua_State *L)
{
	luaL_newmetatable(L, MQ_TSAMPLE_BOX);
	lua_pushcfunction(L, box_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
	luaL_setfuncs(L, funcs, 0);
	return 0;
}
