/* Logging for every stsip program: stderr in the foreground, syslog otherwise. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static struct {
	const char	*ident;
	int		 foreground;
	int		 verbose;
} logstate = { "stsip", 1, 0 };

void
log_init(const char *ident, int foreground, int verbose)
{
	logstate.ident = ident;
	logstate.foreground = foreground;
	logstate.verbose = verbose;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_setverbose(int verbose)
{
	logstate.verbose = verbose;
}

int
log_getverbose(void)
{
	return logstate.verbose;
}

/* After log rotation syslog needs nothing, but reopen keeps the socket fresh. */
void
log_reopen(void)
{
	if (!logstate.foreground) {
		closelog();
		openlog(logstate.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}

void
log_vwrite(int pri, const char *fmt, va_list ap)
{
	int saved_errno = errno;

	if (logstate.foreground) {
		flockfile(stderr);
		fprintf(stderr, "%s: ", logstate.ident);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
		fflush(stderr);
	} else
		vsyslog(pri, fmt, ap);
	errno = saved_errno;
}

static void
log_write(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(pri, fmt, ap);
	va_end(ap);
}

/* Appends the text of errno as it was on entry. */
static void
log_verrno(int pri, const char *fmt, va_list ap)
{
	char	buf[1024];
	int	saved_errno = errno;

	if (fmt == NULL) {
		log_write(pri, "%s", strerror(saved_errno));
		return;
	}
	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_write(pri, "%s: %s", buf, strerror(saved_errno));
	errno = saved_errno;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_verrno(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (logstate.verbose < 1)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_verrno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
