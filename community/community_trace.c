/* The trace file in the LIM Gateway's spirit: one line per event, naming the component and the user. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "community.h"

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
	if ((c->trace = fopen(c->set.trace_path, "a")) == NULL) {
		log_warn("trace: %s", c->set.trace_path);
		return -1;
	}
	chmod(c->set.trace_path, 0640);
	setvbuf(c->trace, NULL, _IOLBF, 0);
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
	struct timespec ts;
	struct tm tm;
	char when[32];
	va_list ap;

	if (c->trace == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(c->trace, "%s.%03ldZ %s user=%s ", when, ts.tv_nsec / 1000000,
	    component, user && user[0] ? user : "-");
	va_start(ap, fmt);
	vfprintf(c->trace, fmt, ap);
	va_end(ap);
	fputc('\n', c->trace);
}
