/* manifest.c: the run record, DIR/manifest.json (see manifest.h). */
#define _GNU_SOURCE /* dladdr (which library provides the BLAS); popen, gmtime_r */
#include "manifest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dlfcn.h>
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_version.h>

#include "buf.h"
#include "jv.h"
#include "rows.h"

/* OpenBLAS reports its version and build at run time.  The symbol is weak so
 * that the harness links whether or not the kernels pull OpenBLAS in (they
 * may use another BLAS); when absent the manifest says so. */
extern char *openblas_get_config(void) __attribute__((weak));

void mq_utc_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, 32, "unknown");
}

/* Run a command, keep the first line of its output (or "" on failure). */
static int first_line(const char *cmd, char *out, size_t len)
{
	out[0] = 0;
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	int got = fgets(out, (int)len, p) != NULL;
	char sink[256];
	while (fgets(sink, sizeof sink, p))
		; /* drain so the child does not die of SIGPIPE */
	int rc = pclose(p);
	out[strcspn(out, "\r\n")] = 0;
	return rc == 0 && got ? 0 : rc == 0 ? 1 : -1;
}

/* dir quoted for sh: '...' with each ' written '\'' */
static void shell_quote(mq_buf *b, const char *s)
{
	mq_buf_char(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			mq_buf_str(b, "'\\''");
		else
			mq_buf_char(b, *s);
	}
	mq_buf_char(b, '\'');
}

static void probe_git(mq_manifest *m, const char *dir)
{
	mq_buf cmd = MQ_BUF_INIT;
	m->git_dirty = -1;
	snprintf(m->git_rev, sizeof m->git_rev, "unknown");
	mq_buf_str(&cmd, "git -C ");
	shell_quote(&cmd, dir);
	size_t base = cmd.len;
	mq_buf_str(&cmd, " rev-parse HEAD 2>/dev/null");
	char line[256];
	if (mq_buf_ok(&cmd) && first_line(cmd.p, line, sizeof line) == 0 && line[0]) {
		snprintf(m->git_rev, sizeof m->git_rev, "%.63s", line);
		/* dirty: tracked files differ from HEAD (untracked results do not
		 * make a checkout dirty) */
		mq_buf_truncate(&cmd, base);
		mq_buf_str(&cmd, " status --porcelain --untracked-files=no 2>/dev/null");
		int rc = mq_buf_ok(&cmd) ? first_line(cmd.p, line, sizeof line) : -1;
		m->git_dirty = rc < 0 ? -1 : rc == 0 && line[0] ? 1 : 0;
	}
	mq_buf_free(&cmd);
}

static void probe_cpu(mq_manifest *m)
{
	snprintf(m->cpu, sizeof m->cpu, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof line, f)) {
			if (!strncmp(line, "model name", 10)) {
				char *v = strchr(line, ':');
				if (v) {
					v++;
					while (*v == ' ' || *v == '\t')
						v++;
					v[strcspn(v, "\r\n")] = 0;
					snprintf(m->cpu, sizeof m->cpu, "%.127s", v);
				}
				break;
			}
		}
		fclose(f);
	}
	m->cores = sysconf(_SC_NPROCESSORS_ONLN);
	mq_hostname(m->host, sizeof m->host);
}

void mq_hostname(char *out, size_t len)
{
	if (gethostname(out, len) || !out[0])
		snprintf(out, len, "unknown");
	out[len - 1] = 0;
}

