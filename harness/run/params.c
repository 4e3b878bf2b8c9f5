/* params.c: the --set list (see params.h). */
#include "params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mq_set_add(mq_setlist *l, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg) {
		snprintf(err, errlen, "--set '%s': expected key=value", arg);
		return -1;
	}
	size_t klen = (size_t)(eq - arg);
	for (size_t i = 0; i < l->n; i++) {
		if (strlen(l->v[i].key) == klen && !memcmp(l->v[i].key, arg, klen)) {
			char *v = malloc(strlen(eq + 1) + 1);
			if (!v)
				goto nomem;
			strcpy(v, eq + 1);
			free(l->v[i].value);
			l->v[i].value = v;
			return 0;
		}
	}
	mq_set *v = realloc(l->v, (l->n + 1) * sizeof *v);
	if (!v)
		goto nomem;
	l->v = v;
	char *key = malloc(klen + 1), *val = malloc(strlen(eq + 1) + 1);
	if (!key || !val) {
		free(key);
		free(val);
		goto nomem;
	}
	memcpy(key, arg, klen);
	key[klen] = 0;
	strcpy(val, eq + 1);
	l->v[l->n].key = key;
	l->v[l->n].value = val;
	l->n++;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

void mq_set_free(mq_setlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
