/* paths.c: the install's and the source tree's shipped files (paths.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef METRIQ_SOURCE_DIR
#define METRIQ_SOURCE_DIR "."
#endif
/* share/metriq relative to bin/: CMake computes it from the install dirs */
#ifndef METRIQ_SHARE_REL
#define METRIQ_SHARE_REL "../share/metriq"
#endif

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* snprintf that says whether the whole path fitted */
#define FITS(n, len) ((n) >= 0 && (size_t)(n) < (len))

/* <dir of the running program>/METRIQ_SHARE_REL/SUB; 0 or -1 */
static int installed_dir(const char *sub, char *out, size_t len)
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
	/* resolved, so that messages and manifests name share/, not bin/.. */
	char path[PATH_MAX + 64], real[PATH_MAX];
	int m = snprintf(path, sizeof path, "%s/" METRIQ_SHARE_REL "/%s", exe, sub);
	if (!FITS(m, sizeof path) || !realpath(path, real) || !is_dir(real))
		return -1;
	m = snprintf(out, len, "%s", real);
	return FITS(m, len) ? 0 : -1;
}

int mq_share_dir(const char *sub, char *out, size_t len)
{
	if (installed_dir(sub, out, len) == 0)
		return 0;
	int m = snprintf(out, len, "%s/%s", METRIQ_SOURCE_DIR, sub);
	if (FITS(m, len) && is_dir(out))
		return 0;
	m = snprintf(out, len, "%s", sub);
	return FITS(m, len) ? 0 : -1;
}

int mq_find_script(const char *name, char *out, size_t len)
{
	int m = snprintf(out, len, "%s", name);
	if (FITS(m, len) && is_file(out))
		return 0;
	char dir[PATH_MAX];
	if (strchr(name, '/') || mq_share_dir("experiments", dir, sizeof dir) != 0)
		return -1;
	static const char *const ext[] = {"", ".lua"};
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
		m = snprintf(out, len, "%s/%s%s", dir, name, ext[i]);
		if (FITS(m, len) && is_file(out))
			return 0;
	}
	return -1;
}