void mq_file_hash(const char *path, char out[24])
{
	out[0] = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned char buf[65536];
	size_t got;
	while ((got = fread(buf, 1, sizeof buf, f)) > 0)
		for (size_t i = 0; i < got; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
	if (!ferror(f))
		snprintf(out, 24, "%016" PRIx64, h);
	fclose(f);
}

void mq_manifest_probe(mq_manifest *m, const char *script_dir)
{
	probe_git(m, script_dir);
	probe_cpu(m);
	mq_utc_now(m->start);
	m->end[0] = 0;
}

static char *dupstr(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

uint64_t mq_cells_hash(const char *const *keys, const uint64_t *seeds, size_t ncells)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char seed[24];
	for (size_t c = 0; c < ncells; c++) {
		snprintf(seed, sizeof seed, "%" PRIu64, seeds[c]);
		const char *parts[2] = {keys[c], seed};
		for (int k = 0; k < 2; k++)
			for (const unsigned char *p = (const unsigned char *)parts[k];; p++) {
				h = (h ^ *p) * 0x100000001b3ull;
				if (!*p)
					break;
			}
	}
	return h;
}

/* A new grid of ncells pending cells, no keys yet. */
static mq_grid *new_grid(mq_manifest *m, const char *const *axes, size_t naxes, size_t ncells)
{
	mq_grid *g = realloc(m->grids, (m->ngrids + 1) * sizeof *g);
	if (!g)
		return NULL;
	m->grids = g;
	g = &m->grids[m->ngrids];
	memset(g, 0, sizeof *g);
	m->ngrids++; /* counted now so that mq_manifest_free frees a partial grid */
	g->axes = calloc(naxes ? naxes : 1, sizeof *g->axes);
	g->cells = calloc(ncells ? ncells : 1, sizeof *g->cells);
	if (!g->axes || !g->cells)
		return NULL;
	for (; g->naxes < naxes; g->naxes++)
		if (!(g->axes[g->naxes] = dupstr(axes[g->naxes])))
			return NULL;
	for (; g->ncells < ncells; g->ncells++) {
		g->cells[g->ncells].status = MQ_CELL_PENDING;
		g->cells[g->ncells].rank = -1;
	}
	return g;
}

mq_status mq_manifest_fill_keys(mq_grid *g, const char *const *keys, const uint64_t *seeds)
{
	for (size_t c = 0; c < g->ncells; c++)
		if (!g->cells[c].key && mq_manifest_set_cell(g, c, keys[c], seeds[c]))
			return MQ_ENOMEM;
	g->keys_known = 1;
	return MQ_OK;
}

mq_status mq_manifest_set_cell(mq_grid *g, size_t c, const char *key, uint64_t seed)
{
	char *k = dupstr(key);
	if (!k)
		return MQ_ENOMEM;
	free(g->cells[c].key);
	g->cells[c].key = k;
	g->cells[c].seed = seed;
	return MQ_OK;
}

mq_status mq_manifest_add_grid(mq_manifest *m, const char *const *axes, size_t naxes,
                               const char *const *keys, const uint64_t *seeds,
                               size_t ncells, size_t *index)
{
	mq_grid *g = new_grid(m, axes, naxes, ncells);
	if (!g || mq_manifest_fill_keys(g, keys, seeds))
		return MQ_ENOMEM;
	g->hash = mq_cells_hash(keys, seeds, ncells);
	*index = m->ngrids - 1;
	return MQ_OK;
}

mq_status mq_manifest_add_compact(mq_manifest *m, const char *const *axes, size_t naxes,
                                  size_t ncells, uint64_t hash, size_t *index)
{
	mq_grid *g = new_grid(m, axes, naxes, ncells);
	if (!g)
		return MQ_ENOMEM;
	g->hash = hash;
	*index = m->ngrids - 1;
	return MQ_OK;
}

static void str_or_null(mq_buf *b, const char *s)
{
	if (s)
		mq_json_string(b, s, strlen(s));
	else
		mq_buf_str(b, "null");
}

static const char *const cell_status[] = {"pending", "running", "done", "failed"};

/* The shared library that cblas_dgemm resolved to: several provide it
 * (OpenBLAS, GSL's reference gslcblas), and which one the linker picked
 * decides the speed of the reference products. */
static const char *blas_library(void)
{
	Dl_info info;
	if (dladdr((void *)cblas_dgemm, &info) && info.dli_fname) {
		const char *s = strrchr(info.dli_fname, '/');
		return s ? s + 1 : info.dli_fname;
	}
	return NULL;
}

static void render(mq_buf *b, const mq_manifest *m, mq_results *const *files, size_t nfiles)
{
	const char *blas = openblas_get_config ? openblas_get_config() : NULL;
	mq_buf_str(b, "{\n  \"metriq_manifest\": 1,\n  \"script\": ");
	str_or_null(b, m->script);
	mq_buf_str(b, ",\n  \"name\": ");
	str_or_null(b, m->name);
	mq_buf_str(b, ",\n  \"script_fnv1a64\": ");
	str_or_null(b, m->script_hash[0] ? m->script_hash : NULL);
	mq_buf_str(b, ",\n  \"command\": ");
	str_or_null(b, m->command);
	mq_buf_str(b, ",\n  \"params\": ");
	mq_buf_str(b, m->params_json ? m->params_json : "null");
	mq_buf_str(b, ",\n  \"set\": ");
	mq_buf_str(b, m->set_json ? m->set_json : "{}");
	mq_buf_printf(b, ",\n  \"seed\": \"%" PRIu64 "\",\n  \"threads\": %d,\n", m->seed, m->threads);
	if (m->extra)
		mq_buf_str(b, m->extra);
	mq_buf_str(b, "  \"git\": {\"revision\": ");
	str_or_null(b, m->git_rev);
	mq_buf_printf(b, ", \"dirty\": %s},\n",
	              m->git_dirty < 0 ? "null" : m->git_dirty ? "true" : "false");
	mq_buf_str(b, "  \"machine\": {\"cpu\": ");
	str_or_null(b, m->cpu);
	mq_buf_printf(b, ", \"cores\": %ld, \"host\": ", m->cores);
	str_or_null(b, m->host[0] ? m->host : NULL);
	mq_buf_str(b, "},\n");
	mq_buf_str(b, "  \"libraries\": {");
	if (m->binding) {
		str_or_null(b, m->binding);
		mq_buf_str(b, ": ");
		str_or_null(b, m->binding_version);
		mq_buf_str(b, ", ");
	}
	mq_buf_str(b, "\"gsl\": ");
	str_or_null(b, gsl_version);
	mq_buf_str(b, ", \"openblas\": ");
	str_or_null(b, blas);
	mq_buf_str(b, ", \"cblas_dgemm\": ");
	str_or_null(b, blas_library());
	mq_buf_str(b, "},\n  \"start\": ");
	str_or_null(b, m->start);
	mq_buf_str(b, ",\n  \"end\": ");
	str_or_null(b, m->end[0] ? m->end : NULL);
	mq_buf_str(b, ",\n  \"resumed\": ");
	mq_buf_str(b, m->resumed ? m->resumed : "[]");
	mq_buf_str(b, ",\n  \"status\": ");
	str_or_null(b, m->status);
	mq_buf_str(b, ",\n  \"error\": ");
	str_or_null(b, m->error);
	mq_buf_str(b, ",\n  \"files\": [");
	size_t listed = 0;
	for (size_t i = 0; i < nfiles; i++) {
		if (!files[i]->flushed)
			continue; /* nothing on disk yet */
		mq_buf_str(b, listed++ ? ",\n    {\"name\": " : "\n    {\"name\": ");
		mq_buf_str(b, "\"");
		mq_buf_str(b, files[i]->name); /* names are [A-Za-z0-9_.-] */
		mq_buf_printf(b, ".csv\", \"bytes\": %zu, \"rows\": %zu}", files[i]->flushed,
		              files[i]->rows);
	}
	mq_buf_str(b, listed ? "\n  ],\n" : "],\n");
	mq_buf_printf(b, "  \"loose_rows\": %zu,\n", m->loose_rows);
	if (m->keep_loose) {
		mq_buf_str(b, "  \"loose\": ");
		mq_rows_json(b, m->loose.p, m->loose.len, 1);
		mq_buf_str(b, ",\n");
	}
	mq_buf_str(b, "  \"grids\": [");
	for (size_t i = 0; i < m->ngrids; i++) {
		const mq_grid *g = &m->grids[i];
		mq_buf_str(b, i ? ",\n    {\"axes\": [" : "\n    {\"axes\": [");
		for (size_t a = 0; a < g->naxes; a++) {
			if (a)
				mq_buf_str(b, ", ");
			str_or_null(b, g->axes[a]);
		}
		/* the compact form (manifest.h) but for a shard, whose every cell
		 * merge reads */
		int compact = !m->keep_loose;
		if (compact)
			mq_buf_printf(b, "], \"ncells\": %zu, \"cells_fnv1a64\": \"%016" PRIx64 "\"",
			              g->ncells, g->hash);
		else
			mq_buf_str(b, "]");
		mq_buf_str(b, ", \"cells\": [");
		size_t listed = 0;
		for (size_t c = 0; c < g->ncells; c++) {
			const mq_cell *cl = &g->cells[c];
			if (compact && cl->status == MQ_CELL_PENDING)
				continue;
			mq_buf_str(b, listed++ ? ",\n      {" : "\n      {");
			mq_buf_str(b, "\"cell\": ");
			str_or_null(b, cl->key);
			mq_buf_printf(b, ", \"seed\": \"%" PRIu64 "\", \"status\": \"%s\"", cl->seed,
			              cell_status[cl->status]);
			if (cl->status == MQ_CELL_DONE || cl->status == MQ_CELL_FAILED)
				mq_buf_printf(b, ", \"seconds\": %.6f", cl->seconds);
			if (compact) /* after these: a cell's text starts as in the full form */
				mq_buf_printf(b, ", \"index\": %zu", c);
			if (cl->rank >= 0)
				mq_buf_printf(b, ", \"%s\": %ld", m->cell_by ? m->cell_by : "rank", cl->rank);
			if (cl->held) {
				mq_buf_str(b, ", \"rows\": ");
				mq_rows_json(b, cl->rows.p, cl->rows.len, 0);
			}
			mq_buf_char(b, '}');
		}
		mq_buf_str(b, listed ? "\n    ]}" : "]}");
	}
	mq_buf_str(b, m->ngrids ? "\n  ]\n}\n" : "]\n}\n");
}

mq_status mq_manifest_write(const mq_manifest *m, const char *dir,
                            mq_results *const *files, size_t nfiles, char *err,
                            size_t errlen)
{
	mq_buf b = MQ_BUF_INIT, tmp = MQ_BUF_INIT, dst = MQ_BUF_INIT;
	mq_status s = MQ_OK;
	render(&b, m, files, nfiles);
	mq_buf_printf(&tmp, "%s/manifest.json.tmp", dir);
	mq_buf_printf(&dst, "%s/manifest.json", dir);
	if (!mq_buf_ok(&b) || !mq_buf_ok(&tmp) || !mq_buf_ok(&dst)) {
		snprintf(err, errlen, "manifest: out of memory");
		s = MQ_ENOMEM;
		goto out;
	}
	FILE *f = fopen(tmp.p, "wb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp.p, strerror(errno));
		s = MQ_EIO;
		goto out;
	}
	size_t w = fwrite(b.p, 1, b.len, f);
	int e = w == b.len ? 0 : errno ? errno : EIO;
	if (fclose(f) && !e)
		e = errno ? errno : EIO;
	if (e) {
		snprintf(err, errlen, "%s: %s", tmp.p, strerror(e));
		remove(tmp.p);
		s = MQ_EIO;
	} else if (rename(tmp.p, dst.p)) {
		snprintf(err, errlen, "rename %s: %s", tmp.p, strerror(errno));
		remove(tmp.p);
		s = MQ_EIO;
	}
out:
	mq_buf_free(&b);
	mq_buf_free(&tmp);
	mq_buf_free(&dst);
	return s;
}

void mq_manifest_free(mq_manifest *m)
{
	for (size_t i = 0; i < m->ngrids; i++) {
		mq_grid *g = &m->grids[i];
		for (size_t a = 0; a < g->naxes; a++)
			free(g->axes[a]);
		for (size_t c = 0; c < g->ncells; c++) {
			free(g->cells[c].key);
			mq_buf_free(&g->cells[c].rows);
		}
		free(g->axes);
		free(g->cells);
	}
	free(m->grids);
	free(m->script);
	free(m->name);
	free(m->command);
	free(m->params_json);
	free(m->set_json);
	free(m->resumed);
	free(m->error);
	free(m->extra);
	mq_buf_free(&m->loose);
	memset(m, 0, sizeof *m);
}
