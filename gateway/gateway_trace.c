/* The trace file in the LIM Gateway's spirit: one line per event, naming the component and the user. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "gateway.h"
#include "log.h"
#include "trace.h"

int
gw_trace_set(struct gateway *gw, int on)
{
	if (!on) {
		if (gw->trace != NULL) {
			gw_trace(gw, "trace", "-", "trace off");
			fclose(gw->trace);
			gw->trace = NULL;
		}
		return 0;
	}
	if (gw->trace != NULL)
		return 0;
	if (gw->set.trace_path == NULL) {
		log_warnx("trace: no TraceFile configured");
		return -1;
	}
	/* Created only when switched on, like proxy.traceFileName. */
	if ((gw->trace = trace_open(gw->set.trace_path)) == NULL)
		return -1;
	gw_trace(gw, "trace", "-", "trace on");
	return 0;
}

void
gw_trace(struct gateway *gw, const char *component, const char *user,
    const char *fmt, ...)
{
	va_list ap;

	if (gw->trace == NULL)
		return;
	va_start(ap, fmt);
	trace_vwrite(gw->trace, component, user, fmt, ap);
	va_end(ap);
}
