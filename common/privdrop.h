/*
 * privdrop: least privilege for the stsip daemons.
 *
 * A daemon started as root binds its ports and opens what only root may
 * open, then calls privdrop_user() once, before it reads a byte from the
 * network: from then on a bug in a parser can do no more than the
 * unprivileged user can.  Files holding secrets (TLS private keys, the LDAP
 * bind password) go through secret_file_check() before they are read.
 *
 * Returns (daemon layer): 0, or -1 after one log line that names the user
 * or the file; errno is then set (ENOENT unknown user, EPERM refused,
 * anything else from the failing system call).
 */
#ifndef STSIP_PRIVDROP_H
#define STSIP_PRIVDROP_H

#include <sys/types.h>

/* The unprivileged user a daemon drops to when none is configured. */
#define PRIVDROP_DEFAULT_USER	"_stsip"

/* Is user a known, non-root account?  For "-n" (check config): fails
 * the same way privdrop_user() would, without changing anything. */
int	privdrop_check_user(const char *user);

/*
 * Become user for good: supplementary groups reduced to the user's primary
 * group, then real/effective/saved gid and uid set, then verified (ids read
 * back, and setuid(0) must fail).  Not running as root: succeeds without a
 * change if user is the running user, fails otherwise.
 */
int	privdrop_user(const char *user);

/*
 * May path hold a secret?  It must be a regular file (symbolic links are
 * followed), owned by the effective user, with no permission bits for group
 * or others (mode 0600 or 0400).  On refusal the log line names the file,
 * its mode and owner, and says how to fix it.
 */
int	secret_file_check(const char *path);

/* secret_file_check() and open(O_RDONLY) in one step, checking the file
 * that was opened (no race with a rename): a descriptor, or -1. */
int	secret_file_open(const char *path);

#endif
