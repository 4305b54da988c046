/* The trace file in the LIM Gateway's spirit, shared by stcommunity and stsipgateway: one line per event. */
#ifndef STSIP_TRACE_H
#define STSIP_TRACE_H

#include <stdarg.h>
#include <stdio.h>

/*
 * A line is "2026-11-27T13:45:01.123Z COMPONENT user=USER what", in UTC to
 * the millisecond; USER NULL or empty is written "-".  The caller owns the
 * FILE (fclose when done).
 */
/* Opens path for appending, mode 0640, line-buffered; NULL once logged. */
FILE	*trace_open(const char *path);
void	 trace_vwrite(FILE *, const char *component, const char *user,
	    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

#endif
