/* Unit test of the one settings reader (common/settings.c): every type, and each error class with its file:line. */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_util.h"
#include "log.h"
#include "settings.h"

struct demo {
	char		*name, *opt, *path, *file, *secret;
	int		 flag, count, mode;
	unsigned	 rate;
	size_t		 size;
	uint16_t	 port;
	char		 custom[32];
};

static const struct settings_word modes[] = {
	{ "allow", 1 }, { "kick", 2 }, { "wait", 3 }, { NULL, 0 }
};

/* Takes only words that start with "x". */
static int
parse_x(void *obj, char *val, char *why, size_t whylen)
{
	struct demo *d = obj;

	if (val[0] != 'x') {
		snprintf(why, whylen, "\"%s\" does not start with x", val);
		return -1;
	}
	snprintf(d->custom, sizeof(d->custom), "%s", val);
	return 0;
}

#define O(f)	offsetof(struct demo, f)
static const struct settings_key keys[] = {
	SETTINGS_KEY("extra", "Secret", SETTINGS_SECRET, O(secret), 0, 0),
	SETTINGS_KEY("main", "Count", SETTINGS_INT, O(count), 1, 10),
	SETTINGS_PARSE("main", "Custom", parse_x),
	SETTINGS_KEY("main", "File", SETTINGS_FILE, O(file), 1, 0),
	SETTINGS_KEY("main", "Flag", SETTINGS_BOOL, O(flag), 0, 0),
	SETTINGS_WORDS("main", "Mode", O(mode), modes),
	SETTINGS_KEY("main", "Name", SETTINGS_STR, O(name), 1, 0),
	SETTINGS_KEY("main", "Opt", SETTINGS_OPTSTR, O(opt), 0, 0),
	SETTINGS_KEY("main", "Path", SETTINGS_PATH, O(path), 0, 0),
	SETTINGS_KEY("main", "Port", SETTINGS_PORT, O(port), 1, 65535),
	SETTINGS_KEY("main", "Rate", SETTINGS_UINT, O(rate), 0, 1000000),
	SETTINGS_KEY("main", "Size", SETTINGS_SIZE, O(size), 64, 65536),
};
#undef O

static const char *const sections[] = { "main", "extra", NULL };
static const struct settings_spec spec = {
	sections, keys, sizeof(keys) / sizeof(keys[0]), 1
};

/* dir is short: the paths under it must fit the buffers below */
static char	dir[256], conf[300];
static const char *logbuf;

static void
setup(void)
{
	check_tmpdir_make(dir, sizeof(dir), "settings");
	snprintf(conf, sizeof(conf), "%s/demo.conf", dir);
	log_init("common_settings_test", 1, 0);
}

static void
teardown(void)
{
	check_tmpdir_remove(dir);
}

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char path[PATH_MAX + 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Reads conf with the log caught, to check what an administrator reads. */
static int
read_logged(struct demo *d)
{
	int rc;

	check_log_begin();
	rc = settings_read(&spec, d, conf);
	logbuf = check_log_end();
	return rc;
}

START_TEST(test_good_file)
{
	struct demo d;
	char want[PATH_MAX], text[1024];

	memset(&d, 0, sizeof(d));
	d.opt = strdup("default");
	write_file("pw", "s3cret \n\n", 0600);
	write_file("readable", "x\n", 0644);
	snprintf(text, sizeof(text), "# comment\n; comment\n\n[Main]\n"
	    "name = first\nNAME = \"two words\"\ncount=10\nflag = yes\n"
	    "mode = KICK\nopt =\npath = sub/file\nfile = %s/readable\n"
	    "port = 5070\nrate = 0\nsize = 64\ncustom = xyz\n"
	    "[extra]\n  Secret = pw  \n", dir);
	write_file("demo.conf", text, 0600);
	ck_assert_int_eq(read_logged(&d), 0);
	ck_assert_str_eq(logbuf, "");
	ck_assert_str_eq(d.name, "two words");	/* the last one, unquoted */
	ck_assert_int_eq(d.count, 10);
	ck_assert_int_eq(d.flag, 1);
	ck_assert_int_eq(d.mode, 2);
	ck_assert_ptr_null(d.opt);		/* empty: unset */
	snprintf(want, sizeof(want), "%s/sub/file", dir);
	ck_assert_str_eq(d.path, want);		/* beside the file */
	snprintf(want, sizeof(want), "%s/readable", dir);
	ck_assert_str_eq(d.file, want);
	ck_assert_uint_eq(d.port, 5070);
	ck_assert_uint_eq(d.rate, 0);
	ck_assert_uint_eq(d.size, 64);
	ck_assert_str_eq(d.custom, "xyz");
	ck_assert_str_eq(d.secret, "s3cret");	/* trailing space cut */
	settings_free(&spec, &d);
	ck_assert_ptr_null(d.name);
	ck_assert_ptr_null(d.secret);
	ck_assert_ptr_null(d.path);
}
END_TEST

/* One error a line: the reader goes on and names each with its line. */
static const struct {
	const char *line, *log;
} bad[] = {
	{ "[main", ":1: bad section header" },
	{ "[other]", ":2: unknown section [other] (valid: [main] [extra])" },
	{ "Count = 3", ":3: Count: unknown key in [other] (valid here: none)" },
	{ "[main]", NULL },
	{ "no equals sign", ":5: expected \"key = value\"" },
	{ "Colour = blue", ":6: Colour: unknown key in [main] (valid here: "
	    "Count Custom File Flag Mode Name Opt Path Port Rate Size)" },
	{ "Count = 0", ":7: Count: \"0\" is not a number in 1-10" },
	{ "Count = 5x", ":8: Count: \"5x\" is not a number in 1-10" },
	{ "Port = 65536", ":9: Port: \"65536\" is not a number in 1-65535" },
	{ "Flag = maybe", ":10: Flag: \"maybe\" is not a boolean" },
	{ "Mode = stay", ":11: Mode: \"stay\" is not valid (allow, kick or "
	    "wait)" },
	{ "Name =", ":12: Name: empty value" },
	{ "File = /nonexistent/x", ":13: File: \"/nonexistent/x\": No such" },
	{ "Custom = abc", ":14: Custom: \"abc\" does not start with x" },
	{ "[extra]", NULL },
	{ "Secret = open", ":16: Secret: refused" },
	{ "Secret = missing", ":17: Secret: refused" },
};

START_TEST(test_errors)
{
	struct demo d;
	char text[2048], want[1024];
	size_t i, used = 0, nerr = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "%s\n", bad[i].line);
		nerr += bad[i].log != NULL;
	}
	write_file("demo.conf", text, 0600);
	write_file("open", "pw\n", 0644);
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(read_logged(&d), (int)nerr);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i].log == NULL)
			continue;
		snprintf(want, sizeof(want), "%s%s", conf, bad[i].log);
		ck_assert_msg(strstr(logbuf, want) != NULL, "want \"%s\" in:\n%s",
		    want, logbuf);
	}
	ck_assert_int_eq(d.count, 0);		/* nothing bad was stored */
	ck_assert_ptr_null(d.secret);
	settings_free(&spec, &d);
}
END_TEST

START_TEST(test_no_file)
{
	struct demo d;

	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(read_logged(&d), -1);
	ck_assert_msg(strstr(logbuf, conf) != NULL, "%s", logbuf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("common_settings");
	TCase *tc = tcase_create("reader");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_good_file);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_no_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
