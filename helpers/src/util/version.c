/* SPDX-License-Identifier: MIT */
/* The library's own version, from configure. */
#include <pyxray/pyxray.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.0.0"
#endif

const char *pyx_version(void)
{
	return PACKAGE_VERSION;
}
