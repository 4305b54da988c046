/* Logging for every stsip program: stderr in the foreground, syslog otherwise. */
#ifndef STSIP_LOG_H
#define STSIP_LOG_H

#include <stdarg.h>

/*
 * log_init() picks the destination once at start-up: foreground programs and
 * tools log to stderr, daemons to syslog under the given identity.  Levels
 * follow OpenSMTPD: log_warn() appends strerror(errno), the *x variants do
 * not; fatal() and fatalx() log and exit(1) and are only for our own broken
 * invariants, never for bad input from a peer.
 */
void	log_init(const char *ident, int foreground, int verbose);
void	log_setverbose(int verbose);
int	log_getverbose(void);
void	log_reopen(void);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_vwrite(int pri, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
