/* paths.h: where metriq finds the files it ships, plots/ and experiments/.
 *
 * An installed metriq keeps them in <prefix>/share/metriq/ and finds them
 * from its own location (/proc/self/exe is <prefix>/bin/metriq), so an
 * install tree works without the source tree and still works after it is
 * moved.  A metriq run from its build folder finds them in the source tree
 * it was built from (compiled in). */
#ifndef MQ_PATHS_H
#define MQ_PATHS_H

#include <stddef.h>

/* The folder SUB ("plots", "experiments") of the shipped files: the
 * install's share/metriq/SUB if it is a folder, else the source tree's
 * SUB if it is, else SUB itself (relative to the working directory).
 * 0, or -1 when the path does not fit in len. */
int mq_share_dir(const char *sub, char *out, size_t len);

/* The experiment script NAME: NAME itself if it is a file; else, for a
 * NAME without '/', NAME or NAME.lua in the experiments folder.  0 with
 * the path in out; -1 when none is a file (out is then unspecified). */
int mq_find_script(const char *name, char *out, size_t len);

#endif
