/* lock.h: one process at a time in an output folder.
 *
 * Two runs writing one folder would each rewrite the CSV files and the
 * manifest from their own state, and what is left would be one run's CSV
 * beside another's manifest, or neither.  So a command that writes a folder
 * (metriq run, merge, advise --out) first takes DIR/.metriq.lock with
 * flock(2), and a second one is refused with the owner's pid, host and
 * start time, which the owner writes into the file.
 *
 * The kernel drops a flock when its process ends in any way (exit, a
 * signal, SIGKILL, a crash), so a lock left by a dead process never blocks
 * a later one: there is no stale lock to detect.  The file itself stays
 * (emptied on release): removing it would let a process that opened it
 * just before the removal lock a file no one else can see.  flock is
 * advisory and, on NFS, works only where the server supports it (Linux
 * NFS maps it to fcntl locks since 2.6.12). */
#ifndef MQ_LOCK_H
#define MQ_LOCK_H

#include <stddef.h>

/* Lock DIR (which exists) for this process: the lock's descriptor (>= 0),
 * or -1 with a message in err ("DIR is in use by pid N on HOST (started
 * T)", or why the lock file cannot be made). */
int mq_lock_dir(const char *dir, char *err, size_t errlen);

/* Give the lock back (fd < 0: nothing). */
void mq_unlock_dir(int fd);

#endif
