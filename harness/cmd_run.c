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
 * --threads. */
#define _POSIX_C_SOURCE 200809L /* mkdir, sysconf */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "cli.h"
#include "json.h"
#include "lmetriq.h"
#include "run.h"

static const char usage[] =
    "usage: metriq run SCRIPT.lua [--out DIR] [--set key=value ...] [--threads N]\n"
    "                  [--seed N] [--resume] [--quiet]\n\n"
    "Runs an experiment script (Lua 5.4 with the 'metriq' module; see\n"
    "docs/lua-api.md).  Results go to DIR (default results/<script name>/):\n"
    "one NAME.csv per results file and manifest.json, the record of the run.\n\n"
    "  --out DIR        output folder\n"
    "  --set key=value  a parameter the script declares with metriq.params{...}\n"
    "                   (numbers, true/false, inf, lists a,b,c); repeatable\n"
    "  --threads N      threads for the kernels (default: all cores); results\n"
    "                   do not depend on it\n"
    "  --seed N         run seed (default 1); cells derive theirs from it\n"
    "  --resume         skip the cells DIR/manifest.json records as done (the\n"
    "                   seed and --set values default to the manifest's)\n"
    "  --quiet          no progress on stderr\n";

/* ---- Ctrl-C: stop the script at the next Lua instruction (lua.c) ---- */

static lua_State *running;
static volatile sig_atomic_t interrupted;

static void lstop(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lua_sethook(L, NULL, 0, 0);
	luaL_error(L, "interrupted");
}

