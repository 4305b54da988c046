/* What several Check unit tests need: a scratch folder, and the log (stderr) caught. */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check_util.h"

static char	 logbuf[8192];
static int	 saved_stderr = -1;
static FILE	*logfile;

void
check_tmpdir_make(char *dir, size_t size, const char *name)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, size, "%s/%s.XXXXXX", t != NULL && *t != '\0' ? t :
	    "/tmp", name);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

void
check_tmpdir_remove(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)system(cmd);
}

void
check_log_begin(void)
{
	fflush(stderr);
	logfile = tmpfile();
	ck_assert_ptr_nonnull(logfile);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(logfile), STDERR_FILENO);
}

const char *
check_log_end(void)
{
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(logfile);
	n = fread(logbuf, 1, sizeof(logbuf) - 1, logfile);
	logbuf[n] = '\0';
	fclose(logfile);
	return logbuf;
}
