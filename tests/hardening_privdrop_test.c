/* Unit tests for privdrop: the secret-file check and dropping root. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_util.h"
#include "log.h"
#include "privdrop.h"

static char	tmpdir[256];	/* short: paths under it must fit PATH_MAX */

static void
setup(void)
{
	check_tmpdir_make(tmpdir, sizeof(tmpdir), "privdrop");
	log_init("privdrop_test", 1, 0);
}

static void
teardown(void)
{
	check_tmpdir_remove(tmpdir);
}

static const char *
make_file(const char *name, mode_t mode)
{
	static char	path[PATH_MAX];
	int		fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "-----BEGIN KEY-----\n", 20), 20);
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

/* Modes a secret may have, and modes that must be refused. */
static const struct {
	mode_t		 mode;
	int		 ok;
	const char	*says;		/* in the log line when refused */
} mode_cases[] = {
	{ 0600, 1, NULL },
	{ 0400, 1, NULL },
	{ 0700, 1, NULL },
	{ 0640, 0, "mode 0640 lets its group" },
	{ 0660, 0, "mode 0660 lets its group" },
	{ 0620, 0, "mode 0620 lets its group" },
	{ 0604, 0, "mode 0604 lets everyone" },
	{ 0644, 0, "mode 0644 lets everyone" },
	{ 0602, 0, "mode 0602 lets everyone" },
	{ 0610, 0, "mode 0610 lets its group" },
};

