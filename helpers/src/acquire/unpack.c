/* SPDX-License-Identifier: MIT */
/* Compressed cores: systemd-coredump stores them as zstd (its default), lz4
 * or xz. Each is decompressed by its own library, streaming, into an
 * anonymous temporary file that nobody else can see and that vanishes with
 * us; zero pages (most of a core: untouched heap and stacks) become holes.
 * The core is then read from that file like any other. */
#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "unpack.h"

enum { CHUNK = 1 << 20, ZPAGE = 4096 };

struct sink {
	int fd;
	uint64_t off; /* bytes produced so far */
	int failed;   /* errno of a failed write, 0 when none */
};

static int write_full(int fd, const unsigned char *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		off += (uint64_t)w;
		n -= (size_t)w;
	}
	return 0;
}

static int all_zero(const unsigned char *p, size_t n)
{
	static const unsigned char zero[ZPAGE];
	return !memcmp(p, zero, n);
}

/* Appends n bytes, leaving whole pages of zeros as holes. */
static void sink_put(struct sink *s, const unsigned char *p, size_t n)
{
	const unsigned char *run = p; /* bytes to write, from here to p */
	uint64_t run_off = s->off;
	while (n) {
		size_t k = ZPAGE - (size_t)(s->off % ZPAGE);
		if (k > n)
			k = n;
		if (k == ZPAGE && all_zero(p, k)) {
			if (p > run && !s->failed)
				s->failed = write_full(s->fd, run, (size_t)(p - run), run_off);
			run = p + k;
			run_off = s->off + k;
		}
		p += k;
		s->off += k;
		n -= k;
	}
	if (p > run && !s->failed)
		s->failed = write_full(s->fd, run, (size_t)(p - run), run_off);
}

static int read_some(int fd, unsigned char *buf, size_t cap, size_t *got)
{
	for (;;) {
		ssize_t n = read(fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		*got = (size_t)n;
		return 0;
	}
}

static int unzstd(int in, struct sink *s, struct pyx_unpacked *u, unsigned char *ibuf,
		  unsigned char *obuf)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	if (!dctx)
		return -ENOMEM;
	/* Frames written with --long (window up to 2 GiB) are accepted. */
	ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, 31);
	size_t ret = 1, got = 0;
	int rc = 0;
	while (!s->failed) {
		if (read_some(in, ibuf, CHUNK, &got) < 0) {
			rc = -errno;
			break;
		}
		if (!got)
			break;
		ZSTD_inBuffer ib = {ibuf, got, 0};
		while (ib.pos < ib.size && !s->failed) {
			ZSTD_outBuffer ob = {obuf, CHUNK, 0};
			ret = ZSTD_decompressStream(dctx, &ob, &ib);
			if (ZSTD_isError(ret)) {
				u->cut = 1;
				snprintf(u->cut_msg, sizeof u->cut_msg, "zstd: %s",
					 ZSTD_getErrorName(ret));
				goto out;
			}
			sink_put(s, obuf, ob.pos);
		}
	}
	if (!rc && ret != 0 && !u->cut) {
		u->cut = 1;
		snprintf(u->cut_msg, sizeof u->cut_msg, "the zstd stream ends early");
	}
out:
	ZSTD_freeDCtx(dctx);
	return rc;
}

static int unlz4(int in, struct sink *s, struct pyx_unpacked *u, unsigned char *ibuf,
		 unsigned char *obuf)
{
	LZ4F_dctx *dctx = NULL;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
		return -ENOMEM;
	size_t ret = 1, got = 0;
	int rc = 0;
	while (!s->failed) {
		if (read_some(in, ibuf, CHUNK, &got) < 0) {
			rc = -errno;
			break;
		}
		if (!got)
			break;
		size_t pos = 0;
		while (pos < got && !s->failed) {
			size_t osize = CHUNK, isize = got - pos;
			ret = LZ4F_decompress(dctx, obuf, &osize, ibuf + pos, &isize, NULL);
			if (LZ4F_isError(ret)) {
				u->cut = 1;
				snprintf(u->cut_msg, sizeof u->cut_msg, "lz4: %s",
					 LZ4F_getErrorName(ret));
				goto out;
			}
			sink_put(s, obuf, osize);
			pos += isize;
		}
	}
	/* The frame may still hold output for an empty input. */
	for (int i = 0; !rc && !u->cut && ret != 0 && i < 1 << 20 && !s->failed; i++) {
		size_t osize = CHUNK, isize = 0;
		ret = LZ4F_decompress(dctx, obuf, &osize, NULL, &isize, NULL);
		if (LZ4F_isError(ret) || osize == 0)
			break;
		sink_put(s, obuf, osize);
	}
	if (!rc && ret != 0 && !u->cut) {
		u->cut = 1;
		snprintf(u->cut_msg, sizeof u->cut_msg, "the lz4 stream ends early");
	}
out:
	LZ4F_freeDecompressionContext(dctx);
	return rc;
}

