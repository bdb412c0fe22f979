/* SPDX-License-Identifier: MIT */
/* Finding an object's separate debug file, as GDB and elfutils do, but only
 * on local disk and only in the folders we are given: by build-id first
 * (DIR/.build-id/xx/rest.debug, what Debian's -dbg and -dbgsym packages
 * install), then by the .gnu_debuglink name (DIR/folder/of/object/link).
 * libdwfl's standard callback would also ask a debuginfod server when
 * DEBUGINFOD_URLS is set, which can wait on the network for minutes; a stack
 * dump must not. Nothing beside the object itself is read: that folder may
 * be the target's, and libdw maps the debug files it is given, where a file
 * truncated under it is a SIGBUS; the debug folders are trusted as GDB
 * trusts its debug-file-directory. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>
#include <gelf.h>
#include <libelf.h>

#include "unwind.h"

enum { PATH_MAX_LEN = 4096, BUILD_ID_MAX = 64 };

/* Whether the ELF file open on fd carries this build-id. */
static int has_build_id(int fd, const unsigned char *id, size_t len)
{
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL); /* pread: a truncated file is no SIGBUS */
	if (!elf)
		return 0;
	const void *bits = NULL;
	ssize_t n = dwelf_elf_gnu_build_id(elf, &bits);
	int same = n > 0 && (size_t)n == len && !memcmp(bits, id, len);
	elf_end(elf);
	return same;
}

static int open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The next folder of a colon-separated list into buf, advancing *cursor;
 * 0 at the end. Empty and overlong entries are skipped. */
static int next_dir(const char **cursor, char *buf, size_t size)
{
	while (*cursor && **cursor) {
		const char *p = *cursor;
		size_t n = strcspn(p, ":");
		*cursor = p[n] ? p + n + 1 : p + n;
		if (n && n < size) {
			memcpy(buf, p, n);
			while (n && buf[n - 1] == '/')
				n--; /* "/" is the root: paths are appended as "/..." */
			buf[n] = '\0';
			return 1;
		}
	}
	return 0;
}

static int try_build_id(const char *dir, const unsigned char *id, size_t len, char **path)
{
	char hex[2 * BUILD_ID_MAX + 1], file[PATH_MAX_LEN];
	if (len < 2 || len > BUILD_ID_MAX)
		return -1;
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	if (snprintf(file, sizeof file, "%s/.build-id/%.2s/%s.debug", dir, hex, hex + 2) >=
	    (int)sizeof file)
		return -1;
	int fd = open_regular(file);
	if (fd < 0)
		return -1;
	/* A stale file under the right name would give wrong symbols. */
	if (!has_build_id(fd, id, len) || !(*path = strdup(file))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A debuglink candidate: a regular file other than the object itself, with
 * the object's build-id (a link without one is not trusted). */
static int try_link(const char *file, const struct stat *object, const unsigned char *id,
		    size_t len, char **path)
{
	struct stat st;
	if (!len)
		return -1;
	int fd = open_regular(file);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 ||
	    (object && st.st_dev == object->st_dev && st.st_ino == object->st_ino) ||
	    !has_build_id(fd, id, len) || !(*path = strdup(file))) {
		close(fd);
		return -1;
	}
	return fd;
}

int pyx_debug_file_find(const char *dirs, const unsigned char *build_id, size_t build_id_len,
			const char *object_path, const char *debuglink, char **path)
{
	char dir[PATH_MAX_LEN], file[PATH_MAX_LEN], objdir[PATH_MAX_LEN];
	int fd;
	*path = NULL;
	elf_version(EV_CURRENT);
	if (!dirs)
		dirs = "/usr/lib/debug";
	const char *cur = dirs;
	while (build_id_len && next_dir(&cur, dir, sizeof dir))
		if ((fd = try_build_id(dir, build_id, build_id_len, path)) >= 0)
			return fd;
	if (!debuglink || !*debuglink || strchr(debuglink, '/') || !object_path)
		return -1;
	const char *slash = strrchr(object_path, '/');
	size_t n = slash ? (size_t)(slash - object_path) : 0;
	if (n >= sizeof objdir)
		return -1;
	memcpy(objdir, object_path, n);
	objdir[n] = '\0';
	struct stat object;
	int have_object = stat(object_path, &object) == 0;
	const struct stat *obj = have_object ? &object : NULL;
	cur = dirs;
	while (next_dir(&cur, dir, sizeof dir))
		if (snprintf(file, sizeof file, "%s%s/%s", dir, objdir, debuglink) <
			(int)sizeof file &&
		    (fd = try_link(file, obj, build_id, build_id_len, path)) >= 0)
			return fd;
	return -1;
}
