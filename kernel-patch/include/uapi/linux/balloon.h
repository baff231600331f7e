/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Application-level memory ballooning: user space ABI.
 *
 * A process registers itself with balloon_ctl(BALLOON_REGISTER, 0).  While
 * at least one process is registered the kernel's own reclaim (kswapd and
 * direct reclaim) does not write anonymous memory to swap.  When free memory
 * falls below a threshold every registered process that has a SIGBALLOON
 * handler installed receives SIGBALLOON, telling it how many pages the kernel
 * would like it to release.  It answers by calling balloon_swapout() on
 * ranges of its own anonymous memory, which are written to swap and freed
 * before the call returns.
 *
 * This header is self-contained and may be included by C and C++ programs
 * together with the C library headers.
 */
#ifndef _UAPI_LINUX_BALLOON_H
#define _UAPI_LINUX_BALLOON_H

#include <linux/types.h>

/*
 * System call numbers (x86_64).  The C library may not know them yet, so
 * provide fallbacks; other architectures do not implement the calls.
 */
#if defined(__x86_64__) && !defined(__ILP32__)
#ifndef __NR_balloon_ctl
#define __NR_balloon_ctl	442
#endif
#ifndef __NR_balloon_swapout
#define __NR_balloon_swapout	443
#endif
#endif

/*
 * SIGBALLOON is the highest real-time signal (SIGRTMAX, 64 on x86).  Real-time
 * signals 32 and 33 are used internally by glibc (and 32..34 by musl), which
 * allocate their own signals from the bottom of the range; the top one is the
 * least likely to collide.  Signals sent by the kernel carry si_code
 * BALLOON_SI_CODE, a positive value that only the kernel can send to another
 * process, so a handler can always tell a balloon request apart from another
 * use of signal 64 (kill() gives SI_USER, sigqueue() gives SI_QUEUE).
 */
#ifndef SIGBALLOON
#define SIGBALLOON		64
#endif
#define BALLOON_SI_CODE		0x42

/*
 * The payload travels in the plain siginfo_t field si_value (si_ptr): the low
 * 32 bits hold the number of pages the kernel would like this process to
 * release, the high 32 bits the number of free pages in the system when the
 * signal was sent.  Both saturate at 0xffffffff (16 TiB with 4 KiB pages).
 * si_pid and si_uid are 0.  Page size is sysconf(_SC_PAGESIZE).
 *
 * Read it in an SA_SIGINFO handler with:
 *	__u64 want = BALLOON_SI_PAGES_REQUESTED(info);
 *	__u64 free = BALLOON_SI_FREE_PAGES(info);
 *
 * A test can imitate a request without memory pressure with
 *	union sigval v;
 *	v.sival_ptr = (void *)(unsigned long)BALLOON_SIGVAL(want, free);
 *	sigqueue(getpid(), SIGBALLOON, v);
 * which delivers the same si_value with si_code SI_QUEUE instead of
 * BALLOON_SI_CODE.  rt_sigqueueinfo() on the caller itself may also set
 * si_code to BALLOON_SI_CODE for an exact copy.
 */
#define BALLOON_SI_SAT32(x)	((__u64)(x) > 0xffffffffULL ? \
				 0xffffffffULL : (__u64)(x))
#define BALLOON_SIGVAL(requested, free_pages)				\
	((BALLOON_SI_SAT32(free_pages) << 32) | BALLOON_SI_SAT32(requested))
#define BALLOON_SI_VALUE(info)						\
	((__u64)(unsigned long)(info)->si_value.sival_ptr)
#define BALLOON_SI_PAGES_REQUESTED(info)				\
	(BALLOON_SI_VALUE(info) & 0xffffffffULL)
#define BALLOON_SI_FREE_PAGES(info)	(BALLOON_SI_VALUE(info) >> 32)
#define BALLOON_SI_IS_KERNEL(info)	((info)->si_code == BALLOON_SI_CODE)

/*
 * long balloon_ctl(unsigned int op, unsigned int flags);
 *
 * Operates on the calling thread group.  flags must be 0.
 *   BALLOON_REGISTER    register; registering again is harmless.  Returns 0,
 *                       -EPERM without CAP_SYS_RESOURCE or CAP_SYS_ADMIN
 *                       (unless root allowed unprivileged use in sysfs),
 *                       -ENOSPC when the global or per-user limit is reached.
 *   BALLOON_UNREGISTER  unregister and drop queued requests.  Returns 0, or
 *                       -ENOENT if not registered.
 *   BALLOON_QUERY       returns 1 if registered, 0 if not.
 * A registration is not inherited by fork() and ends by itself when the
 * process exits or calls execve(); queued requests are dropped then too, and
 * when the handler is reset to SIG_DFL, so that a request never kills.
 */
#define BALLOON_REGISTER	1
#define BALLOON_UNREGISTER	2
#define BALLOON_QUERY		3

/* At most this many processes may be registered at once (-ENOSPC). */
#define BALLOON_MAX_REGISTERED	1024

/* One range of the caller's address space: page aligned, length > 0. */
struct balloon_range {
	__u64 start;
	__u64 length;
};

/*
 * long balloon_swapout(const struct balloon_range *ranges, unsigned int count,
 *                      unsigned int flags, struct balloon_swapout_result *res);
 *
 * Writes the anonymous pages in the ranges to swap and frees them.  Returns
 * the number of pages this call wrote and freed; res (may be NULL) receives
 * the details, where every requested page is counted once: freed, failed
 * or one of the skipped reasons.  A request counts as answered once about
 * the pages it asked for (seven eighths) were released since it was sent.
 * With BALLOON_SWAPOUT_ASYNC the writes are only started: the pages stay in
 * memory, clean, until a later call on the range (or reclaim when nobody is
 * registered) frees them.
 */
#define BALLOON_SWAPOUT_ASYNC		0x1	/* start writeback, do not wait */
#define BALLOON_SWAPOUT_THP_SPLIT	0x2	/* split every huge page met */
#define BALLOON_SWAPOUT_THP_NOSPLIT	0x4	/* skip partly covered huge pages */
#define BALLOON_SWAPOUT_FLAGS		0x7

/* Limits per call; more gives -E2BIG. */
#define BALLOON_SWAPOUT_MAX_RANGES	1024
#define BALLOON_SWAPOUT_MAX_PAGES	(1U << 18)

struct balloon_swapout_result {
	__u64 pages_requested;		/* pages covered by the ranges */
	__u64 pages_freed;		/* written (or already in swap) and freed */
	__u64 skipped_swapped;		/* already swapped out */
	__u64 skipped_shared;		/* mapped by another process too */
	__u64 skipped_locked;		/* mlocked, pinned, locked or busy */
	__u64 skipped_not_present;	/* never touched, zero page */
	__u64 skipped_thp;		/* partly covered THP with THP_NOSPLIT */
	__u64 failed;			/* reclaim tried but could not free */
	__u64 thp_whole;		/* huge pages swapped out whole */
	__u64 thp_split;		/* huge pages split */
	__u64 elapsed_ns;		/* time spent in the call */
	__u64 __reserved[5];		/* zero */
};

#endif /* _UAPI_LINUX_BALLOON_H */
