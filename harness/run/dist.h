/* dist.h: a run's grid cells spread over MPI ranks.
 *
 *     mpirun -n N metriq run SCRIPT [options]
 *
 * Every rank runs the script; the script's grids decide what work there
 * is.  Rank 0 *coordinates*: when its script reaches a grid it deals the
 * cells, one at a time and in the grid's order, to the worker ranks as each
 * asks for its next one (cells differ in cost by orders of magnitude, so a
 * static split would leave ranks idle), collects their rows, and commits
 * them in the grid's order (run.h): rows are flushed as they arrive in
 * order, cells done out of order are held in the manifest meanwhile, and
 * the files are renamed into place as in any run.  Rank 0 runs no cell
 * itself: it stays free to answer at once and costs a core only while it
 * handles a message (it polls, sleeping up to 1 ms; comm.h), so it may share
 * a core with a worker.  A worker's grid iterator asks rank 0 for the next
 * cell index, runs only the cells it is given, and sends each cell's rows
 * (records, rows.h) when the cell ends; it writes no file.  A cell's
 * numbers depend only on the run seed and its coordinates, so where it
 * runs never changes them, and the CSV files are byte for byte those of a
 * single process.
 *
 * Grids follow one another: rank 0 deals grid g+1 only once its script
 * has reached it, which it does when every cell of grid g is committed.
 *
 * Start: rank 0 reads the folder (--resume: seed, --set values, the cells
 * done) and sends the seed and --set values to every rank (mq_dist_start),
 * so that all ranks run the same script with the same params.  End: each
 * worker reports how its script ended and waits for rank 0's word before
 * it leaves MPI (mq_dist_finish).
 *
 * Failures.  A cell that fails on a worker stops the dealing; rank 0 waits
 * for the cells still running elsewhere (they are kept, held), then fails
 * with the cell's error, and tells the workers to stop.  A rank that dies
 * or a job that is killed: mpirun sends SIGTERM to every rank; rank 0 then
 * writes the manifest at once (status failed, error naming the cells not
 * done and the ranks that had them) and exits.  --resume, with or without
 * MPI, then runs those cells and loses no finished one.
 *
 * The manifest records "mpi": {ranks, hosts (one per rank), threads (one
 * per rank), rank0_cpu_seconds} and each cell's rank. */
#ifndef MQ_DIST_H
#define MQ_DIST_H

#include <stddef.h>

#include "run.h"

/* After rank 0 has set up the run (ok) or failed to (!ok): the seed and
 * --set values to every rank, the hosts and threads to rank 0.  0, or -1
 * (on a worker: rank 0 failed, leave quietly). */
int mq_dist_start(mq_run *run, int ok);

/* The grid iterator's next cell (run.h's mq_run_next_cell) on rank 0 and
 * on a worker. */
int mq_dist_next_cell(mq_run *run, size_t *c);

/* A worker's cell ended: its rows (run->unit) or its error go to rank 0.
 * 0, or -1 with run->err. */
int mq_dist_cell_done(mq_run *run, size_t c, int ok, const char *msg);

/* The error of rank 0 stopped by a signal (*run->stop), naming the cells
 * not done: in run->err, which it returns. */
const char *mq_dist_stopped(mq_run *run);

/* The script ended with exit status rc (msg: its error).  A worker reports
 * and waits for rank 0's word; rank 0 answers the workers until each has
 * ended (keeping cells that still arrive), then lets them go.  Returns the
 * run's exit status: rc, or 1 with run->err if a worker failed where rank
 * 0 did not. */
int mq_dist_finish(mq_run *run, int rc, const char *msg);

#endif
