/* What several Check unit tests need: a scratch folder, and the log (stderr) caught to read what an administrator reads. */
#ifndef STSIP_CHECK_UTIL_H
#define STSIP_CHECK_UTIL_H

#include <stddef.h>

/* Makes $TMPDIR/NAME.XXXXXX (or under /tmp) into dir; fails the test if not. */
void		 check_tmpdir_make(char *dir, size_t size, const char *name);
/* Removes dir and all in it. */
void		 check_tmpdir_remove(const char *dir);
/* From begin to end, stderr goes to a file; end returns what was written
 * (the first 8 KiB; valid until the next end). */
void		 check_log_begin(void);
const char	*check_log_end(void);

#endif
