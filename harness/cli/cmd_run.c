/* cmd_run.c: `metriq run SCRIPT.lua`, the experiment harness.
 *
 * The command line and the Lua state: it parses the options, sets up the
 * run (run.h), opens the standard libraries and the metriq module, runs the
 * script under a message handler that adds a traceback (as lua.c does),
 * and turns the outcome into the manifest's status and the exit status:
 * 0 done, 1 the script failed, 2 a usage error, 128 + the signal when a
 * signal stopped it (130 SIGINT, 143 SIGTERM, 129 SIGHUP), os.exit's code.
 *
 * Threads.  Lua states are single-threaded, so grid cells run one after
 * another; the parallel work is inside the kernels, which take --threads
 * (qmatmul splits rows of the product over them) and are bit-identical for
 * any thread count.  A script's numbers therefore never depend on
 * --threads.
 *
 * Beyond one process: --shard K/N runs one shard of the cells into
 * DIR/shard-K-of-N (merged later by `metriq merge`, cmd_merge.c), and under
 * an MPI launcher (mpirun -n N metriq run ...) the ranks share the cells
 * (dist.h).  Both keep the CSV files byte for byte those of one process. */
#define _POSIX_C_SOURCE 200809L /* sysconf, nanosleep */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "cli.h"
#include "dist.h"
#include "jv.h"
#include "lock.h"
#include "lmetriq.h"
#include "manifest.h"
#include "opt.h"
#include "comm.h"
#include "paths.h"
#include "run.h"

/* OpenBLAS's thread count, where OpenBLAS serves the BLAS calls (weak, as
 * in manifest.c: the harness links whatever BLAS the kernels bring). */
extern void openblas_set_num_threads(int) __attribute__((weak));

enum { MQ_MAXSHARDS = 1000000 };

/* ---- signals: stop the script at the next Lua instruction (lua.c) ----
 *
 * SIGINT (Ctrl-C), SIGTERM (timeout, Slurm, mpirun) and SIGHUP (a closed
 * terminal) all end a run the same way: the script stops, the cells done
 * so far are committed and the manifest says "interrupted" (rank 0 of an
 * MPI run: "failed", naming the cells left), ready for --resume. */

static lua_State *running;
static volatile sig_atomic_t interrupted; /* the signal that asked to stop */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
enum { NSTOP = sizeof stop_signals / sizeof stop_signals[0] };

static void lstop(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lua_sethook(L, NULL, 0, 0);
	luaL_error(L, "interrupted");
}

