/* comm.c: MPI behind plain functions (see comm.h). */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include "comm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef METRIQ_MPI
#include <mpi.h>
#endif

int mq_mpi_launched(long *ranks)
{
	/* the size each launcher puts in the environment of the ranks it
	 * starts: Open MPI, PMIx, PMI (MPICH, Intel MPI, srun --mpi=pmi2) */
	static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE", NULL};
	static const char *const other[] = {"PMIX_RANK", "PMI_RANK", NULL};
	for (int i = 0; vars[i]; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v) {
			*ranks = strtol(v, NULL, 10);
			return 1;
		}
	}
	for (int i = 0; other[i]; i++)
		if (getenv(other[i])) {
			*ranks = 0;
			return 1;
		}
	*ranks = 1;
	return 0;
}

void mq_mpi_pause(long *backoff)
{
	*backoff = *backoff <= 0 ? 20 : *backoff >= 1000 ? 1000 : 2 * *backoff;
	struct timespec ts = {0, *backoff * 1000};
	nanosleep(&ts, NULL);
}

#ifdef METRIQ_MPI

static int rank, size = 1, started, local_workers = 1;

/* b holds n bytes to be received into (contents undefined); 0, or -1 */
static int buf_size(mq_buf *b, size_t n)
{
	if (b->failed)
		return -1;
	if (n + 1 > b->cap) {
		char *p = realloc(b->p, n + 1);
		if (!p)
			return -1;
		b->p = p;
		b->cap = n + 1;
	}
	b->len = n;
	b->p[n] = 0;
	return 0;
}

int mq_mpi_built(void)
{
	return 1;
}

int mq_mpi_init(int *argc, char ***argv, char *err, size_t errlen)
{
	/* FUNNELED: the kernels run threads, but only the main thread calls MPI */
	int provided;
	if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
		snprintf(err, errlen, "MPI_Init_thread failed");
		return -1;
	}
	started = 1;
	/* errors come back as codes: a failed call becomes a run error that
	 * names the cells left, not an abort from inside the library */
	MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	/* ranks that share this host, and whether rank 0 is one of them: the
	 * kernels' threads are shared among the ranks that run cells here */
	MPI_Comm local;
	if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local)
	    == MPI_SUCCESS) {
		int n, zero = rank == 0, with0 = 0;
		MPI_Comm_size(local, &n);
		MPI_Allreduce(&zero, &with0, 1, MPI_INT, MPI_MAX, local);
		local_workers = n - with0 > 0 ? n - with0 : 1;
		MPI_Comm_free(&local);
	}
	return 0;
}

int mq_mpi_rank(void)
{
	return rank;
}

int mq_mpi_size(void)
{
	return size;
}

int mq_mpi_local_workers(void)
{
	return local_workers;
}

int mq_mpi_send(int dest, int tag, const void *p, size_t n)
{
	if (n > (size_t)0x7fffffff)
		return -1;
	return MPI_Send(p, (int)n, MPI_BYTE, dest, tag, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

int mq_mpi_poll(int src, int tag, int *from, int *tag_out, mq_buf *msg)
{
	int flag = 0, n;
	MPI_Status st;
	if (MPI_Iprobe(src < 0 ? MPI_ANY_SOURCE : src, tag < 0 ? MPI_ANY_TAG : tag, MPI_COMM_WORLD,
	               &flag, &st) != MPI_SUCCESS)
		return -1;
	if (!flag)
		return 0;
	if (MPI_Get_count(&st, MPI_BYTE, &n) != MPI_SUCCESS || n < 0)
		return -1;
	if (buf_size(msg, (size_t)n))
		return -1;
	if (MPI_Recv(msg->p, n, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, &st)
	    != MPI_SUCCESS)
		return -1;
	*from = st.MPI_SOURCE;
	*tag_out = st.MPI_TAG;
	return 1;
}

int mq_mpi_bcast(mq_buf *b)
{
	unsigned long long n = b->len;
	if (MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD) != MPI_SUCCESS
	    || n > 0x7fffffff)
		return -1;
	if (rank != 0 && buf_size(b, (size_t)n))
		return -1;
	if (!n)
		return 0;
	return MPI_Bcast(b->p, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

int mq_mpi_gather(const void *mine, size_t n, void *all)
{
	return MPI_Gather(mine, (int)n, MPI_BYTE, all, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD)
	       == MPI_SUCCESS ? 0 : -1;
}

void mq_mpi_finalize(void)
{
	if (started)
		MPI_Finalize();
	started = 0;
}

void mq_mpi_abort(int rc)
{
	if (started)
		MPI_Abort(MPI_COMM_WORLD, rc);
	exit(rc);
}

#else /* without MPI: one process */

int mq_mpi_built(void)
{
	return 0;
}

int mq_mpi_init(int *argc, char ***argv, char *err, size_t errlen)
{
	(void)argc;
	(void)argv;
	snprintf(err, errlen, "this metriq was built without MPI (cmake -DMETRIQ_MPI=ON, with "
	         "libopenmpi-dev installed)");
	return -1;
}

int mq_mpi_rank(void)
{
	return 0;
}

int mq_mpi_size(void)
{
	return 1;
}

int mq_mpi_local_workers(void)
{
	return 1;
}

int mq_mpi_send(int dest, int tag, const void *p, size_t n)
{
	(void)dest;
	(void)tag;
	(void)p;
	(void)n;
	return -1;
}

int mq_mpi_poll(int src, int tag, int *from, int *tag_out, mq_buf *msg)
{
	(void)src;
	(void)tag;
	(void)from;
	(void)tag_out;
	(void)msg;
	return -1;
}

int mq_mpi_bcast(mq_buf *b)
{
	(void)b;
	return 0;
}

int mq_mpi_gather(const void *mine, size_t n, void *all)
{
	memcpy(all, mine, n);
	return 0;
}

void mq_mpi_finalize(void)
{
}

void mq_mpi_abort(int rc)
{
	exit(rc);
}

#endif
