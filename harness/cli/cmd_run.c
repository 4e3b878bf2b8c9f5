/* cmd_run.c: `metriq run SCRIPT.lua`, the experiment harness.
 *
 * The command line and the Lua state: it parses the options, sets up the
 * run (run.h), opens the standard libraries and the metriq module, runs the
 * script under a message handler that adds a traceback (as lua.c does),
 * and turns the outcome into the manifest's status and the exit status:
 * 0 done, 1 the script failed, 2 a usage error, 130 interrupted (Ctrl-C).
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

/* ---- Ctrl-C: stop the script at the next Lua instruction (lua.c) ---- */

static lua_State *running;
static volatile sig_atomic_t interrupted; /* the signal that asked to stop */

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
	if (status == LUA_OK) {
		running = L;
		signal(SIGINT, on_sigint);
		/* mpirun stops a job (a rank died, the job was killed) with SIGTERM:
		 * rank 0 then records what is left before it goes */
		if (run->mode == MQ_COORD)
			signal(SIGTERM, on_sigint);
		status = lua_pcall(L, 0, 0, 1);
		signal(SIGINT, SIG_DFL);
		if (run->mode == MQ_COORD)
			signal(SIGTERM, SIG_DFL);
	}
	return status;
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
	const char *m = lua_tostring(L, -1);
	if (!m)
		m = "(error object is not a string)";
	/* stopped from outside: say what is left, wherever rank 0 was */
	if (run->mode == MQ_COORD && interrupted)
		m = mq_dist_stopped(run);
	mq_run_cell_end(run, 0, m);
	mq_run_grid_end(run);
	run->man.status = interrupted == SIGINT ? "interrupted" : "failed";
	/* the manifest keeps the message, not the traceback */
	size_t n = strcspn(m, "\n");
	free(run->man.error);
	run->man.error = malloc(n + 1);
	if (run->man.error) {
		memcpy(run->man.error, m, n);
		run->man.error[n] = 0;
	}
	if (speak)
		fprintf(stderr, "metriq run: %s\n", m);
	*msg = m;
	return interrupted == SIGINT ? 130 : 1;
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

/* Rank 0 or one process: the folder, the record, the word to the workers
 * and the first flush.  0 to run the script; else the exit status, with
 * *started saying whether the workers have had rank 0's word. */
static int start_run(mq_run *run, int argc, char **argv, int mpi, int seed_given, int *started)
{
	if (access(run->script, R_OK))
		return run_error("cannot read '%s': %s", run->script, strerror(errno));
	if (mq_mkdirs(run->outdir))
		return run_error("cannot create '%s': %s", run->outdir, strerror(errno));
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
