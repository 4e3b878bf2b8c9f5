/* replay.c: run a fuzz target's LLVMFuzzerTestOneInput over files and
 * folders of files (the corpus), without libFuzzer, so that the normal
 * build (and its ASan/UBSan variant) checks every corpus input on every
 * test run.  A crash or sanitizer report fails the test; so does an
 * unreadable or empty corpus.
 *
 * usage: replay_TARGET PATH...   (a PATH is a file or a folder of files) */
#define _POSIX_C_SOURCE 200809L /* opendir */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	size_t cap = 4096, len = 0, r;
	uint8_t *b = malloc(cap);
	while (b && (r = fread(b + len, 1, cap - len, f)) > 0) {
		len += r;
		if (len == cap) {
			uint8_t *nb = realloc(b, cap *= 2);
			if (!nb)
				free(b);
			b = nb;
		}
	}
	int bad = !b || ferror(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(b);
		return 1;
	}
	/* an exact-size copy, so that ASan sees a read one past the input */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(b);
		return 1;
	}
	memcpy(exact, b, len);
	free(b);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	count++;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay(const char *path)
{
	struct stat st;
	if (stat(path, &st)) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	DIR *d = opendir(path);
	if (!d) {
		perror(path);
		return 1;
	}
	/* sorted, so that a failure names the same input on every machine */
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	int bad = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char **nn = realloc(names, (n + 1) * sizeof *names);
		size_t l = strlen(path) + strlen(e->d_name) + 2;
		if (!nn || !(nn[n] = malloc(l))) {
			names = nn ? nn : names;
			bad = 1;
			break;
		}
		names = nn;
		snprintf(names[n++], l, "%s/%s", path, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp);
	for (size_t i = 0; i < n; i++) {
		bad |= replay(names[i]);
		free(names[i]);
	}
	free(names);
	return bad;
}

int main(int argc, char **argv)
{
	int bad = 0;
	for (int i = 1; i < argc; i++)
		bad |= replay(argv[i]);
	printf("%s: replayed %d inputs\n", argv[0], count);
	if (!count) {
		fprintf(stderr, "%s: no inputs\n", argv[0]);
		return 1;
	}
	return bad;
}
