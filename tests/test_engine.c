/* test_engine.c: the run engine (harness/run/run.h) driven from C alone,
 * with no script language: params, a grid, its cells and rows, a flush; a
 * run stopped after two of three cells; the resumed run skips them, and
 * the CSV file and the manifest hold what one run would have written.  A
 * changed grid and changed params refuse to resume.
 *
 *     test_engine DIR       (DIR is emptied of what the test writes) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jv.h"
#include "run.h"

static const char *axes[] = {"a"};
static const char *keys[] = {"a=1", "a=2", "a=3"};
static const uint64_t seeds[] = {11, 12, 13};

/* A run of DIR as the CLI sets one up: the record, then what an earlier
 * run left.  0, or -1 with run->err. */
static int start(mq_run *run, const char *dir, int resume)
{
	memset(run, 0, sizeof *run);
	run->grid = run->cell = -1;
	run->seed = 1;
	run->quiet = 1;
	run->resume = resume;
	run->outdir = malloc(strlen(dir) + 1);
	strcpy(run->outdir, dir);
	snprintf(run->name, sizeof run->name, "t");
	if (mq_mkdirs(dir) || mq_run_load_prior(run, 0))
		return -1;
	run->seed_base = run->seed;
	run->man.status = "running";
	run->man.seed = run->seed;
	run->writable = !run->prior.present;
	return mq_run_flush(run, 1);
}

static int params(mq_run *run, int n)
{
	json_t *p = json_pack("{s:i, s:o, s:[s]}", "n", n, "cap", mq_jv_inf(0), "f", "e4m3");
	int rc = mq_run_set_params(run, p);
	json_decref(p);
	return rc;
}

/* The grid; cells up to `stop` (3: all) run, each writing one row
 * a=k, x=10k.  Returns the cells this process ran. */
static int grid(mq_run *run, size_t stop)
{
	if (mq_run_ready(run) || mq_run_grid_begin(run, axes, 1, keys, seeds, 3))
		return -1;
	mq_results *r = mq_run_results(run, "t");
	int ran = 0;
	size_t c;
	while (r && (size_t)ran < stop && mq_run_next_cell(run, &c) == 1) {
		mq_run_cell_begin(run, c);
		char a[8], x[8];
		snprintf(a, sizeof a, "%zu", c + 1);
		snprintf(x, sizeof x, "%zu", 10 * (c + 1));
		const char *names[] = {"a", "x"}, *texts[] = {a, x};
		const size_t lens[] = {strlen(a), strlen(x)};
		if (mq_run_row(run, r, 2, names, texts, lens) != 1 || mq_run_cell_end(run, 1, NULL))
			return -1;
		ran++;
	}
	if ((size_t)ran == stop && stop < 3)
		return ran; /* stopped: no grid end, as a kill leaves it */
	mq_run_grid_end(run);
	return ran;
}

static char *slurp(const char *dir, const char *file)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	size_t len;
	return mq_read_all(path, &len);
}

static void want(const char *text, const char *part, const char *what)
{
	CHECK(text && strstr(text, part), "%s: no '%s' in:\n%s", what, part, text ? text : "(none)");
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "test_engine.out";
	char path[512];
	snprintf(path, sizeof path, "%s/manifest.json", dir);
	remove(path);
	snprintf(path, sizeof path, "%s/t.csv", dir);
	remove(path);

	/* stopped after two cells */
	mq_run run;
	int rc = start(&run, dir, 0);
	CHECK(rc == 0, "fresh start: %s", run.err);
	CHECK(params(&run, 2) == 0, "params: %s", run.err);
	CHECK(grid(&run, 2) == 2, "the first run ran other than 2 cells: %s", run.err);
	CHECK(mq_run_flush(&run, 1) == 0, "flush: %s", run.err);
	mq_run_free(&run);
	char *csv = slurp(dir, "t.csv"), *man = slurp(dir, "manifest.json");
	CHECK(csv && !strcmp(csv, "a,x\n1,10\n2,20\n"), "the stopped run's CSV:\n%s", csv);
	want(man, "\"params\": {\"cap\":1e999,\"f\":[\"e4m3\"],\"n\":2},", "stopped");
	want(man, "{\"cell\": \"a=2\", \"seed\": \"12\", \"status\": \"done\"", "stopped");
	/* the compact form (manifest.h): the cells reached, the rest as a count */
	want(man, "{\"axes\": [\"a\"], \"ncells\": 3, \"cells_fnv1a64\": \"", "stopped");
	CHECK(man && !strstr(man, "\"a=3\""), "stopped: pending cell a=3 listed:\n%s", man);
	want(man, "{\"name\": \"t.csv\", \"bytes\": 14, \"rows\": 2}", "stopped");
	free(csv);
	free(man);

	/* other params, then another grid: refused, the record left alone */
	rc = start(&run, dir, 1);
	CHECK(rc == 0, "resume start: %s", run.err);
	CHECK(params(&run, 3) == -1 && strstr(run.err, "differ"), "other params resumed: %s",
	      run.err);
	mq_run_free(&run);
	rc = start(&run, dir, 1);
	CHECK(rc == 0 && params(&run, 2) == 0, "resume: %s", run.err);
	const char *other[] = {"a=1", "a=2", "a=4"};
	CHECK(mq_run_grid_begin(&run, axes, 1, other, seeds, 3) == -1
	      && strstr(run.err, "grid 1 differs"), "another grid resumed: %s", run.err);
	mq_run_free(&run);

	/* resumed: only the third cell runs */
	rc = start(&run, dir, 1);
	CHECK(rc == 0 && run.prior.present, "resume: %s", run.err);
	CHECK(params(&run, 2) == 0, "resume params: %s", run.err);
	CHECK(grid(&run, 3) == 1, "the resumed run ran other than 1 cell: %s", run.err);
	run.man.status = "done";
	CHECK(mq_run_flush(&run, 1) == 0, "flush: %s", run.err);
	mq_run_free(&run);
	csv = slurp(dir, "t.csv");
	man = slurp(dir, "manifest.json");
	CHECK(csv && !strcmp(csv, "a,x\n1,10\n2,20\n3,30\n"), "the resumed run's CSV:\n%s", csv);
	want(man, "{\"cell\": \"a=3\", \"seed\": \"13\", \"status\": \"done\"", "resumed");
	want(man, "{\"name\": \"t.csv\", \"bytes\": 19, \"rows\": 3}", "resumed");
	want(man, "\"params\": {\"cap\":1e999,\"f\":[\"e4m3\"],\"n\":2},", "resumed");
	want(man, "\"resumed\": [\"", "resumed");
	want(man, "\"status\": \"done\",\n  \"error\": null,", "resumed");
	free(csv);
	free(man);
	return failures != 0;
}
