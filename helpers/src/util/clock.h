/* SPDX-License-Identifier: MIT */
/* The monotonic clock every deadline is measured on (async-signal-safe:
 * clock_gettime only). */
#ifndef PYX_CLOCK_H
#define PYX_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic clock in microseconds. */
static inline int64_t pyx_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif
