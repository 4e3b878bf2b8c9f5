/* cmd_bench.c: `metriq bench [--out DIR] [GOOGLE-BENCHMARK FLAGS...]`, the
 * benchmark suite run and stored for comparison across machines.
 *
 * Runs the metriq-bench executable that lies next to this metriq (the
 * directory of /proc/self/exe: the build folder, or an install's bin/) with
 * JSON output to a temp file in DIR (default results/bench), then renames
 * it to DIR/bench-<host>-<YYYYMMDD-HHMMSS>.json, so a half-written or failed
 * run never looks like a result.  Other arguments go to metriq-bench
 * unchanged (--benchmark_filter=RE, --benchmark_repetitions=N, ...).
 *
 * The file's "context" is Google Benchmark's (host_name, num_cpus,
 * mhz_per_cpu, caches, date) plus what metriq-bench adds (cpu_model,
 * metriq_isa, gsl_version, openblas_config, benchmark_version, compiler)
 * plus, from here, lua_version: metriq-bench does not link Lua, the
 * metriq program does, so the version of the Lua the scripts run on is
 * passed in with --benchmark_context.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lua.h>

#include "cli.h"
#include "opt.h"
#include "util.h"

extern char **environ;

static const char about[] =
    "Runs metriq-bench (built next to metriq) and stores its JSON, with the\n"
    "machine's context (CPU model, cores, metriq's ISA path, library\n"
    "versions), as DIR/bench-<host>-<YYYYMMDD-HHMMSS>.json.  Other flags are\n"
    "passed to metriq-bench, e.g. --benchmark_filter=BM_qgemm\n"
    "--benchmark_repetitions=3 (metriq-bench --help lists them).  Compare\n"
    "files with 'metriq compare'.\n";

/* DIR/metriq-bench where DIR holds the running metriq; 0 or -1. */
static int bench_path(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = 0;
	int m = snprintf(out, len, "%s/metriq-bench", exe);
	return m > 0 && (size_t)m < len ? 0 : -1;
}

/* The host name with only [A-Za-z0-9._-] kept, for a file name. */
static void host_tag(char *out, size_t len)
{
	char h[256];
	if (gethostname(h, sizeof h) != 0)
		h[0] = 0;
	h[sizeof h - 1] = 0;
	size_t j = 0;
	for (size_t i = 0; h[i] && j + 1 < len; i++) {
		char c = h[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		         c == '.' || c == '_' || c == '-';
		out[j++] = ok ? c : '_';
	}
	if (j == 0 && len > 4)
		memcpy(out, "host", 4), j = 4;
	out[j] = 0;
}

static int run_bench(const char *exe, char **argv)
{
	pid_t pid;
	int rc = posix_spawn(&pid, exe, NULL, NULL, argv, environ);
	if (rc != 0)
		return mq_cli_error("bench", "cannot run %s: %s", exe, strerror(rc)), -1;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return mq_cli_error("bench", "waiting for %s: %s", exe, strerror(errno)), -1;
	if (WIFSIGNALED(status))
		return mq_cli_error("bench", "%s was killed by signal %d", exe, WTERMSIG(status)), -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return mq_cli_error("bench", "%s failed (exit status %d)", exe, WEXITSTATUS(status)),
		       -1;
	return 0;
}

/* The options (argv[1..n), after mq_opt_parse) that go on to metriq-bench,
 * into bargv from index 4 on; the new end of bargv, or -1. */
static int pass_on(int n, char **argv, char **bargv)
{
	int nb = 4;
	for (int i = 1; i <= n; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "--benchmark_out", 15) || !strncmp(a, "--benchmark_context", 19))
			return mq_cli_error("bench", "'%s': metriq bench sets the output file, its "
			                    "format and the context itself (use --out DIR)", a), -1;
		if (a[0] != '-')
			return mq_cli_error("bench", "unexpected argument '%s' (see 'metriq bench "
			                    "--help')", a), -1;
		bargv[nb++] = argv[i];
	}
	return nb;
}

