/* plot.c: run gnuplot on a figure's script (plot.h). */
#define _POSIX_C_SOURCE 200809L
#include "plot.h"
#include "paths.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

const char *mq_plots_dir(void)
{
	const char *env = getenv("METRIQ_PLOTS");
	if (env && *env)
		return env;
	static char dir[1000]; /* rewritten by each call; fits mq_plot_render's gp[] */
	return mq_share_dir("plots", dir, sizeof dir) == 0 ? dir : "plots";
}

/* The data file named by the script's "# metriq-data:" line. */
static int data_name(const char *gp, char *out, size_t len)
{
	FILE *f = fopen(gp, "r");
	if (!f)
		return -1;
	char line[512];
	int found = -1;
	while (fgets(line, sizeof line, f)) {
		const char *key = "# metriq-data:";
		if (strncmp(line, key, strlen(key)))
			continue;
		const char *p = line + strlen(key);
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " \r\n");
		if (n > 0 && n < len) {
			memcpy(out, p, n);
			out[n] = 0;
			found = 0;
		}
		break;
	}
	fclose(f);
	return found;
}

static int run_gnuplot(const char *gp, const char *data, const char *out,
                       const char *term, char *err, size_t errlen)
{
	char expr[4096];
	int n = snprintf(expr, sizeof expr, "data='%s'; out='%s'; term='%s'", data, out, term);
	if (n < 0 || (size_t)n >= sizeof expr) {
		snprintf(err, errlen, "path too long: %s", data);
		return -1;
	}
	char *argv[] = {"gnuplot", "-e", expr, (char *)gp, NULL};
	pid_t pid;
	int rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	if (rc != 0) {
		snprintf(err, errlen, "cannot run gnuplot (%s); install gnuplot-nox", strerror(rc));
		return -1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "waiting for gnuplot: %s", strerror(errno));
			return -1;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "gnuplot failed on %s (%s output)", gp, term);
		return -1;
	}
	struct stat st;
	if (stat(out, &st) != 0 || st.st_size == 0) {
		snprintf(err, errlen, "gnuplot wrote no %s figure for %s", term, gp);
		return -1;
	}
	return 0;
}

int mq_plot_render(const char *name, const char *dir, char *err, size_t errlen)
{
	const char *pdir = mq_plots_dir();
	char gp[1024], dname[256], data[1024];
	if (strchr(name, '/') || strchr(name, '\'') || strchr(dir, '\'') || strchr(pdir, '\'')) {
		snprintf(err, errlen, "figure names and folders may not contain / or quotes: '%s'", name);
		return -1;
	}
	snprintf(gp, sizeof gp, "%s/%s.gp", pdir, name);
	if (!is_file(gp)) {
		snprintf(err, errlen, "no figure '%s' (no %s)", name, gp);
		return -1;
	}
	if (data_name(gp, dname, sizeof dname) != 0) {
		snprintf(err, errlen, "%s has no '# metriq-data: FILE' line", gp);
		return -1;
	}
	snprintf(data, sizeof data, "%s/%s", dir, dname);
	if (!is_file(data)) {
		snprintf(err, errlen, "no data for figure '%s': %s does not exist", name, data);
		return -1;
	}
	static const char *terms[] = {"png", "svg"};
	for (int i = 0; i < 2; i++) {
		char tmp[1100], final[1100];
		snprintf(tmp, sizeof tmp, "%s/.%s.%s.tmp", dir, name, terms[i]);
		snprintf(final, sizeof final, "%s/%s.%s", dir, name, terms[i]);
		if (run_gnuplot(gp, data, tmp, terms[i], err, errlen) != 0) {
			unlink(tmp);
			return -1;
		}
		if (rename(tmp, final) != 0) {
			snprintf(err, errlen, "cannot write %s: %s", final, strerror(errno));
			unlink(tmp);
			return -1;
		}
	}
	return 0;
}
