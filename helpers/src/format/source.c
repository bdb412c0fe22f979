/* SPDX-License-Identifier: MIT */
/* Source lines of the files a target names: the line under each frame in
 * the text report, py-list's listing and the TUI window's source part.
 * co_filename is target data, so a file is read only when it is a regular
 * file of bounded size, and its text goes through the one escaper. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pyxray/frontend.h>

#include "../util/fmt.h"
#include "source.h"

/* A file name quoted in a message: bytes of it escaped, bytes shown. */
enum { PATH_QUOTED_MAX = 200, PATH_SHOWN_MAX = 280 };

void pyx_source_cache_deinit(struct pyx_source_cache *c)
{
	free(c->path);
	free(c->text);
	memset(c, 0, sizeof *c);
}

static int read_file(const char *path, char **text, size_t *len)
{
	struct stat st;
	int rc = -PYX_E_NOT_FOUND;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return rc;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto out;
	rc = -PYX_E_LIMIT;
	if (st.st_size > PYX_SOURCE_FILE_MAX)
		goto out;
	rc = -PYX_E_NOMEM;
	size_t size = (size_t)st.st_size, got = 0;
	char *buf = malloc(size + 1);
	if (!buf)
		goto out;
	/* A file that shrinks meanwhile is read as far as it goes. */
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	rc = 0;
out:
	close(fd);
	return rc;
}

int pyx_source_load(struct pyx_source_cache *c, const char *path)
{
	if (c->path && !strcmp(c->path, path))
		return c->error ? -c->error : 0;
	free(c->path);
	free(c->text);
	c->text = NULL;
	c->len = 0;
	c->path = strdup(path);
	if (!c->path) {
		c->error = PYX_E_NOMEM;
		return -PYX_E_NOMEM;
	}
	int rc = read_file(path, &c->text, &c->len);
	c->error = -rc;
	return rc;
}

const char *pyx_source_get_line(const struct pyx_source_cache *c, int line, size_t *len)
{
	if (!c->text || line <= 0)
		return NULL;
	const char *p = c->text, *end = p + c->len;
	for (int i = 1; i < line && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	if (p >= end)
		return NULL;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl ? nl : end) - p);
	if (*len && p[*len - 1] == '\r')
		(*len)--;
	return p;
}

void pyx_source_write(struct pyx_out *o, const char *text, size_t len, size_t col)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		size_t n = (size_t)((tab ? tab : end) - p);
		pyx_out_textn(o, p, n);
		col += n;
		if (!tab)
			break;
		do
			pyx_out_putc(o, ' ');
		while (++col % 8);
		p = tab + 1;
	}
}

static void listing(struct pyx_out *o, struct pyx_source_cache *c, int first, int last, int mark)
{
	for (int n = first; n <= last && n - first < PYX_SOURCE_LINES_MAX; n++) {
		size_t len;
		const char *text = pyx_source_get_line(c, n, &len);
		if (!text)
			break;
		char num[16];
		pyx_snprintf(num, sizeof num, "%s%d", n == mark ? ">" : "", n);
		pyx_out_printf(o, "%4s    ", num);
		int cut = len > PYX_SOURCE_LINE_MAX;
		pyx_source_write(o, text, cut ? PYX_SOURCE_LINE_MAX : len, 0);
		pyx_out_puts(o, cut ? "...\n" : "\n");
	}
}

int pyx_format_source(const char *path, int first, int last, int mark, char **out,
		      struct pyx_error *err)
{
	if (!path || first < 1 || last < first)
		return pyx_error_set(err, PYX_E_INVALID, 0, 0, "bad line range %d,%d", first, last);
	struct pyx_source_cache c = {0};
	int rc = pyx_source_load(&c, path);
	if (rc == -PYX_E_NOT_FOUND) {
		/* The name is target data: bounded (cut at a character) and
		 * written through the one escaper. */
		size_t n = strnlen(path, PATH_QUOTED_MAX);
		while (path[n] && n && ((unsigned char)path[n] & 0xc0) == 0x80)
			n--;
		struct pyx_out q;
		pyx_out_init_mem(&q);
		pyx_out_textn(&q, path, n);
		int ok = pyx_out_finish(&q, NULL) == 0, cut = path[n] != '\0';
		if (ok && q.mem_len > PATH_SHOWN_MAX) {
			size_t keep = PATH_SHOWN_MAX;
			while (keep && ((unsigned char)q.mem[keep] & 0xc0) == 0x80)
				keep--;
			q.mem[keep] = '\0';
			cut = 1;
		}
		rc = pyx_error_set(err, PYX_E_NOT_FOUND, 0, 0,
				   "Unable to read %s%s: not a readable regular file",
				   ok ? q.mem : "the file", ok && cut ? "..." : "");
		free(q.mem);
		goto done;
	}
	if (rc == -PYX_E_LIMIT) {
		rc = pyx_error_set(err, PYX_E_LIMIT, 0, 0, "the source file is larger than %d bytes",
				   PYX_SOURCE_FILE_MAX);
		goto done;
	}
	if (rc < 0) {
		rc = pyx_error_set(err, PYX_E_NOMEM, ENOMEM, 0, "out of memory");
		goto done;
	}
	struct pyx_out o;
	pyx_out_init_mem(&o);
	listing(&o, &c, first, last, mark);
	rc = pyx_out_finish(&o, err);
	if (rc < 0)
		free(o.mem);
	else
		*out = o.mem;
done:
	pyx_source_cache_deinit(&c);
	return rc;
}