static void on_sigint(int sig)
{
	signal(sig, SIG_DFL); /* a second Ctrl-C kills at once */
	interrupted = 1;
	lua_sethook(running, lstop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
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

static int mkdirs(const char *path)
{
	char *p = malloc(strlen(path) + 1);
	if (!p)
		return -1;
	strcpy(p, path);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0777) && errno != EEXIST) {
				free(p);
				return -1;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-')
		return 0;
	/* decimal, or hex with 0x; not octal (a leading 0 is not a base) */
	int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	unsigned long long x = strtoull(s, &end, hex ? 16 : 10);
	if (errno || *end)
		return 0;
	*v = (uint64_t)x;
	return 1;
}

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

static char *dupstr(const char *s)
{
	char *d = malloc(strlen(s) + 1);
	if (d)
		strcpy(d, s);
	return d;
}

/* ---- the command ---- */

int mq_cmd_run(int argc, char **argv)
{
	mq_run run;
	memset(&run, 0, sizeof run);
	run.grid = run.cell = -1;
	run.seed = 1;
	int seed_given = 0, rc = 2;
	const char *out = NULL;
	char err[256];
	lua_State *L = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			mq_set_free(&run.set);
			return 0;
		}
		if (!strcmp(a, "--resume")) {
			run.resume = 1;
			continue;
		}
		if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			run.quiet = 1;
			continue;
		}
		if (!strncmp(a, "--", 2) && a[2]) {
			/* --opt VALUE or --opt=VALUE */
			const char *eq = strchr(a, '=');
			size_t n = eq ? (size_t)(eq - a) : strlen(a);
			static const char *const takes[] = {"--out", "--set", "--threads", "--seed", NULL};
			int k = -1;
			for (int j = 0; takes[j]; j++)
				if (strlen(takes[j]) == n && !strncmp(a, takes[j], n))
					k = j;
			if (k < 0) {
				mq_cli_error("run", "unknown option '%s' (see 'metriq run --help')", a);
				goto out;
			}
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				mq_cli_error("run", "%s needs a value", takes[k]);
				goto out;
			}
			if (k == 0) {
				out = val;
			} else if (k == 1) {
				if (mq_set_add(&run.set, val, err, sizeof err)) {
					mq_cli_error("run", "%s", err);
					goto out;
				}
			} else if (k == 2) {
				uint64_t t;
				if (!parse_u64(val, &t) || t < 1 || t > 4096) {
					mq_cli_error("run", "--threads '%s': expected an integer from 1 to 4096", val);
					goto out;
				}
				run.threads = (int)t;
			} else {
				if (!parse_u64(val, &run.seed)) {
					mq_cli_error("run", "--seed '%s': expected an unsigned 64-bit integer", val);
					goto out;
				}
				seed_given = 1;
			}
			continue;
		}
		if (run.script) {
			mq_cli_error("run", "one script at a time ('%s' and '%s')", run.script, a);
			goto out;
		}
		run.script = a;
	}
	if (!run.script) {
		fputs(usage, stderr);
		goto out;
	}

	/* the script's name: base name without .lua */
	const char *base = strrchr(run.script, '/');
	base = base ? base + 1 : run.script;
	size_t bl = strlen(base);
	if (bl > 4 && !strcmp(base + bl - 4, ".lua"))
		bl -= 4;
	if (bl == 0 || bl >= sizeof run.name) {
		mq_cli_error("run", "bad script name '%s'", run.script);
		goto out;
	}
	memcpy(run.name, base, bl);
	run.name[bl] = 0;
	if (!mq_results_name_ok(run.name))
		snprintf(run.name, sizeof run.name, "results"); /* the default results file */

	if (access(run.script, R_OK)) {
		mq_cli_error("run", "cannot read '%s': %s", run.script, strerror(errno));
		goto out;
	}
	if (out) {
		run.outdir = dupstr(out);
	} else {
		run.outdir = malloc(strlen(run.name) + 16);
		if (run.outdir)
			sprintf(run.outdir, "results/%s", run.name);
	}
	if (!run.outdir) {
		mq_cli_error("run", "out of memory");
		goto out;
	}
	if (mkdirs(run.outdir)) {
		mq_cli_error("run", "cannot create '%s': %s", run.outdir, strerror(errno));
		goto out;
	}
	if (!run.threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		run.threads = n >= 1 && n <= 4096 ? (int)n : 1;
	}

	L = luaL_newstate();
	if (!L) {
		mq_cli_error("run", "cannot create a Lua state");
		goto out;
	}
	luaL_openlibs(L);
	mq_run_set(L, &run);

	/* the record: what and where, then what an earlier run left */
	{
		size_t dl = (size_t)(base - run.script);
		char *dir = malloc(dl + 2);
		if (!dir) {
			mq_cli_error("run", "out of memory");
			goto out;
		}
		if (dl)
			memcpy(dir, run.script, dl);
		else
			dir[dl++] = '.';
		dir[dl] = 0;
		mq_manifest_probe(&run.man, dir);
		free(dir);
	}
	if (mq_run_load_prior(&run, L, seed_given)) {
		mq_cli_error("run", "%s", run.err);
		goto out;
	}
	run.seed_base = run.seed;
	run.man.script = dupstr(run.script);
	run.man.name = dupstr(run.name);
	run.man.command = command_line(argc, argv);
	run.man.set_json = set_json(&run.set);
	run.man.seed = run.seed;
	run.man.threads = run.threads;
	run.man.status = "running";
	/* a fresh run writes its manifest now; a resumed one only once it has
	 * shown that it is the same run (run.h) */
	run.writable = !run.prior.present;
	if (!run.man.script || !run.man.name || !run.man.command || !run.man.set_json) {
		mq_cli_error("run", "out of memory");
		goto out;
	}
	if (mq_run_flush(&run, 1)) {
		mq_cli_error("run", "%s", run.err);
		goto out;
	}
	if (run.prior.present && !run.quiet)
		fprintf(stderr, "metriq run: resuming %s/manifest.json (seed %" PRIu64 ")\n", run.outdir,
		        run.seed);

	/* the module, as both a global and require "metriq" */
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	mq_open_metriq(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, "metriq");
	lua_setglobal(L, "metriq");
	lua_pop(L, 1);

	/* the script */
	lua_pushcfunction(L, msghandler);
	int status = luaL_loadfile(L, run.script);
	if (status == LUA_OK) {
		running = L;
		signal(SIGINT, on_sigint);
		status = lua_pcall(L, 0, 0, 1);
		signal(SIGINT, SIG_DFL);
	}

	if (status == LUA_OK) {
		/* a grid whose loop the script left open ends with the script */
		if (mq_run_cell_end(&run, 1) == 0)
			mq_run_grid_end(&run);
		run.man.status = "done";
		rc = 0;
	} else {
		const char *msg = lua_tostring(L, -1);
		if (!msg)
			msg = "(error object is not a string)";
		mq_run_cell_end(&run, 0);
		mq_run_grid_end(&run);
		run.man.status = interrupted ? "interrupted" : "failed";
		/* the manifest keeps the message, not the traceback */
		size_t n = strcspn(msg, "\n");
		free(run.man.error);
		run.man.error = malloc(n + 1);
		if (run.man.error) {
			memcpy(run.man.error, msg, n);
			run.man.error[n] = 0;
		}
		fprintf(stderr, "metriq run: %s\n", msg);
		rc = interrupted ? 130 : 1;
	}
	mq_utc_now(run.man.end);
	if (mq_run_flush(&run, 1)) {
		mq_cli_error("run", "%s", run.err);
		rc = rc ? rc : 1;
	} else if (rc == 0 && !run.quiet) {
		for (size_t i = 0; i < run.nres; i++)
			fprintf(stderr, "metriq run: %s/%s.csv: %zu rows\n", run.outdir, run.res[i]->name,
			        run.res[i]->rows);
	}
out:
	if (L)
		lua_close(L);
	mq_run_free(&run);
	return rc;
}
