/* stconfig's edits through the library: comments survive, refused edits change nothing, concurrent editors lose nothing. */
#include "config.h"

#include <sys/wait.h>
#include <dirent.h>

#include "nsfconf_test.h"

static char *dir;

static void
setup(void)
{
	dir = tdir_valid();
}

static void
teardown(void)
{
	tdir_free(dir);
}

static char *
edit_text(const char *text, const char *key, const char *value)
{
	struct nsf_ini	*ini = nsf_ini_parse(text, strlen(text));
	char		*out;
	size_t		 len;

	ck_assert_ptr_nonnull(ini);
	if (value)
		ck_assert_int_eq(nsf_ini_set(ini, "ExternCommunity", key, value),
		    0);
	else
		ck_assert_int_eq(nsf_ini_unset(ini, "ExternCommunity", key), 0);
	out = nsf_ini_text(ini, &len);
	ck_assert_uint_eq(strlen(out), len);
	nsf_ini_free(ini);
	return out;
}

#define DOC	"; Partner community beta.\n" \
		"# owner: ops\n" \
		"\n" \
		"[externcommunity]\n" \
		"  communityname=beta\n" \
		"Domains = beta.example\n" \
		"  Port\t=  5060   ; the default\n" \
		"; trailing comment\n"

static const struct {
	const char	*key, *value, *expect;
} edit_rows[] = {
	/* Replace: spelling, indentation, inline comment stay. */
	{ "port", "5070", "; Partner community beta.\n# owner: ops\n\n"
	  "[externcommunity]\n  communityname=beta\n"
	  "Domains = beta.example\n  Port\t=  5070   ; the default\n"
	  "; trailing comment\n" },
	/* Add: after the last field, before the trailing comment. */
	{ "Transport", "tcp", "; Partner community beta.\n# owner: ops\n\n"
	  "[externcommunity]\n  communityname=beta\n"
	  "Domains = beta.example\n  Port\t=  5060   ; the default\n"
	  "Transport = tcp\n; trailing comment\n" },
	/* A value with a comment sign is quoted so it reads back whole. */
	{ "DNS", "a;b", "; Partner community beta.\n# owner: ops\n\n"
	  "[externcommunity]\n  communityname=beta\n"
	  "Domains = beta.example\n  Port\t=  5060   ; the default\n"
	  "DNS = \"a;b\"\n; trailing comment\n" },
	/* Remove exactly one line. */
	{ "PORT", NULL, "; Partner community beta.\n# owner: ops\n\n"
	  "[externcommunity]\n  communityname=beta\n"
	  "Domains = beta.example\n; trailing comment\n" },
};

START_TEST(edits_keep_other_lines)
{
	char	*out = edit_text(DOC, edit_rows[_i].key, edit_rows[_i].value);

	ck_assert_str_eq(out, edit_rows[_i].expect);
	free(out);
}
END_TEST