int mq_cmd_bench(int argc, char **argv)
{
	const char *dir = "results/bench";
	const mq_opt opts[] = {
		{"out", 0, MQ_OPT_STRING, &dir, "DIR",
		 "the folder for the JSON (default results/bench;\ncreated if missing)", 0, 0},
		MQ_OPT_END,
	};
	const mq_optcmd cmd = {"bench", "[--out DIR] [GOOGLE-BENCHMARK FLAGS...]", about, opts, 1};
	int n = mq_opt_parse(&cmd, argc, argv, NULL);
	if (n < 0)
		return mq_opt_status(n);
	if (!*dir)
		return mq_cli_error("bench", "--out needs a folder");
	/* metriq-bench's argv: exe, our three flags, the pass-through ones, NULL */
	char **bargv = calloc((size_t)n + 5, sizeof *bargv);
	if (!bargv)
		return mq_cli_error("bench", "out of memory");
	int rc = 2, nb = pass_on(n, argv, bargv);
	if (nb < 0) {
		free(bargv);
		return 2;
	}

	char exe[PATH_MAX];
	if (bench_path(exe, sizeof exe) != 0) {
		free(bargv);
		return mq_cli_error("bench", "cannot find the metriq executable's folder "
		                    "(/proc/self/exe)");
	}
	if (access(exe, X_OK) != 0) {
		free(bargv);
		return mq_cli_error("bench", "no metriq-bench next to this metriq (%s: %s); build "
		                    "it with 'cmake --build build --target metriq-bench' (it needs "
		                    "Google Benchmark, Debian libbenchmark-dev, and METRIQ_BENCH=ON, "
		                    "the default)", exe, strerror(errno));
	}
	if (mq_mkdirs(dir) != 0) {
		free(bargv);
		return mq_cli_error("bench", "cannot create the output folder %s: %s", dir,
		                    strerror(errno));
	}
	char tmp[PATH_MAX + 32], final[PATH_MAX + 320];
	if (snprintf(tmp, sizeof tmp, "%s/.bench-XXXXXX", dir) >= (int)sizeof tmp) {
		free(bargv);
		return mq_cli_error("bench", "folder name too long: %s", dir);
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		free(bargv);
		return mq_cli_error("bench", "cannot write in %s: %s", dir, strerror(errno));
	}
	fchmod(fd, 0644); /* mkstemp's 0600 would hide a result from other users */
	close(fd);

	char outflag[PATH_MAX + 64];
	snprintf(outflag, sizeof outflag, "--benchmark_out=%s", tmp);
	/* LUA_RELEASE is "Lua 5.4.x": no ',' or '=', which the flag would split on */
	char ctxflag[128];
	snprintf(ctxflag, sizeof ctxflag, "--benchmark_context=lua_version=%s", LUA_RELEASE);
	bargv[0] = exe;
	bargv[1] = outflag;
	bargv[2] = "--benchmark_out_format=json";
	bargv[3] = ctxflag;
	bargv[nb] = NULL;
	if (run_bench(exe, bargv) != 0)
		goto fail;

	struct stat st;
	if (stat(tmp, &st) != 0 || st.st_size == 0) {
		mq_cli_error("bench", "%s wrote no JSON (did the filter match no benchmark?)", exe);
		goto fail;
	}
	char host[128], stamp[32];
	host_tag(host, sizeof host);
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	/* two runs within one second get -2, -3, ... rather than overwrite */
	for (int k = 1;; k++) {
		if (k == 1)
			snprintf(final, sizeof final, "%s/bench-%s-%s.json", dir, host, stamp);
		else
			snprintf(final, sizeof final, "%s/bench-%s-%s-%d.json", dir, host, stamp, k);
		if (access(final, F_OK) != 0)
			break;
	}
	if (rename(tmp, final) != 0) {
		mq_cli_error("bench", "cannot rename %s to %s: %s", tmp, final, strerror(errno));
		goto fail;
	}
	printf("metriq bench: wrote %s\n", final);
	rc = 0;
	goto out;
fail:
	unlink(tmp);
out:
	free(bargv);
	return rc;
}
