/* The trace file in the LIM Gateway's spirit: one line per event, naming the component and the user. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gateway.h"
#include "log.h"

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
	if ((gw->trace = fopen(gw->set.trace_path, "a")) == NULL) {
		log_warn("trace: %s", gw->set.trace_path);
		return -1;
	}
	chmod(gw->set.trace_path, 0640);
	setvbuf(gw->trace, NULL, _IOLBF, 0);
	gw_trace(gw, "trace", "-", "trace on");
	return 0;
}

void
gw_trace(struct gateway *gw, const char *component, const char *user,
    const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char when[32];
	va_list ap;

	if (gw->trace == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(gw->trace, "%s.%03ldZ %s user=%s ", when, ts.tv_nsec / 1000000,
	    component, user && user[0] ? user : "-");
	va_start(ap, fmt);
	vfprintf(gw->trace, fmt, ap);
	va_end(ap);
	fputc('\n', gw->trace);
}