START_TEST(edit_corner_cases)
{
	struct nsf_ini	*ini;
	char		*out;
	size_t		 len;

	/* No final newline; no section yet; continuation lines. */
	ini = nsf_ini_parse("; c\n[ExternCommunity]\nDomains = a.example,\\\n"
	    "  b.example", 50);
	ck_assert_uint_eq(nsf_ini_line(ini, "ExternCommunity", "domains"), 3);
	ck_assert_int_eq(nsf_ini_set(ini, "ExternCommunity", "Domains",
	    "c.example"), 0);
	ck_assert_int_eq(nsf_ini_set(ini, "ExternCommunity", "Port", "1"), 0);
	ck_assert_int_eq(nsf_ini_unset(ini, "ExternCommunity", "DNS"), ENOENT);
	ck_assert_int_eq(nsf_ini_set(ini, "ExternCommunity", "DNS", "x\ny"),
	    EINVAL);
	ck_assert_int_eq(nsf_ini_set(ini, "Other", "Key", "v"), 0);
	out = nsf_ini_text(ini, &len);
	ck_assert_str_eq(out, "; c\n[ExternCommunity]\nDomains = c.example\n"
	    "Port = 1\n[Other]\nKey = v\n");
	free(out);
	nsf_ini_free(ini);

	/* A last line ending in a backslash would swallow what follows. */
	static const char *const tails[] = {
		"[ExternCommunity]\nDNS = x \\\n",
		"[CommunityGateway]\nConvertID = true \\\n",
		"\\\n",
		"\\",
	};
	for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		struct nsf_ini *again;

		ini = nsf_ini_parse(tails[t], strlen(tails[t]));
		ck_assert_int_eq(nsf_ini_set(ini, "ExternCommunity", "Port",
		    "5061"), 0);
		out = nsf_ini_text(ini, &len);
		again = nsf_ini_parse(out, len);
		ck_assert_msg(nsf_ini_line(again, "ExternCommunity", "Port") > 0,
		    "Port lost in \"%s\"", out);
		nsf_ini_free(again);
		nsf_ini_free(ini);
		free(out);
	}
	errno = 0;
	ck_assert_ptr_null(nsf_ini_parse("a\0b\n", 4));
	ck_assert_int_eq(errno, EILSEQ);

	ini = nsf_ini_parse("", 0);
	ck_assert_int_eq(nsf_ini_set(ini, "CommunityGateway", "ConvertID",
	    "true"), 0);
	out = nsf_ini_text(ini, &len);
	ck_assert_str_eq(out, "[CommunityGateway]\nConvertID = true\n");
	free(out);
	nsf_ini_free(ini);
}
END_TEST

static int
count_entries(const char *sub)
{
	char		 path[4096];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	ck_assert_ptr_nonnull(d = opendir(path));
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.' || strncmp(de->d_name, ".beta", 5) == 0;
	closedir(d);
	return n;
}

/* Set Port through the whole cycle stconfig uses. */
static int
commit_port(const char *value, struct nsfconf_errors *e)
{
	char		 path[4096], *text;
	struct nsf_ini	*ini;
	size_t		 len;
	int		 rc;

	snprintf(path, sizeof(path), "%s/ExternCommunity/beta.ini", dir);
	ck_assert_ptr_nonnull(ini = nsf_ini_read(path));
	ck_assert_int_eq(nsf_ini_set(ini, "ExternCommunity", "Port", value), 0);
	text = nsf_ini_text(ini, &len);
	rc = nsfconf_commit(dir, "ExternCommunity/beta.ini", text, len, e,
	    NULL);
	free(text);
	nsf_ini_free(ini);
	return rc;
}

START_TEST(refused_edit_changes_nothing)
{
	struct nsfconf_errors	 e = { 0 };
	struct stat		 before, after;
	char			 path[4096], *s;

	snprintf(path, sizeof(path), "%s/ExternCommunity/beta.ini", dir);
	ck_assert_int_eq(stat(path, &before), 0);
	ck_assert_int_eq(commit_port("70000", &e), -1);
	s = terrors(dir, &e);
	ck_assert_str_eq(s, "ExternCommunity/beta.ini:6: Port: \"70000\" is "
	    "not a port (1-65535)\n");
	free(s);
	nsfconf_errors_clear(&e);
	s = tget(dir, "ExternCommunity/beta.ini");
	ck_assert_str_eq(s, EX_BETA);
	free(s);
	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert_uint_eq(before.st_ino, after.st_ino);
	ck_assert_int_eq(count_entries("ExternCommunity"), 1);	/* no temp */

	/* A valid edit replaces the file by rename: a new inode, same mode. */
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(commit_port("5070", &e), 0);
	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert_uint_ne(before.st_ino, after.st_ino);
	ck_assert_uint_eq(after.st_mode & 07777, 0640);
	s = tget(dir, "ExternCommunity/beta.ini");
	ck_assert_str_eq(s, EX_BETA "Port = 5070\n");
	free(s);
	ck_assert_int_eq(count_entries("ExternCommunity"), 1);
}
END_TEST

#define GAMMA	"[ExternCommunity]\nCommunityName = gamma\nDomains = g.example\n"
#define DELTA	"[ExternCommunity]\nCommunityName = delta\nDomains = g.example\n"

