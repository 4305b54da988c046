/* The trace file in the LIM Gateway's spirit: one line per event, naming the component and the user. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "community.h"
#include "trace.h"

/* (Re)open TraceFile, e.g. after a log rotation on SIGHUP: 0 or -1. */
int
cs_trace_open(struct community *c)
{
	if (c->trace != NULL) {
		fclose(c->trace);
		c->trace = NULL;
	}
	if (c->set.trace_path == NULL)
		return 0;
	if ((c->trace = trace_open(c->set.trace_path)) == NULL)
		return -1;
	return 0;
}

void
cs_trace_close(struct community *c)
{
	if (c->trace != NULL)
		fclose(c->trace);
	c->trace = NULL;
}

void
cs_trace(struct community *c, const char *component, const char *user,
    const char *fmt, ...)
{
	va_list ap;

	if (c->trace == NULL)
		return;
	va_start(ap, fmt);
	trace_vwrite(c->trace, component, user, fmt, ap);
	va_end(ap);
}
