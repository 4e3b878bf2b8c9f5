/* lock.c: DIR/.metriq.lock (lock.h). */
#define _DEFAULT_SOURCE /* flock */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "buf.h"
#include "manifest.h"

/* The owner's line, as it wrote it: "pid N on HOST (started T)". */
static void owner(int fd, char *out, size_t len)
{
	ssize_t n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = 0;
	out[strcspn(out, "\n")] = 0;
	if (!out[0])
		snprintf(out, len, "another process (it has not yet written its pid)");
}

int mq_lock_dir(const char *dir, char *err, size_t errlen)
{
	mq_buf path = MQ_BUF_INIT;
	mq_buf_printf(&path, "%s/.metriq.lock", dir);
	if (!mq_buf_ok(&path)) {
		mq_buf_free(&path);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int fd = open(path.p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		snprintf(err, errlen, "cannot lock %.300s: %s", path.p, strerror(errno));
		mq_buf_free(&path);
		return -1;
	}
	mq_buf_free(&path);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;
		char who[256];
		if (e == EWOULDBLOCK) {
			owner(fd, who, sizeof who);
			snprintf(err, errlen, "%.300s is in use by %s", dir, who);
		} else {
			snprintf(err, errlen, "cannot lock %.300s/.metriq.lock: %s", dir, strerror(e));
		}
		close(fd);
		return -1;
	}
	char host[128], now[32], line[256];
	mq_hostname(host, sizeof host);
	mq_utc_now(now);
	int n = snprintf(line, sizeof line, "pid %ld on %s (started %s)\n", (long)getpid(), host,
	                 now);
	/* the line only informs a refused process: failing to write it does
	 * not make the lock any less held */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, line, (size_t)n, 0) < 0)
		errno = 0;
	return fd;
}

void mq_unlock_dir(int fd)
{
	if (fd < 0)
		return;
	if (ftruncate(fd, 0)) /* no owner named once it is gone */
		errno = 0;
	close(fd); /* drops the flock */
}