START_TEST(secret_modes)
{
	const char	*path, *log;
	char		 name[32];
	int		 rc, fd;

	snprintf(name, sizeof(name), "key-%04o.pem",
	    (unsigned)mode_cases[_i].mode);
	path = make_file(name, mode_cases[_i].mode);
	check_log_begin();
	errno = 0;
	rc = secret_file_check(path);
	log = check_log_end();
	if (mode_cases[_i].ok) {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(log, "");
		fd = secret_file_open(path);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
		close(fd);
		return;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(errno, EPERM);
	/* The line names the file, the mode and the remedy. */
	ck_assert_ptr_nonnull(strstr(log, path));
	ck_assert_msg(strstr(log, mode_cases[_i].says) != NULL,
	    "log \"%s\" lacks \"%s\"", log, mode_cases[_i].says);
	ck_assert_ptr_nonnull(strstr(log, "chmod 600"));
	check_log_begin();
	ck_assert_int_eq(secret_file_open(path), -1);
	ck_assert_int_eq(errno, EPERM);
	check_log_end();
}
END_TEST

START_TEST(secret_not_regular)
{
	const char	*log;
	char		 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/keydir", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	check_log_begin();
	ck_assert_int_eq(secret_file_check(path), -1);
	log = check_log_end();
	ck_assert_ptr_nonnull(strstr(log, path));
	ck_assert_ptr_nonnull(strstr(log, "not a regular file"));

	/* A FIFO planted as the key is refused without blocking on open. */
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	check_log_begin();
	ck_assert_int_eq(secret_file_open(path), -1);
	log = check_log_end();
	ck_assert_ptr_nonnull(strstr(log, "not a regular file"));
}
END_TEST

START_TEST(secret_missing)
{
	const char	*log;
	char		 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/absent.pem", tmpdir);
	check_log_begin();
	ck_assert_int_eq(secret_file_check(path), -1);
	ck_assert_int_eq(errno, ENOENT);
	log = check_log_end();
	ck_assert_ptr_nonnull(strstr(log, path));
	ck_assert_ptr_nonnull(strstr(log, "No such file"));
}
END_TEST

START_TEST(secret_symlink_followed)
{
	const char	*target, *log;
	char		 link[PATH_MAX];

	target = make_file("real.pem", 0600);
	snprintf(link, sizeof(link), "%s/live.pem", tmpdir);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(secret_file_check(link), 0);
	ck_assert_int_eq(chmod(target, 0644), 0);
	check_log_begin();
	ck_assert_int_eq(secret_file_check(link), -1);
	log = check_log_end();
	ck_assert_ptr_nonnull(strstr(log, "mode 0644"));
}
END_TEST

/* A file owned by someone else, even with mode 0600, is refused. */
START_TEST(secret_wrong_owner)
{
	const char	*path, *log;
	struct passwd	*pw;

	if (geteuid() == 0) {
		pw = getpwnam("nobody");
		ck_assert_ptr_nonnull(pw);
		path = make_file("other.pem", 0600);
		ck_assert_int_eq(chown(path, pw->pw_uid, pw->pw_gid), 0);
	} else
		path = "/etc/passwd";	/* root's: never ours when not root */
	check_log_begin();
	ck_assert_int_eq(secret_file_check(path), -1);
	ck_assert_int_eq(errno, EPERM);
	log = check_log_end();
	ck_assert_ptr_nonnull(strstr(log, path));
	ck_assert_ptr_nonnull(strstr(log, geteuid() == 0 ? "owned by nobody" :
	    "owned by root"));
	ck_assert_ptr_nonnull(strstr(log, "not by the running user"));
}
END_TEST

START_TEST(user_lookup)
{
	const char	*log;

	check_log_begin();
	ck_assert_int_eq(privdrop_check_user("no-such-user-stsip"), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(privdrop_check_user("root"), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(privdrop_check_user(""), -1);
	ck_assert_int_eq(privdrop_check_user(NULL), -1);
	log = check_log_end();
	ck_assert_ptr_nonnull(strstr(log, "unknown user \"no-such-user-stsip\""));
	ck_assert_ptr_nonnull(strstr(log, "\"root\" has uid 0"));
	ck_assert_int_eq(privdrop_check_user("nobody"), 0);
}
END_TEST

/*
 * The drop itself runs in a child, which reports by exit status: 0 all
 * checks passed, otherwise the number of the first failing one.
 */
static int
drop_child(void)
{
	struct passwd	*pw;
	gid_t		 groups[8];
	int		 n;

	if ((pw = getpwnam("nobody")) == NULL)
		return 1;
	if (privdrop_user("nobody") == -1)
		return 2;
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid)
		return 3;
	if (getgid() != pw->pw_gid || getegid() != pw->pw_gid)
		return 4;
	n = getgroups(8, groups);
	if (n > 1 || (n == 1 && groups[0] != pw->pw_gid))
		return 5;
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1)
		return 6;
	/* Root's files are now out of reach (the shadow file: mode 0640). */
	if (open("/etc/shadow", O_RDONLY) != -1 || errno != EACCES)
		return 7;
	/* Dropping again to the same user is harmless. */
	if (privdrop_user("nobody") == -1)
		return 8;
	return 0;
}

START_TEST(drop_root)
{
	pid_t	pid;
	int	status;

	if (geteuid() != 0) {
		/* Without root only "become who you are" may succeed. */
		check_log_begin();
		ck_assert_int_eq(privdrop_user("nobody"), -1);
		ck_assert_int_eq(errno, EPERM);
		ck_assert_ptr_nonnull(strstr(check_log_end(),
		    "not running as root"));
		return;
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(drop_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child died (status %d)", status);
	ck_assert_msg(WEXITSTATUS(status) == 0, "check %d failed after the drop",
	    WEXITSTATUS(status));
	/* The parent kept its root. */
	ck_assert_int_eq(geteuid(), 0);
}
END_TEST

/* After the drop an ordinary exit must work (LeakSanitizer runs then). */
START_TEST(drop_then_exit)
{
	pid_t	pid;
	int	status;

	if (geteuid() != 0)
		return;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (privdrop_user("nobody") == -1)
			_exit(2);
		exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static Suite *
privdrop_suite(void)
{
	Suite	*s = suite_create("privdrop");
	TCase	*tc = tcase_create("secret");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, secret_modes, 0,
	    sizeof(mode_cases) / sizeof(mode_cases[0]));
	tcase_add_test(tc, secret_not_regular);
	tcase_add_test(tc, secret_missing);
	tcase_add_test(tc, secret_symlink_followed);
	tcase_add_test(tc, secret_wrong_owner);
	suite_add_tcase(s, tc);

	tc = tcase_create("drop");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, user_lookup);
	tcase_add_test(tc, drop_root);
	tcase_add_test(tc, drop_then_exit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(privdrop_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