START_TEST(cross_document_refusal)
{
	struct nsfconf_errors	 e = { 0 };
	char			*s;
	size_t			 nold = 99;

	/* Deleting a community a connector serves would break the set. */
	ck_assert_int_eq(nsfconf_commit(dir, "ExternCommunity/beta.ini", NULL,
	    0, &e, NULL), -1);
	s = terrors(dir, &e);
	ck_assert_str_eq(s, "CommunityConnector/edge.ini:4: "
	    "SupportedCommunities: \"beta\" is not an ExternCommunity (no "
	    "ExternCommunity/beta.ini)\n");
	free(s);
	nsfconf_errors_clear(&e);
	ck_assert_ptr_nonnull(s = tget(dir, "ExternCommunity/beta.ini"));
	free(s);

	/* An already broken set still takes edits that add no new error. */
	tput(dir, "CommunityGateway.ini", "[CommunityGateway]\nBogus = 1\n");
	ck_assert_int_eq(nsfconf_commit(dir, "ExternCommunity/gamma.ini",
	    GAMMA, strlen(GAMMA), &e, &nold), 0);
	ck_assert_uint_eq(e.n, 0);
	ck_assert_uint_eq(nold, 1);
	ck_assert_int_eq(nsfconf_commit(dir, "ExternCommunity/delta.ini",
	    DELTA, strlen(DELTA), &e, NULL), -1);
	ck_assert_uint_eq(e.n, 1);
	nsfconf_errors_clear(&e);
	ck_assert_ptr_null(tget(dir, "ExternCommunity/delta.ini"));

	/* An old error whose line numbers an edit shifts is still old. */
	tput(dir, "ExternCommunity/delta.ini", DELTA);
	ck_assert_int_eq(nsfconf_commit(dir, "ExternCommunity/delta.ini",
	    "; moved down\n" DELTA, strlen(DELTA) + 13, &e, &nold), 0);
	ck_assert_uint_eq(nold, 2);
}
END_TEST

/*
 * Concurrent editors: each child locks, reads Port, writes Port + 1.  With
 * the lock no increment is lost; a reader loading meanwhile always sees a
 * whole, valid file (rename is atomic).
 */
START_TEST(concurrent_editors)
{
	enum { NWRITERS = 6, NEACH = 5 };
	struct nsfconf_errors	 e = { 0 };
	struct nsfconf		*c;
	pid_t			 pid[NWRITERS + 1];
	int			 i, st, bad = 0;

	for (i = 0; i <= NWRITERS; i++) {
		ck_assert_int_ne(pid[i] = fork(), -1);
		if (pid[i] != 0)
			continue;
		for (int k = 0; k < (i == NWRITERS ? 200 : NEACH); k++) {
			if (i == NWRITERS) {	/* the reader */
				c = nsfconf_load(dir, &e);
				bad += c == NULL;
				nsfconf_free(c);
				nsfconf_errors_clear(&e);
				continue;
			}
			int fd = nsfconf_lock(dir);
			char port[16];
			c = nsfconf_load(dir, &e);
			if (fd == -1 || c == NULL)
				_exit(1);
			snprintf(port, sizeof(port), "%u",
			    c->externs[0].port + 1);
			nsfconf_free(c);
			if (commit_port(port, &e) != 0)
				_exit(1);
			nsfconf_unlock(fd);
		}
		_exit(bad != 0);
	}
	for (i = 0; i <= NWRITERS; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "child %d failed", i);
	}
	c = nsfconf_load(dir, &e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->externs[0].port, 5060 + NWRITERS * NEACH);
	nsfconf_free(c);
	ck_assert_int_eq(count_entries("ExternCommunity"), 1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("nsfconf_edit");
	TCase	*tc = tcase_create("edit");
	SRunner	*sr;
	int	 nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, edits_keep_other_lines, 0,
	    sizeof(edit_rows) / sizeof(edit_rows[0]));
	tcase_add_test(tc, edit_corner_cases);
	tcase_add_test(tc, refused_edit_changes_nothing);
	tcase_add_test(tc, cross_document_refusal);
	tcase_add_test(tc, concurrent_editors);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
