/* SPDX-License-Identifier: MIT */
/* Targets: where a snapshot's process comes from. One interface over a live
 * process (by pid), a core file, a host's reader (GDB for cores and remote
 * targets) and the calling process itself (the stub): each gives the
 * decoder its memory, mapped objects, threads and identity, and may be
 * stopped while it is read. A snapshot takes ownership of the targets it is
 * given (see <pyxray/snapshot.h>). */
#ifndef PYXRAY_TARGET_H
#define PYXRAY_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pyxray/error.h>
#include <pyxray/memsrc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where a target's interpreter lives: relocated addresses of the symbols the
 * decoder starts from. Found from the mapped ELF files, or given by a host
 * such as GDB from its own symbol lookup. */
struct pyx_python_syms {
	uint64_t runtime;	 /* _PyRuntime (3.7+), 0 when absent */
	uint64_t py_version;	 /* Py_Version (3.11+), 0 when absent */
	uint64_t tstate_current; /* _PyThreadState_Current (3.6), 0 when absent */
	uint64_t interp_head;	 /* the static interp_head variable (3.6), 0 when absent */
	uint64_t interp_head_fn; /* PyInterpreterState_Head (3.6), when interp_head is not
				    known: its one load instruction gives interp_head */
	uint32_t version_hex;	 /* when known without Py_Version: major.minor only (low
				    16 bits zero), else 0: readers then take it from the
				    file names of path and the executable */
	const char *path;	 /* the executable or library that holds them */
	uint64_t asyncio_debug;	 /* 3.14+: the _asyncio module's offsets table (the
				    .AsyncioDebug section, symbol _AsyncioDebug or
				    _Py_AsyncioDebug), 0 when unknown */
	uint64_t asyncio_debug_size; /* its size in bytes, 0 when unknown */
};

/* Identity of a process whose memory comes from a host reader (cores,
 * remote targets): what /proc would say for a live pid. */
struct pyx_process_info {
	pid_t pid, ppid;
	const char *executable;
	const char *const *argv;
	size_t argc;
	const pid_t *tids;	/* the process's threads (LWPs), NULL allowed: before 3.11
				   CPython keeps no native thread id, and these map its
				   thread ids (pthread_t) to LWPs */
	size_t ntids;
};

struct pyx_target;

/* A live process by pid, read through /proc/PID/mem (process_vm_readv
 * where that cannot be opened). Reads /proc (status, threads, argv) now,
 * its maps when the interpreter is looked for. -PYX_E_NO_PROCESS,
 * -PYX_E_PERM, -PYX_E_EXITED (a zombie), -PYX_E_INVALID (a kernel thread:
 * it has no user memory). */
int pyx_target_open_pid(pid_t pid, struct pyx_target **out, struct pyx_error *err);

/* A host's reader: memory through fn(ctx, ...), the interpreter's symbols
 * as the host knows them, identity from info (NULL allowed). fn and ctx
 * must stay valid as long as the target (and a snapshot that keeps it). */
int pyx_target_open_reader(pyx_memsrc_read_fn fn, void *ctx, const struct pyx_python_syms *syms,
			   const struct pyx_process_info *info, struct pyx_target **out,
			   struct pyx_error *err);

/* Where a core's files are found, and whether to trust files that differ
 * from the ones the process had mapped. */
struct pyx_core_opts {
	const char *sysroot;	/* each file the core names is opened under this folder
				   (DIR + path); NULL: where the core says */
	const char *exe;	/* the executable's copy; NULL: where the core says */
	int force;		/* use files whose build-id differs from the core's */
};

/* A core file (kernel or GDB's gcore; zstd, lz4 or xz compressed too): its
 * memory (PT_LOAD, and from the mapped files what it left out), threads
 * (NT_PRSTATUS), identity (NT_PRPSINFO, the argv on its stack), mapped files
 * (NT_FILE) and the fatal signal (NT_SIGINFO). What is wrong but not fatal
 * (a file missing or of another build, a cut core) becomes the target's
 * warnings, shown with its snapshot. opts NULL: defaults. -PYX_E_NOT_FOUND,
 * -PYX_E_PERM, -PYX_E_INVALID (not a core file), -PYX_E_BAD_DATA (a core
 * without the notes that describe its process), -PYX_E_NOMEM, -PYX_E_OS. */
int pyx_target_open_core(const char *path, const struct pyx_core_opts *opts,
			 struct pyx_target **out, struct pyx_error *err);

/* Whether the executable exe is the one that made the core: 0 when it is
 * (or when the core cannot tell), else -PYX_E_INVALID with a message naming
 * the core's executable and how the two differ (build-ids from the core's
 * copy of its ELF header and from the file; paths when the core has no
 * build-id). Other errors opening either file are returned as they are. */
int pyx_core_check_exe(const char *core, const char *exe, struct pyx_error *err);

/* NULL allowed. Resumes the target first if it is still stopped. */
void pyx_target_close(struct pyx_target *t);

#ifdef __cplusplus
}
#endif
#endif
