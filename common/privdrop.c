/* Dropping root after binding, and refusing secret files others can read. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "log.h"
#include "privdrop.h"

/* Group and other bits: any of them lets someone else read or replace it. */
#define SECRET_MODE_MASK	(S_IRWXG | S_IRWXO)

static int
privdrop_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;

	if (user == NULL || *user == '\0') {
		log_warnx("privdrop: no user name given");
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno == 0) {
			log_warnx("privdrop: unknown user \"%s\" (create it, "
			    "e.g. useradd -r -s /usr/sbin/nologin %s)", user,
			    user);
			errno = ENOENT;
		} else
			log_warn("privdrop: looking up user \"%s\"", user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_warnx("privdrop: user \"%s\" has uid 0: choose an "
		    "unprivileged user", user);
		errno = EPERM;
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
privdrop_check_user(const char *user)
{
	uid_t	uid;
	gid_t	gid;

	return privdrop_lookup(user, &uid, &gid);
}

/* Read every id back: a partial drop must never pass for a complete one. */
static int
privdrop_verify(const char *user, uid_t uid, gid_t gid)
{
	uid_t	ru, eu, su;
	gid_t	rg, eg, sg, groups[2];
	int	ngroups;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1) {
		log_warn("privdrop: reading ids back");
		return -1;
	}
	if (ru != uid || eu != uid || su != uid ||
	    rg != gid || eg != gid || sg != gid) {
		log_warnx("privdrop: ids after dropping to \"%s\" are uid "
		    "%u/%u/%u gid %u/%u/%u, expected %u and %u", user,
		    (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)rg,
		    (unsigned)eg, (unsigned)sg, (unsigned)uid, (unsigned)gid);
		errno = EPERM;
		return -1;
	}
	ngroups = getgroups(2, groups);
	if (ngroups < 0 || ngroups > 1 || (ngroups == 1 && groups[0] != gid)) {
		log_warnx("privdrop: supplementary groups remain after "
		    "dropping to \"%s\"", user);
		errno = EPERM;
		return -1;
	}
	if (setuid(0) != -1 || seteuid(0) != -1) {
		log_warnx("privdrop: root could be regained after dropping "
		    "to \"%s\"", user);
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
privdrop_user(const char *user)
{
	uid_t	uid;
	gid_t	gid;

	if (privdrop_lookup(user, &uid, &gid) == -1)
		return -1;
	if (geteuid() != 0) {
		if (getuid() == uid && geteuid() == uid)
			return 0;
		log_warnx("privdrop: cannot become user \"%s\": not running "
		    "as root", user);
		errno = EPERM;
		return -1;
	}
	/* Groups first: once the uid is gone they can no longer change. */
	if (setgroups(1, &gid) == -1) {
		log_warn("privdrop: setgroups for \"%s\"", user);
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1) {
		log_warn("privdrop: setresgid %u for \"%s\"", (unsigned)gid,
		    user);
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		log_warn("privdrop: setresuid %u for \"%s\"", (unsigned)uid,
		    user);
		return -1;
	}
#ifdef __linux__
	/* No setuid program run later can hand the privileges back. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("privdrop: PR_SET_NO_NEW_PRIVS");
		return -1;
	}
#endif
	if (privdrop_verify(user, uid, gid) == -1)
		return -1;
	log_info("running as user \"%s\" (uid %u, gid %u)", user,
	    (unsigned)uid, (unsigned)gid);
	return 0;
}

static const char *
secret_owner_name(uid_t uid, char *buf, size_t len)
{
	struct passwd	*pw;

	if ((pw = getpwuid(uid)) != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
	return buf;
}

static int
secret_stat_check(const char *path, const struct stat *st)
{
	char	owner[64], me[64];

	if (!S_ISREG(st->st_mode)) {
		log_warnx("%s: refusing secret file: not a regular file", path);
		errno = EPERM;
		return -1;
	}
	if (st->st_uid != geteuid()) {
		log_warnx("%s: refusing secret file: owned by %s, not by the "
		    "running user %s (chown %s %s)", path,
		    secret_owner_name(st->st_uid, owner, sizeof(owner)),
		    secret_owner_name(geteuid(), me, sizeof(me)), me, path);
		errno = EPERM;
		return -1;
	}
	if (st->st_mode & SECRET_MODE_MASK) {
		log_warnx("%s: refusing secret file: mode %04o lets %s access "
		    "it (chmod 600 %s)", path, (unsigned)(st->st_mode & 07777),
		    (st->st_mode & S_IRWXO) ? "everyone" : "its group", path);
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
secret_file_check(const char *path)
{
	struct stat	st;

	if (stat(path, &st) == -1) {
		log_warn("%s: secret file", path);
		return -1;
	}
	return secret_stat_check(path, &st);
}

int
secret_file_open(const char *path)
{
	struct stat	st;
	int		fd, saved;

	/* O_NONBLOCK: a FIFO planted in place of the key must not hang us. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK))
	    == -1) {
		log_warn("%s: secret file", path);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		saved = errno;
		log_warn("%s: secret file", path);
		close(fd);
		errno = saved;
		return -1;
	}
	if (secret_stat_check(path, &st) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	/* Regular file: blocking reads from here on are what callers expect. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		saved = errno;
		log_warn("%s: secret file", path);
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}
