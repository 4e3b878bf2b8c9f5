/* plot.c: run gnuplot on a figure's script (plot.h). */
#define _POSIX_C_SOURCE 200809L
#include "plot.h"
#include "buf.h"
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
	/* sized to the paths: a results folder may be any length the file
	 * system takes */
	mq_buf expr = MQ_BUF_INIT;
	mq_buf_printf(&expr, "data='%s'; out='%s'; term='%s'", data, out, term);
	if (!mq_buf_ok(&expr)) {
		mq_buf_free(&expr);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	char *argv[] = {"gnuplot", "-e", expr.p, (char *)gp, NULL};
	pid_t pid;
	int rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	mq_buf_free(&expr);
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
		snprintf(err, errlen, "gnuplot failed on %.200s (%s output)", gp, term);
		return -1;
	}
	struct stat st;
	if (stat(out, &st) != 0 || st.st_size == 0) {
		snprintf(err, errlen, "gnuplot wrote no %s figure for %.200s", term, gp);
		return -1;
	}
	return 0;
}

/* One format into b (emptied first); 0, or -1 with err on out of memory. */
static int path(mq_buf *b, char *err, size_t errlen, const char *fmt, const char *a,
                const char *c, const char *d)
{
	mq_buf_truncate(b, 0);
	mq_buf_printf(b, fmt, a, c, d);
	if (mq_buf_ok(b))
		return 0;
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* Render into DIR/NAME.TERM through a temporary file renamed into place. */
static int render_term(const char *gp, const char *data, const char *name, const char *dir,
                       const char *term, char *err, size_t errlen)
{
	mq_buf tmp = MQ_BUF_INIT, final = MQ_BUF_INIT;
	int rc = path(&tmp, err, errlen, "%s/.%s.%s.tmp", dir, name, term) ||
	         path(&final, err, errlen, "%s/%s.%s", dir, name, term) ? -1 : 0;
	if (rc == 0 && run_gnuplot(gp, data, tmp.p, term, err, errlen) != 0)
		rc = -1;
	else if (rc == 0 && rename(tmp.p, final.p) != 0) {
		snprintf(err, errlen, "cannot write %.300s: %s", final.p, strerror(errno));
		rc = -1;
	}
	if (rc && tmp.p)
		unlink(tmp.p);
	mq_buf_free(&tmp);
	mq_buf_free(&final);
	return rc;
}

int mq_plot_render(const char *name, const char *dir, char *err, size_t errlen)
{
	const char *pdir = mq_plots_dir();
	char dname[256];
	if (strchr(name, '/') || strchr(name, '\'') || strchr(dir, '\'') || strchr(pdir, '\'')) {
		snprintf(err, errlen, "figure names and folders may not contain / or quotes: '%s'", name);
		return -1;
	}
	mq_buf gp = MQ_BUF_INIT, data = MQ_BUF_INIT;
	int rc = -1;
	if (path(&gp, err, errlen, "%s/%s.gp%s", pdir, name, ""))
		goto out;
	if (!is_file(gp.p)) {
		snprintf(err, errlen, "no figure '%s' (no %.300s)", name, gp.p);
		goto out;
	}
	if (data_name(gp.p, dname, sizeof dname) != 0) {
		snprintf(err, errlen, "%.300s has no '# metriq-data: FILE' line", gp.p);
		goto out;
	}
	if (path(&data, err, errlen, "%s/%s%s", dir, dname, ""))
		goto out;
	if (!is_file(data.p)) {
		snprintf(err, errlen, "no data for figure '%s': %.300s does not exist", name, data.p);
		goto out;
	}
	rc = render_term(gp.p, data.p, name, dir, "png", err, errlen)
	     || render_term(gp.p, data.p, name, dir, "svg", err, errlen) ? -1 : 0;
out:
	mq_buf_free(&gp);
	mq_buf_free(&data);
	return rc;
}
