/* test_interrupt.c: the library's interrupt flag (kernels/status.h).  A
 * permutation test far too long to finish returns MQ_EINTERRUPT when the
 * flag is already set, and when another thread sets it mid-run, as a
 * signal handler would; with the flag clear the numbers are those of a run
 * that never had one. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "rankcorr.h"
#include "status.h"

#define N 200
#define FOREVER ((uint64_t)1 << 50) /* permutations: years of work */

static volatile sig_atomic_t flag;
static double x[N], y[N];

static void *set_later(void *arg)
{
	(void)arg;
	struct timespec d = {0, 50 * 1000 * 1000};
	nanosleep(&d, NULL);
	flag = 1;
	return NULL;
}

int main(void)
{
	for (int i = 0; i < N; i++) {
		x[i] = i;
		y[i] = (i * 37) % N;
	}
	double rho, p, rho0, p0;
	CHECK(!strcmp(mq_strerror(MQ_EINTERRUPT), "interrupted"), "message: %s",
	      mq_strerror(MQ_EINTERRUPT));

	/* no flag: nothing is checked */
	CHECK(!mq_interrupted(), "no flag, no interrupt");
	CHECK(mq_spearman_perm(x, y, N, 999, 7, &rho0, &p0) == MQ_OK, "without a flag");

	/* a flag already set: the first look stops the run */
	mq_interrupt_flag(&flag);
	flag = 1;
	CHECK(mq_interrupted(), "flag set");
	CHECK(mq_spearman_perm(x, y, N, FOREVER, 7, &rho, &p) == MQ_EINTERRUPT, "set before");
	CHECK(mq_spearman(x, y, N, &rho) == MQ_OK, "plain rho has no long loop");

	/* set from outside mid-run (ctest's timeout is what "promptly" means) */
	flag = 0;
	pthread_t th;
	CHECK(pthread_create(&th, NULL, set_later, NULL) == 0, "thread");
	CHECK(mq_spearman_perm(x, y, N, FOREVER, 7, &rho, &p) == MQ_EINTERRUPT, "set mid-run");
	pthread_join(th, NULL);

	/* cleared: the same numbers as a run without a flag */
	flag = 0;
	CHECK(mq_spearman_perm(x, y, N, 999, 7, &rho, &p) == MQ_OK && rho == rho0 && p == p0,
	      "flag clear: rho %g p %g, want %g %g", rho, p, rho0, p0);
	mq_interrupt_flag(NULL);
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	else
		printf("test_interrupt: all passed\n");
	return failures != 0;
}
