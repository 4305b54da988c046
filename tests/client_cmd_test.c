/* Unit test of stclient's command parser: each stdin line must reach the right action with the right ID. */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stclient.h"

/* The parser's callees, replaced by stubs that record one call. */
static char called[512];

struct stc *stc;

void
stc_emit(const char *fmt, ...)
{
	va_list ap;
	char buf[400];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	snprintf(called, sizeof(called), "emit|%s", buf);
}

void stc_quit(void) { snprintf(called, sizeof(called), "quit"); }
void stc_watch(const char *id, int add)
{ snprintf(called, sizeof(called), "watch%d|%s", add, id); }
void stc_block(const char *id, int add)
{ snprintf(called, sizeof(called), "block%d|%s", add, id); }
void stc_status(guint16 st, const char *text)
{ snprintf(called, sizeof(called), "status|0x%x|%s", st, text ? text : "(null)"); }
void stc_msg(const char *id, const char *text)
{ snprintf(called, sizeof(called), "msg|%s|%s", id, text); }
void stc_resolve(const char *q)
{ snprintf(called, sizeof(called), "resolve|%s", q); }
void stc_load(guint32 key)
{ snprintf(called, sizeof(called), "load|%u", key); }
void stc_save(guint32 key, const char *text)
{ snprintf(called, sizeof(called), "save|%u|%s", key, text); }

static const struct {
	const char *line;
	const char *want;
} vec[] = {
	{ "watch bob", "watch1|bob" },
	{ "unwatch bob", "watch0|bob" },
	{ "watch @E bob@beta.example", "watch1|@E bob@beta.example" },
	{ "watch bob extra", "emit|error - usage: watch ID" },
	{ "watch", "emit|error - usage: watch ID" },
	{ "watch @E ", "emit|error - usage: watch ID" },
	{ "watch @E  bob", "emit|error - usage: watch ID" },
	{ "msg bob hello world", "msg|bob|hello world" },
	{ "msg @E bob@beta.example hello", "msg|@E bob@beta.example|hello" },
	{ "msg @E bob@beta.example  two  spaces", "msg|@E bob@beta.example| two  spaces" },
	{ "msg bob", "emit|error - usage: msg ID TEXT" },
	{ "msg bob ", "emit|error - usage: msg ID TEXT" },
	{ "msg bob hi\r", "msg|bob|hi" },
	{ "status away", "status|0x60|(null)" },
	{ "status dnd in a meeting", "status|0x80|in a meeting" },
	{ "status active back", "status|0x20|back" },
	{ "status idle", "emit|error - status must be active, away or dnd" },
	{ "block carol", "block1|carol" },
	{ "unblock @E x@y", "block0|@E x@y" },
	{ "resolve alice", "resolve|alice" },
	{ "load 0", "load|0" },
	{ "load 0x50", "load|80" },
	{ "load x", "emit|error - usage: load KEY" },
	{ "save 0 Version=3.1.3\\r\\n", "save|0|Version=3.1.3\\r\\n" },
	{ "save 0", "emit|error - usage: save KEY TEXT" },
	{ "quit", "quit" },
	{ "quit now", "emit|error - unknown command: quit" },
	{ "frobnicate", "emit|error - unknown command: frobnicate" },
	{ "", "" },
	{ "# a comment", "" },
};

START_TEST(test_cmd_vector)
{
	char *line = strdup(vec[_i].line);

	called[0] = '\0';
	stc_cmd_line(line);
	ck_assert_str_eq(called, vec[_i].want);
	free(line);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("stclient_cmd");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_cmd_vector, 0, sizeof(vec) / sizeof(vec[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
