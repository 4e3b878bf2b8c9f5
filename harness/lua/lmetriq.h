/* lmetriq.h: the Lua module `metriq`, a thin layer over the kernels.
 *
 * The module is assembled from parts, as Lua's linit.c assembles the
 * standard libraries: each mq_open_* adds its functions (and metatables) to
 * the module table on top of the stack.  lua_metriq.c holds the list.
 *
 * Every binding checks its arguments with luaL_check* and reports a bad one
 * with luaL_argerror, so a script author reads which argument of which
 * function was wrong and on which line of the script.  A kernel's error
 * status becomes a Lua error (mq_lua_status); the C library never prints. */
#ifndef MQ_LMETRIQ_H
#define MQ_LMETRIQ_H

#include <stddef.h>
#include <stdint.h>
#include <lua.h>
#include <lauxlib.h>
#include <jansson.h>

#include "metriq.h"
#include "metrics.h"
#include "qgemm.h"
#include "sample.h"

#define MQ_TENSOR "metriq.tensor"
#define MQ_TMAXDIM 3
/* Elements of one tensor, at most: beyond (16 GiB) is a mistake in a script. */
#define MQ_TMAXELEMS ((size_t)1 << 32)

/* A float32 tensor, row-major, 1 to 3 axes.  The data is a separate
 * 64-byte-aligned allocation (the kernels' vector paths like aligned
 * rows), freed by __gc as liolib frees a FILE. */
typedef struct mq_tensor {
	int ndim;
	size_t dim[MQ_TMAXDIM];
	size_t n;               /* product of dim */
	float *data;            /* NULL only after __gc */
} mq_tensor;

mq_tensor *mq_checktensor(lua_State *L, int arg);
/* Push a new zero-filled tensor (raises on a bad shape or no memory). */
mq_tensor *mq_newtensor(lua_State *L, int ndim, const size_t *dim);
/* "512x512" into buf. */
const char *mq_shapestr(const mq_tensor *t, char *buf, size_t len);
/* A shape argument: an integer n (1-D) or a list {d1, [d2, [d3]]}. */
int mq_checkshape(lua_State *L, int arg, size_t *dim);

/* An optional seed argument: the integer at arg, or the run's next
 * implicit seed when it is absent or nil (run.h). */
uint64_t mq_optseed(lua_State *L, int arg);

/* How one operand is quantized: the kernels' mq_qoperand plus its role. */
typedef struct mq_qcfg {
	mq_qoperand op;
	mq_operand role;
} mq_qcfg;

/* Read a quantization config at index idx (a format name, or a table with
 * format, rounding, granularity, block, role, overflow, underflow, scale,
 * seed), with defaults from the table at dflt (0: none).  Errors are
 * argument errors of argument `arg`, prefixed by `what` ("lhs: ") if not
 * NULL.  Without a seed field the seed is the run's next implicit seed if
 * take_seed, else 0 (for callers that only need the scales).  idx 0: no
 * table of its own, every field from dflt. */
void mq_checkqcfg(lua_State *L, int idx, int dflt, int arg, const char *what,
                  int take_seed, mq_qcfg *cfg);
/* The layout a tensor has when quantized in a role: 1-D is one row (LHS)
 * or one column (RHS), 2-D a matrix, 3-D a batch of matrices. */
void mq_tensor_layout(const mq_tensor *t, mq_operand role, mq_layout *l);

/* Lua's math.random follows the run seed (lua_random.c): _open keeps the
 * state's math.randomseed and seeds it from the run seed; _seed reseeds
 * (a cell's seed); _after_grid reseeds for the code after grid number
 * `grid`, from the run seed. */
void mq_lua_random_open(lua_State *L, uint64_t seed);
void mq_lua_random_seed(lua_State *L, uint64_t seed);
void mq_lua_random_after_grid(lua_State *L, uint64_t run_seed, size_t grid);

/* `metriq run --sandbox` (sandbox.c): remove from a state opened with
 * luaL_openlibs every way out of it (os.execute, io.popen, file opening,
 * C modules, debug, binary chunks) but metriq's own functions. */
void mq_lua_sandbox(lua_State *L);

/* A kernel status as a Lua error about argument arg (0: not an argument). */
int mq_lua_status(lua_State *L, mq_status s, int arg, const char *detail);

int mq_open_tensor(lua_State *L);
int mq_open_quant(lua_State *L);
int mq_open_sample(lua_State *L);
int mq_open_qgemm(lua_State *L);
int mq_open_metrics(lua_State *L);
int mq_open_grid(lua_State *L);
int mq_open_results(lua_State *L);
int mq_open_plot(lua_State *L);
int mq_open_train(lua_State *L);
int mq_open_tfile(lua_State *L);   /* lua_tfile.c: load, quantize_layout, spearman */
int mq_open_advise(lua_State *L);  /* lua_advise.c: advise (kernels/advise.h) */

/* lua_run.c: the run of a Lua state (set by cmd_run.c), and a Lua value as
 * the JSON value the engine records (NULL with *err: what JSON cannot say). */
struct mq_run;
void mq_run_set(lua_State *L, struct mq_run *run);
struct mq_run *mq_run_get(lua_State *L);
json_t *mq_lua_tojson(lua_State *L, int idx, const char **err);
/* lua_params.c: metriq.params{...} */
int mq_lua_params(lua_State *L);

/* Push the module table (every part, plus seed, threads, outdir, script). */
int mq_open_metriq(lua_State *L);

#endif
