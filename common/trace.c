/* The trace file's one line format and how it is opened, for every daemon that keeps one. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "trace.h"

FILE *
trace_open(const char *path)
{
	FILE *f;

	if ((f = fopen(path, "a")) == NULL) {
		log_warn("trace: %s", path);
		return NULL;
	}
	chmod(path, 0640);
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

void
trace_vwrite(FILE *f, const char *component, const char *user,
    const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s.%03ldZ %s user=%s ", when, ts.tv_nsec / 1000000,
	    component, user && user[0] ? user : "-");
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}
