/* Edits of a configuration directory: validated against the whole set first, then written atomically. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsfconf_int.h"

int
nsfconf_lock(const char *dir)
{
	char	*path;
	int	 fd, saved;

	if (asprintf(&path, "%s/.stconfig.lock", dir) == -1)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	saved = errno;
	free(path);
	if (fd == -1) {
		errno = saved;
		return -1;
	}
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
	}
	return fd;
}

void
nsfconf_unlock(int fd)
{
	if (fd != -1)
		close(fd);	/* releases the flock */
}

/* An error without its line number, so that an edit moving lines around
 * does not make an old error look new. */
static char *
unlined(const char *m)
{
	const char	*p, *q;
	char		*s, *o;

	if ((s = o = malloc(strlen(m) + 1)) == NULL)
		return NULL;
	for (p = m; *p != '\0'; ) {
		for (q = p + 1; *p == ':' && isdigit((unsigned char)*q); q++)
			;
		if (*p == ':' && q > p + 1 && (*q == ':' || *q == '\0' ||
		    *q == ' ' || *q == ')')) {
			p = q;		/* drop ":123" */
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	return s;
}

/* Move into NEW the errors of AFTER that BEFORE did not have. */
static void
new_errors(const struct nsfconf_errors *before,
    const struct nsfconf_errors *after, struct nsfconf_errors *new)
{
	char	**b, *a;
	size_t	  i, j;

	if ((b = calloc(before->n + 1, sizeof(*b))) == NULL) {
		nsfconf_error(new, "out of memory");
		return;
	}
	for (i = 0; i < before->n; i++)
		b[i] = unlined(before->msg[i]);
	for (i = 0; i < after->n; i++) {
		a = unlined(after->msg[i]);
		for (j = 0; a && j < before->n; j++) {
			if (b[j] && strcmp(a, b[j]) == 0) {
				free(b[j]);	/* each old error excuses one */
				b[j] = NULL;
				break;
			}
		}
		if (a == NULL || j == before->n)
			nsfconf_error(new, "%s", after->msg[i]);
		free(a);
	}
	for (i = 0; i < before->n; i++)
		free(b[i]);
	free(b);
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t	w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= w;
	}
	return 0;
}

/* Write TEXT next to TARGET under a temporary name; its path, or NULL. */
static char *
write_temp(const char *target, const char *text, size_t len)
{
	char		*tmp, *copy, *base;
	struct stat	 st;
	int		 fd, saved;

	if ((copy = strdup(target)) == NULL)
		return NULL;
	base = basename(copy);
	if (asprintf(&tmp, "%.*s.%s.XXXXXX", (int)(strlen(target) -
	    strlen(base)), target, base) == -1) {
		free(copy);
		return NULL;
	}
	free(copy);
	if ((fd = mkstemp(tmp)) == -1) {
		free(tmp);
		return NULL;
	}
	/* Keep the old file's mode and, when we may, its owner: a daemon
	 * reading the documents as another user must still read them. */
	if (stat(target, &st) == -1)
		st.st_mode = 0644;
	else if (fchown(fd, st.st_uid, st.st_gid) == -1 && errno != EPERM)
		goto fail;	/* EPERM: not root, the file becomes ours */
	if (fchmod(fd, st.st_mode & 07777) == -1 ||
	    write_all(fd, text, len) == -1 || fsync(fd) == -1)
		goto fail;
	close(fd);
	return tmp;
fail:
	saved = errno;
	close(fd);
	unlink(tmp);
	free(tmp);
	errno = saved;
	return NULL;
}

/* The rename is durable only once the directory itself is on disk. */
static void
sync_dir(const char *path)
{
	char	*copy;
	int	 fd;

	if ((copy = strdup(path)) == NULL)
		return;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY)) != -1) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int
nsfconf_commit(const char *dir, const char *rel, const char *text,
    size_t len, struct nsfconf_errors *errs, size_t *nold)
{
	struct nsfconf_errors	 before = { 0 }, after = { 0 };
	char			*target = NULL, *tmp = NULL, *sub;
	size_t			 n0 = errs->n;
	int			 rc = -1, saved = 0;

	nsfconf_free(nsfconf_load(dir, &before));
	if (asprintf(&target, "%s/%s", dir, rel) == -1)
		goto out;
	if ((sub = strchr(rel, '/')) != NULL) {
		char *d;
		if (asprintf(&d, "%s/%.*s", dir, (int)(sub - rel), rel) == -1)
			goto out;
		if (mkdir(d, 0755) == -1 && errno != EEXIST) {
			saved = errno;
			free(d);
			goto out;
		}
		free(d);
	}
	if (text != NULL && (tmp = write_temp(target, text, len)) == NULL) {
		saved = errno;
		goto out;
	}
	nsfconf_free(nsfconf_load_subst(dir, rel, tmp, &after));
	new_errors(&before, &after, errs);
	if (errs->n > n0)
		goto out;
	if (tmp != NULL ? rename(tmp, target) : unlink(target)) {
		saved = errno;
		goto out;
	}
	free(tmp);
	tmp = NULL;
	sync_dir(target);
	if (nold != NULL)
		*nold = after.n;
	rc = 0;
out:
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(target);
	nsfconf_errors_clear(&before);
	nsfconf_errors_clear(&after);
	if (rc == -1 && errs->n == n0)
		errno = saved ? saved : ENOMEM;
	return rc;
}
