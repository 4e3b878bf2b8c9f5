/* comm.h: the little of MPI that metriq uses, behind plain functions.
 *
 * Built with METRIQ_MPI these call MPI; built without, they describe one
 * process (rank 0 of 1) and the calls that need other ranks fail.  Only
 * dist.c and cmd_run.c use them.
 *
 * MPI is started only when a launcher started the process (mq_mpi_launched:
 * mpirun/mpiexec of Open MPI, MPICH or Intel MPI, srun with PMI or PMIx),
 * so a plain `metriq run` never touches MPI.
 *
 * Waiting.  Open MPI's blocking receives spin on a core.  A rank that
 * waits (rank 0 between messages, a worker whose script has ended) must
 * leave its core to the ranks still computing, so every wait here is a
 * poll (MPI_Iprobe) with a short sleep that backs off to 1 ms. */
#ifndef MQ_MPI_H
#define MQ_MPI_H

#include <stddef.h>

#include "buf.h"

/* Whether an MPI launcher started this process, and with how many ranks
 * (0 when it cannot tell). */
int mq_mpi_launched(long *ranks);
/* Whether this metriq was built with MPI. */
int mq_mpi_built(void);

/* Start MPI; 0, or -1 with a message in err. */
int mq_mpi_init(int *argc, char ***argv, char *err, size_t errlen);
int mq_mpi_rank(void);
int mq_mpi_size(void);
/* Ranks on this host other than rank 0 (those that run cells here). */
int mq_mpi_local_workers(void);

/* Send n bytes to rank dest with a tag (returns when the buffer may be
 * reused).  0, or -1. */
int mq_mpi_send(int dest, int tag, const void *p, size_t n);
/* A message from src (-1: any) with tag (-1: any), if one has arrived: 1
 * with its source, tag and bytes (in *msg, replacing what it held), 0 if
 * none, -1 on an error. */
int mq_mpi_poll(int src, int tag, int *from, int *tag_out, mq_buf *msg);
/* Sleep before the next poll: *backoff (microseconds, 0 to start) doubles
 * up to 1 ms. */
void mq_mpi_pause(long *backoff);

/* Rank 0's bytes to every rank (all ranks call it; b in, on rank 0, and
 * out).  0, or -1. */
int mq_mpi_bcast(mq_buf *b);
/* n bytes from every rank to rank 0's all[size * n] (all ranks call it). */
int mq_mpi_gather(const void *mine, size_t n, void *all);

void mq_mpi_finalize(void);
/* End every rank of the job now. */
void mq_mpi_abort(int rc);

#endif
