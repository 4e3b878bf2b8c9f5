#!/usr/bin/env python3
"""Project a metriq run onto more MPI ranks from its measured cell times.

    scripts/cluster_projection.py DIR/manifest.json [--ranks 2,3,9,17,33,64]
                                  [--replicas R] [--shards]

Reads each grid cell's "seconds" from a manifest (any run: one process, a
shard merge, MPI) and replays the scheduling of `mpirun -n N metriq run`
(harness/run/dist.h): rank 0 coordinates and runs no cell, the N-1 workers
each take the next cell in the grid's order when they become free, and a
grid's cells are dealt only once the grid before it is done.  It prints,
per rank count, the projected time, the speedup over one worker, the
efficiency over all N ranks (rank 0 included) and the idle share of the
workers (load imbalance: workers waiting for the last cells of a grid).

--shards also gives, for N-1 shards (`--shard K/N-1`, the same count of
processes doing cells), the time of the slowest shard: a static split.

--replicas R repeats each grid's cells R times in a row (each cell followed
by its copies), to model the same grid with R times the cells (more seeds
or trials as cells) at the measured costs.

Assumptions, stated: a cell costs on a worker what it cost in the measured
run (same threads per rank, same machine); messages cost nothing (rank 0's
CPU per cell is in the manifest's "rank0_cpu_seconds" for an MPI run).
"""
import argparse
import heapq
import json


def grids_of(manifest, replicas):
    out = []
    for g in manifest["grids"]:
        secs = []
        for c in g["cells"]:
            if c.get("status") != "done" or "seconds" not in c:
                raise SystemExit("cell %s has no time (status %s): project a finished run"
                                 % (c.get("cell"), c.get("status")))
            secs.extend([c["seconds"]] * replicas)
        out.append(secs)
    return out


def makespan(grids, workers):
    """In-order dynamic dealing to `workers` workers, grid after grid."""
    total = 0.0
    for secs in grids:
        free = [0.0] * workers           # when each worker is next free
        heapq.heapify(free)
        end = 0.0
        for s in secs:                   # the next cell goes to the first free worker
            t = heapq.heappop(free) + s
            end = max(end, t)
            heapq.heappush(free, t)
        total += end                     # the next grid starts when this one is done
    return total


def sharded(grids, n):
    """--shard K/n: cell index (over the grids, in order) mod n; the
    shards run side by side and the run ends with the slowest."""
    load = [0.0] * n
    i = 0
    for secs in grids:
        for s in secs:
            load[i % n] += s
            i += 1
    return max(load)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("manifest")
    ap.add_argument("--ranks", default="2,3,5,9,17,33,64")
    ap.add_argument("--replicas", type=int, default=1)
    ap.add_argument("--shards", action="store_true")
    a = ap.parse_args()
    with open(a.manifest) as f:
        m = json.load(f)
    grids = grids_of(m, a.replicas)
    work = sum(sum(g) for g in grids)
    ncells = sum(len(g) for g in grids)
    longest = max(max(g) for g in grids)
    print("%d cells, %.1f s of cell time (mean %.2f s, longest %.2f s)"
          % (ncells, work, work / ncells, longest))
    print("%6s %8s %10s %8s %11s %10s%s" % ("ranks", "workers", "time (s)", "speedup",
                                             "efficiency", "idle",
                                             "  shards: time (s)" if a.shards else ""))
    for n in [int(x) for x in a.ranks.split(",")]:
        w = n - 1
        if w < 1:
            continue
        t = makespan(grids, w)
        line = "%6d %8d %10.1f %8.2f %10.0f%% %9.0f%%" % (
            n, w, t, work / t, 100 * work / (n * t), 100 * (1 - work / (w * t)))
        if a.shards:
            line += "  %17.1f" % sharded(grids, w)
        print(line)


if __name__ == "__main__":
    main()