static void on_sigint(int sig)
{
	signal(sig, SIG_DFL); /* a second Ctrl-C kills at once */
	interrupted = sig;
	lua_sethook(running, lstop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static const char *signal_name(int sig)
{
	return sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "SIGINT";
}

/* ---- os.exit: the script ends, the run ends properly ----
 *
 * The standard os.exit calls exit() at once, past the commit: a script
 * that exits mid-grid would leave a manifest saying "running" and none of
 * its finished cells on disk, with exit status 0 if it asked for 0.  So
 * in this state os.exit(code) ends the script like an error that no
 * pcall can keep (the hook raises it again at every Lua instruction), and
 * the command then commits what is done and exits with the code: "done"
 * if the code is 0 and no grid is left open, else "failed" naming the
 * call, and exit status 1 for os.exit(0) with a grid unfinished. */

static int exit_called, exit_code;

static void lexit(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	luaL_error(L, "os.exit(%d) called", exit_code);
}

static int os_exit(lua_State *L)
{
	if (lua_isboolean(L, 1))
		exit_code = lua_toboolean(L, 1) ? EXIT_SUCCESS : EXIT_FAILURE;
	else
		exit_code = (int)luaL_optinteger(L, 1, EXIT_SUCCESS);
	exit_called = 1;
	lua_sethook(L, lexit, LUA_MASKCOUNT, 1);
	return luaL_error(L, "os.exit(%d) called", exit_code);
}

static void replace_exit(lua_State *L)
{
	lua_getglobal(L, "os");
	if (lua_istable(L, -1)) {
		lua_pushcfunction(L, os_exit);
		lua_setfield(L, -2, "exit");
	}
	lua_pop(L, 1);
}

/* Only rank 0 of an MPI run speaks: the other ranks run the same command
 * line and would repeat every message. */
static int speak = 1;
#define run_error(...) (speak ? mq_cli_error("run", __VA_ARGS__) : 2)

/* metriq.plot in a process that does not hold the whole results (a shard,
 * an MPI worker): figures are drawn where the CSV files are complete (rank
 * 0, or `metriq plot NAME DIR` after `metriq merge`). */
static int plot_elsewhere(lua_State *L)
{
	(void)L;
	return 0;
}

static int msghandler(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	if (!msg) {
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			return 1;
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* ---- helpers ---- */

/* The command line as one shell-quoted string, for the manifest. */
static char *command_line(int argc, char **argv)
{
	mq_buf b = MQ_BUF_INIT;
	mq_buf_str(&b, "metriq");
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		mq_buf_char(&b, ' ');
		if (*a && !strpbrk(a, " \t\n'\"\\$`!*?[]{}()<>|&;#~")) {
			mq_buf_str(&b, a);
			continue;
		}
		mq_buf_char(&b, '\'');
		for (; *a; a++)
			mq_buf_str(&b, *a == '\'' ? "'\\''" : (char[2]){*a, 0});
		mq_buf_char(&b, '\'');
	}
	if (!mq_buf_ok(&b)) {
		mq_buf_free(&b);
		return NULL;
	}
	return b.p;
}

static char *set_json(const mq_setlist *set)
{
	mq_buf b = MQ_BUF_INIT;
	mq_buf_char(&b, '{');
	for (size_t i = 0; i < set->n; i++) {
		if (i)
			mq_buf_str(&b, ", ");
		mq_json_string(&b, set->v[i].key, strlen(set->v[i].key));
		mq_buf_str(&b, ": ");
		mq_json_string(&b, set->v[i].value, strlen(set->v[i].value));
	}
	mq_buf_char(&b, '}');
	if (!mq_buf_ok(&b)) {
		mq_buf_free(&b);
		return NULL;
	}
	return b.p;
}

/* ---- the command ---- */

/* What the command line gives beyond the run itself. */
typedef struct opts {
	const char *out, *shard;
	int seed_given, sandbox;
} opts;

static const char about[] =
    "Runs an experiment script (Lua 5.4 with the 'metriq' module; see\n"
    "docs/lua-api.md).  Results go to DIR (default results/<script name>/):\n"
    "one NAME.csv per results file and manifest.json, the record of the run.\n\n"
    "Under an MPI launcher (mpirun -n N metriq run SCRIPT.lua [OPTIONS]), rank\n"
    "0 deals the cells to the other ranks and writes the files; the CSV files\n"
    "are those one process writes (docs/cluster.md).\n";

static int add_set(void *run, const char *val, char *err, size_t errlen)
{
	return mq_set_add(&((mq_run *)run)->set, val, err, errlen) ? -1 : 0;
}

/* The options: 0, -1 for --help (done), or the exit status of a usage error. */
static int parse_args(int argc, char **argv, mq_run *run, opts *o)
{
	int64_t threads = 0;
	mq_optfn set = {add_set, run};
	const mq_opt table[] = {
	    {"out", 0, MQ_OPT_STRING, &o->out, "DIR", "output folder", 0, 0},
	    {"set", 0, MQ_OPT_FUNC, &set, "key=value", "a parameter the script declares with "
	     "metriq.params{...}\n(numbers, true/false, inf, lists a,b,c); repeatable", 0, 0},
	    {"threads", 0, MQ_OPT_INT, &threads, "N", "threads for the kernels (default: all "
	     "cores); results\ndo not depend on it", 1, MQ_MAXTHREADS},
	    {"seed", 0, MQ_OPT_SEED, &run->seed, "N", "run seed (default 1); cells derive theirs "
	     "from it", 0, 0},
	    {"shard", 0, MQ_OPT_STRING, &o->shard, "K/N", "run only the cells whose index (from 0, "
	     "over the run's\ngrids in order) is K mod N, into DIR/shard-K-of-N, for\n'metriq merge' "
	     "(see docs/cluster.md)", 0, 0},
	    {"resume", 0, MQ_OPT_FLAG, &run->resume, NULL, "skip the cells DIR/manifest.json "
	     "records as done (the\nseed and --set values default to the manifest's)", 0, 0},
	    {"quiet", 'q', MQ_OPT_FLAG, &run->quiet, NULL, "no progress on stderr", 0, 0},
	    {"sandbox", 0, MQ_OPT_FLAG, &o->sandbox, NULL, "no os.execute, io.popen, file opening, "
	     "C modules, debug\nor binary chunks: for scripts from others (docs/lua-api.md)", 0, 0},
	    MQ_OPT_END,
	};
	const mq_optcmd cmd = {"run", "SCRIPT.lua [OPTIONS]", about, table, 0};
	int seen[sizeof table / sizeof table[0]];
	char err[512];
	/* the parser moves the positionals forward: argv stays as given, for
	 * the manifest's command line */
	char **av = malloc(((size_t)argc + 1) * sizeof *av);
	if (!av)
		return run_error("out of memory");
	memcpy(av, argv, (size_t)argc * sizeof *av);
	av[argc] = NULL;
	int n = mq_opt_getargs(&cmd, argc, av, seen, err, sizeof err);
	const char *first = n >= 1 ? av[1] : NULL, *second = n >= 2 ? av[2] : NULL;
	free(av);
	if (n == MQ_OPT_HELP) {
		if (speak)
			mq_opt_help(&cmd, stdout);
		return -1;
	}
	if (n == MQ_OPT_ERROR)
		return run_error("%s", err);
	if (n > 1)
		return run_error("one script at a time ('%s' and '%s')", first, second);
	if (n == 0) {
		if (speak)
			mq_opt_help(&cmd, stderr);
		return 2;
	}
	run->threads = (int)threads;
	o->seed_given = seen[3] > 0;
	run->script = first;
	static char found[4096]; /* NAME, or the installed experiments/NAME.lua (paths.h) */
	if (mq_find_script(run->script, found, sizeof found) == 0)
		run->script = found;
	return 0;
}

/* --shard K/N: decimal, 0 <= K < N.  0, or the exit status of an error. */
static int parse_shard(mq_run *run, const char *shard)
{
	char kt[24];
	const char *slash = strchr(shard, '/');
	int64_t k = -1, n = 0;
	if (slash && (size_t)(slash - shard) < sizeof kt) {
		memcpy(kt, shard, (size_t)(slash - shard));
		kt[slash - shard] = 0;
		if (mq_opt_int(slash + 1, 1, MQ_MAXSHARDS, &n, "", NULL, 0)
		    || mq_opt_int(kt, 0, n - 1, &k, "", NULL, 0))
			k = -1;
	}
	if (k < 0)
		return run_error("--shard: '%s' is not K/N with 0 <= K < N <= %d (K counts from 0)",
		                 shard, MQ_MAXSHARDS);
	if (run->ranks > 1)
		return run_error("--shard and MPI do not go together: run the shards as separate jobs, "
		                 "or one MPI job without --shard");
	run->mode = MQ_SHARD;
	run->shard_k = (unsigned long)k;
	run->shard_n = (unsigned long)n;
	return 0;
}

/* The script's name (base name without .lua) and DIR, with a shard's own
 * folder inside it, so that the shards of one job may all be given the
 * same --out.  0, or the exit status of an error. */
static int set_names(mq_run *run, const char *out)
{
	const char *base = strrchr(run->script, '/');
	base = base ? base + 1 : run->script;
	size_t bl = strlen(base);
	if (bl > 4 && !strcmp(base + bl - 4, ".lua"))
		bl -= 4;
	if (bl == 0 || bl >= sizeof run->name)
		return run_error("bad script name '%s'", run->script);
	memcpy(run->name, base, bl);
	run->name[bl] = 0;
	if (!mq_results_name_ok(run->name))
		snprintf(run->name, sizeof run->name, "results"); /* the default results file */
	if (out && !*out)
		return run_error("--out is empty: give a folder (default results/%s)", run->name);
	mq_buf d = MQ_BUF_INIT;
	if (out)
		mq_buf_str(&d, out);
	else
		mq_buf_printf(&d, "results/%s", run->name);
	if (run->mode == MQ_SHARD)
		mq_buf_printf(&d, "/shard-%lu-of-%lu", run->shard_k, run->shard_n);
	if (!mq_buf_ok(&d)) {
		mq_buf_free(&d);
		return run_error("out of memory");
	}
	run->outdir = d.p;
	return 0;
}

static void set_threads(mq_run *run)
{
	if (!run->threads) {
		/* all cores, shared among the ranks that run cells on this host */
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		long share = run->ranks > 1 ? mq_mpi_local_workers() : 1;
		n = n >= 1 && n <= MQ_MAXTHREADS ? n : 1;
		run->threads = n / share >= 1 ? (int)(n / share) : 1;
	}
	/* The BLAS takes its own threads (OPENBLAS_NUM_THREADS, default all
	 * cores): right for one process, but every rank of a host taking all
	 * its cores would oversubscribe them many times over.  A rank's BLAS
	 * gets the rank's share, unless the environment says otherwise. */
	if (run->ranks > 1 && !getenv("OPENBLAS_NUM_THREADS") && openblas_set_num_threads)
		openblas_set_num_threads(run->threads);
}

/* The record: what and where, then what an earlier run left.  0, or the
 * exit status of an error (reported). */
static int prepare_record(mq_run *run, int argc, char **argv, int seed_given)
{
	const char *base = strrchr(run->script, '/');
	size_t dl = base ? (size_t)(base + 1 - run->script) : 0;
	char *dir = malloc(dl + 2);
	if (!dir)
		return run_error("out of memory");
	if (dl)
		memcpy(dir, run->script, dl);
	else
		dir[dl++] = '.';
	dir[dl] = 0;
	mq_manifest_probe(&run->man, dir);
	free(dir);
	mq_file_hash(run->script, run->man.script_hash);
	run->man.binding = "lua";
	run->man.binding_version = LUA_RELEASE;
	if (mq_run_load_prior(run, seed_given))
		return run_error("%s", run->err);
	run->seed_base = run->seed;
	run->man.script = mq_strdup(run->script);
	run->man.name = mq_strdup(run->name);
	run->man.command = command_line(argc, argv);
	run->man.set_json = set_json(&run->set);
	run->man.seed = run->seed;
	run->man.threads = run->threads;
	run->man.status = "running";
	if (run->mode == MQ_SHARD) {
		char ex[96];
		snprintf(ex, sizeof ex, "  \"shard\": {\"index\": %lu, \"count\": %lu},\n", run->shard_k,
		         run->shard_n);
		run->man.extra = mq_strdup(ex);
		run->man.keep_loose = 1;
	}
	/* a fresh run writes its manifest now; a resumed one only once it has
	 * shown that it is the same run (run.h) */
	run->writable = !run->prior.present;
	if (!run->man.script || !run->man.name || !run->man.command || !run->man.set_json
	    || (run->mode == MQ_SHARD && !run->man.extra))
		return run_error("out of memory");
	return 0;
}

/* The module, as both a global and require "metriq". */
static void open_module(lua_State *L, const mq_run *run)
{
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	mq_open_metriq(L);
	lua_pushinteger(L, run->rank);
	lua_setfield(L, -2, "rank");
	lua_pushinteger(L, run->ranks);
	lua_setfield(L, -2, "ranks");
	if (run->mode == MQ_SHARD || run->mode == MQ_WORKER) {
		lua_pushcfunction(L, plot_elsewhere);
		lua_setfield(L, -2, "plot");
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, "metriq");
	lua_setglobal(L, "metriq");
	lua_pop(L, 1);
}

/* Load and run the script under the message handler; its status. */
static int run_script(lua_State *L, const mq_run *run)
{
	lua_pushcfunction(L, msghandler);
	int status = luaL_loadfile(L, run->script);
	/* an MPI rank's os.exit stays the standard one: the ranks' own ending
	 * (dist.h) is not the one process's */
	if (run->mode == MQ_ONE || run->mode == MQ_SHARD)
		replace_exit(L);
	if (status == LUA_OK) {
		running = L;
		/* mpirun stops a job (a rank died, the job was killed) with SIGTERM:
		 * rank 0 then records what is left before it goes */
		for (int i = 0; i < NSTOP; i++)
			signal(stop_signals[i], on_sigint);
		status = lua_pcall(L, 0, 0, 1);
		lua_sethook(L, NULL, 0, 0);
		for (int i = 0; i < NSTOP; i++)
			signal(stop_signals[i], SIG_DFL);
	}
	return status;
}

/* The manifest keeps the message, not the traceback. */
static void record_error(mq_run *run, const char *m)
{
	size_t n = strcspn(m, "\n");
	free(run->man.error);
	run->man.error = malloc(n + 1);
	if (run->man.error) {
		memcpy(run->man.error, m, n);
		run->man.error[n] = 0;
	}
}

/* Cells os.exit left undone: any not done in one process; in a shard
 * (whose other cells are other shards'), the one it cut short. */
static size_t left_undone(const mq_run *run, mq_buf *names)
{
	if (run->mode == MQ_ONE)
		return mq_run_unfinished(run, names, 3);
	size_t n = 0;
	for (size_t g = 0; g < run->man.ngrids; g++)
		for (size_t c = 0; c < run->man.grids[g].ncells; c++) {
			const mq_cell *cl = &run->man.grids[g].cells[c];
			if (cl->status == MQ_CELL_FAILED || cl->status == MQ_CELL_RUNNING) {
				mq_buf_str(names, n++ ? ", " : "");
				mq_buf_str(names, cl->key);
			}
		}
	return n;
}

/* The script called os.exit: the exit status (see above).  The grid's
 * own ending (lua_grid.c's __close) has already marked the cell it cut
 * short as failed. */
static int record_exit(mq_run *run)
{
	char m[400];
	snprintf(m, sizeof m, "os.exit(%d) called", exit_code);
	mq_run_cell_end(run, 0, m);
	mq_run_grid_end(run);
	mq_buf names = MQ_BUF_INIT;
	size_t left = left_undone(run, &names);
	if (exit_code == 0 && !left) {
		mq_buf_free(&names);
		run->man.status = "done";
		return 0;
	}
	if (left)
		snprintf(m, sizeof m, "os.exit(%d) called with %zu cells not done (%.200s): "
		         "--resume runs them", exit_code, left, mq_buf_ok(&names) ? names.p : "");
	mq_buf_free(&names);
	run->man.status = "failed";
	record_error(run, m);
	if (speak)
		fprintf(stderr, "metriq run: %s\n", m);
	return exit_code ? exit_code : 1;
}

/* The script's outcome into the record; the exit status, and in *msg the
 * error (NULL if none). */
static int record_outcome(lua_State *L, mq_run *run, int status, const char **msg)
{
	*msg = NULL;
	if (status == LUA_OK) {
		/* a grid whose loop the script left open ends with the script */
		if (mq_run_cell_end(run, 1, NULL) == 0)
			mq_run_grid_end(run);
		run->man.status = "done";
		return 0;
	}
	if (exit_called && !interrupted)
		return record_exit(run);
	const char *m = lua_tostring(L, -1);
	if (!m)
		m = "(error object is not a string)";
	char stopped[64];
	int alone = run->mode == MQ_ONE || run->mode == MQ_SHARD;
	if (interrupted && alone) {
		snprintf(stopped, sizeof stopped, "interrupted (%s)", signal_name(interrupted));
		m = stopped;
	}
	/* stopped from outside: say what is left, wherever rank 0 was */
	if (run->mode == MQ_COORD && interrupted)
		m = mq_dist_stopped(run);
	mq_run_cell_end(run, 0, m);
	mq_run_grid_end(run);
	int stop = interrupted && (interrupted == SIGINT || alone);
	run->man.status = stop ? "interrupted" : "failed";
	record_error(run, m);
	if (speak)
		fprintf(stderr, "metriq run: %s\n", m);
	*msg = m;
	return stop ? 128 + interrupted : 1;
}

/* The end of the run on rank 0 or alone: the workers' word, the last
 * flush, the summary.  The exit status. */
static int finish(mq_run *run, int mpi, int rc, const char *msg)
{
	if (mpi) {
		int was = rc;
		rc = mq_dist_finish(run, rc, msg);
		if (rc && !was) {
			/* a worker failed where rank 0 did not */
			run->man.status = "failed";
			free(run->man.error);
			run->man.error = mq_strdup(run->err);
			fprintf(stderr, "metriq run: %s\n", run->err);
		}
	}
	mq_utc_now(run->man.end);
	if (mq_run_flush(run, 1)) {
		run_error("%s", run->err);
		return rc ? rc : 1;
	}
	if (rc == 0 && !run->quiet) {
		for (size_t i = 0; i < run->nres; i++)
			fprintf(stderr, "metriq run: %s/%s.csv: %zu rows\n", run->outdir, run->res[i]->name,
			        run->res[i]->rows);
		if (run->mode == MQ_SHARD)
			fprintf(stderr, "metriq run: shard %lu/%lu done in %s (metriq merge makes the CSV "
			        "files)\n", run->shard_k, run->shard_n, run->outdir);
	}
	return rc;
}

/* The output folder's lock, held from start_run to the end (lock.h). */
static int dir_lock = -1;

/* Rank 0 or one process: the folder, the record, the word to the workers
 * and the first flush.  0 to run the script; else the exit status, with
 * *started saying whether the workers have had rank 0's word. */
static int start_run(mq_run *run, int argc, char **argv, int mpi, int seed_given, int *started)
{
	if (access(run->script, R_OK))
		return run_error("cannot read '%s': %s", run->script, strerror(errno));
	if (mq_mkdirs(run->outdir))
		return run_error("cannot create '%s': %s", run->outdir, strerror(errno));
	/* before anything in the folder is read or removed (lock.h) */
	if ((dir_lock = mq_lock_dir(run->outdir, run->err, sizeof run->err)) < 0)
		return run_error("%s", run->err);
	int rc = prepare_record(run, argc, argv, seed_given);
	if (rc)
		return rc;
	if (mpi) {
		/* rank 0's word to the others: the seed and --set values (taken
		 * from the manifest on --resume) */
		*started = 1;
		if (mq_dist_start(run, 1)) {
			run_error("%s", run->err);
			return 1;
		}
	}
	if (mq_run_flush(run, 1)) {
		run_error("%s", run->err);
		return -1; /* the record is there to be finished */
	}
	if (run->prior.present && !run->quiet)
		fprintf(stderr, "metriq run: resuming %s/manifest.json (seed %" PRIu64 ")\n",
		        run->outdir, run->seed);
	return 0;
}

static void init_run(mq_run *run, int mpi)
{
	memset(run, 0, sizeof *run);
	run->grid = run->cell = -1;
	run->seed = 1;
	run->rank = mpi ? mq_mpi_rank() : 0;
	run->ranks = mpi ? mq_mpi_size() : 1;
	run->mode = run->ranks == 1 ? MQ_ONE : run->rank == 0 ? MQ_COORD : MQ_WORKER;
	run->stop = &interrupted;
	mq_interrupt_flag(&interrupted); /* long kernel loops stop on Ctrl-C too (status.h) */
	speak = run->rank == 0;
}

static int run_command(int argc, char **argv, int mpi)
{
	mq_run run;
	init_run(&run, mpi);
	opts o = {NULL, NULL, 0, 0};
	int started = 0, rc = parse_args(argc, argv, &run, &o);
	lua_State *L = NULL;
	if (rc || (o.shard && (rc = parse_shard(&run, o.shard))) || (rc = set_names(&run, o.out)))
		goto out; /* usage errors: the workers make the same and stop too */
	set_threads(&run);
	/* past `ulimit -f` a write fails with EFBIG, which the flush reports,
	 * rather than the process dying mid-write with no word */
	signal(SIGXFSZ, SIG_IGN);
	rc = 2;
	if (!(L = luaL_newstate())) {
		run_error("cannot create a Lua state");
		goto fail_start;
	}
	luaL_openlibs(L);
	if (o.sandbox)
		mq_lua_sandbox(L);
	mq_run_set(L, &run);
	if (run.mode == MQ_WORKER) {
		/* a worker writes nothing and reads no folder: rank 0 does, and
		 * sends what the run needs (dist.h) */
		run.quiet = 1;
		run.writable = 0;
		started = 1;
		if (mq_dist_start(&run, 1)) {
			rc = 1;
			goto out;
		}
		run.seed_base = run.seed;
	} else if ((rc = start_run(&run, argc, argv, mpi, o.seed_given, &started))) {
		if (rc < 0) {
			rc = finish(&run, mpi, 1, NULL);
			goto out;
		}
		if (!started)
			goto fail_start;
		goto out;
	}
	open_module(L, &run);
	const char *msg;
	rc = record_outcome(L, &run, run_script(L, &run), &msg);
	if (run.mode == MQ_WORKER)
		mq_dist_finish(&run, rc, msg);
	else
		rc = finish(&run, mpi, rc, msg);
	goto out;
fail_start:
	if (mpi && !started)
		mq_dist_start(&run, 0); /* the workers wait for rank 0's word: "failed" */
out:
	if (L)
		lua_close(L);
	mq_run_free(&run);
	mq_unlock_dir(dir_lock);
	dir_lock = -1;
	return rc < 0 ? 0 : rc;
}

int mq_cmd_run(int argc, char **argv)
{
	long ranks;
	int launched = mq_mpi_launched(&ranks), mpi = 0;
	if (launched && mq_mpi_built()) {
		char err[256];
		if (mq_mpi_init(&argc, &argv, err, sizeof err))
			return mq_cli_error("run", "%s", err);
		mpi = 1;
	} else if (launched && ranks != 1) {
		/* every rank would run the whole grid into the same folder */
		return mq_cli_error("run", "started by an MPI launcher, but this metriq was built "
		                    "without MPI (cmake -DMETRIQ_MPI=ON with libopenmpi-dev installed)");
	}
	int rc = run_command(argc, argv, mpi);
	if (mpi && interrupted && mq_mpi_rank() == 0) {
		/* mpirun is ending the job: it kills every rank a second (its
		 * odls_base_sigkill_timeout) after its SIGTERM.  A rank 0 that
		 * exits first may lose its last message (which names the cells
		 * left) in the job's teardown, so it waits to be killed, 2 s at
		 * most, and never finalizes MPI (the other ranks are gone). */
		for (int i = 0; i < 20; i++)
			nanosleep(&(struct timespec){0, 100000000}, NULL);
		return rc;
	}
	if (mpi)
		mq_mpi_finalize();
	return rc;
}