static int unxz(int in, struct sink *s, struct pyx_unpacked *u, unsigned char *ibuf,
		unsigned char *obuf)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	if (lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
		return -ENOMEM;
	lzma_action action = LZMA_RUN;
	lzma_ret ret = LZMA_OK;
	int rc = 0;
	strm.next_out = obuf;
	strm.avail_out = CHUNK;
	while (!s->failed) {
		if (strm.avail_in == 0 && action == LZMA_RUN) {
			size_t got = 0;
			if (read_some(in, ibuf, CHUNK, &got) < 0) {
				rc = -errno;
				break;
			}
			strm.next_in = ibuf;
			strm.avail_in = got;
			if (!got)
				action = LZMA_FINISH;
		}
		ret = lzma_code(&strm, action);
		if (strm.avail_out == 0 || ret == LZMA_STREAM_END) {
			sink_put(s, obuf, CHUNK - strm.avail_out);
			strm.next_out = obuf;
			strm.avail_out = CHUNK;
		}
		if (ret == LZMA_STREAM_END)
			break;
		if (ret != LZMA_OK) {
			u->cut = 1;
			snprintf(u->cut_msg, sizeof u->cut_msg, "xz: %s",
				 ret == LZMA_BUF_ERROR ? "the stream ends early" : "corrupt data");
			sink_put(s, obuf, CHUNK - strm.avail_out);
			break;
		}
	}
	lzma_end(&strm);
	return rc;
}

/* An unlinked file in $TMPDIR, or memory. */
static int temp_file(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = memfd_create("pyxray-core", MFD_CLOEXEC);
	return fd;
}

static const char *sniff(const unsigned char *m, size_t n)
{
	if (n >= 4 && !memcmp(m, "\x28\xb5\x2f\xfd", 4))
		return "zstd";
	if (n >= 4 && !memcmp(m, "\x04\x22\x4d\x18", 4))
		return "lz4";
	if (n >= 6 && !memcmp(m,
			      "\xfd"
			      "7zXZ\0",
			      6))
		return "xz";
	return NULL;
}

int pyx_unpack_open(const char *path, struct pyx_unpacked *u, struct pyx_error *err)
{
	struct stat st;
	unsigned char magic[6];
	memset(u, 0, sizeof *u);
	u->fd = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return pyx_error_set(err,
				     errno == ENOENT   ? PYX_E_NOT_FOUND
				     : errno == EACCES ? PYX_E_PERM
						       : PYX_E_OS,
				     errno, 0, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pyx_error_set(err, PYX_E_INVALID, 0, 0, "%s is not a regular file", path);
	}
	ssize_t n = pread(fd, magic, sizeof magic, 0);
	const char *format = n > 0 ? sniff(magic, (size_t)n) : NULL;
	if (!format) {
		u->fd = fd;
		return 0;
	}
	int out = temp_file();
	unsigned char *ibuf = malloc(CHUNK), *obuf = malloc(CHUNK);
	int rc = 0;
	if (out < 0 || !ibuf || !obuf) {
		rc = pyx_error_set(err, out < 0 ? PYX_E_OS : PYX_E_NOMEM, errno, 0,
				   "cannot make a temporary file to decompress %s: %s", path,
				   strerror(errno));
		goto out;
	}
	struct sink s = {.fd = out};
	int lrc = !strcmp(format, "zstd")  ? unzstd(fd, &s, u, ibuf, obuf)
		  : !strcmp(format, "lz4") ? unlz4(fd, &s, u, ibuf, obuf)
					   : unxz(fd, &s, u, ibuf, obuf);
	if (!s.failed && ftruncate(out, (off_t)s.off) < 0)
		s.failed = errno;
	if (lrc < 0 || s.failed) {
		int e = s.failed ? s.failed : -lrc;
		rc = pyx_error_set(err, e == ENOMEM ? PYX_E_NOMEM : PYX_E_OS, e, 0,
				   "cannot decompress %s (%s) into $TMPDIR: %s", path, format,
				   strerror(e));
		goto out;
	}
	u->fd = out;
	u->format = format;
	out = -1;
out:
	free(ibuf);
	free(obuf);
	if (out >= 0)
		close(out);
	close(fd);
	return rc;
}
