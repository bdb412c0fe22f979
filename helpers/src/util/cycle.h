/* SPDX-License-Identifier: MIT */
/* Loop detection in O(1) memory for linked lists read from a target (Brent):
 * each node address is compared with a saved one that moves to the current
 * node at every power of two steps, so a loop is found within about twice
 * its length plus the tail before it. */
#ifndef PYX_CYCLE_H
#define PYX_CYCLE_H

#include <stddef.h>
#include <stdint.h>

struct pyx_cycle {
	uint64_t saved;
	size_t power, steps;
};

static inline void pyx_cycle_init(struct pyx_cycle *c)
{
	c->saved = 0;
	c->power = 1;
	c->steps = 0;
}

/* Returns 1 when addr closes a loop. */
static inline int pyx_cycle_check(struct pyx_cycle *c, uint64_t addr)
{
	if (addr == c->saved)
		return 1;
	if (++c->steps == c->power) {
		c->saved = addr;
		c->power *= 2;
		c->steps = 0;
	}
	return 0;
}

#endif
