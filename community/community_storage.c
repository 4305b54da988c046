/* The storage service: contact lists and other keyed values, one file per user and key. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "log.h"
#include "community.h"

/* Reply codes.  Never answer an empty success for a missing key: under
 * libpurple's default sync mode it wipes the user's local buddy list
 * (PROTOCOL.md 9). */
#define ST_OK		0x00000000
#define ST_NOT_FOUND	0x80000001
#define ST_FAILED	0x80000000

#define ST_MAX_KEYS	32	/* values kept per user */

/* DIR/<hex of the user id>: safe for any id. */
static char *
user_dir(struct community *c, const char *user)
{
	GString *g = g_string_new(c->set.storage);
	const unsigned char *u;

	g_string_append_c(g, '/');
	for (u = (const unsigned char *)user; *u; u++)
		g_string_append_printf(g, "%02x", *u);
	return g_string_free(g, FALSE);
}

/* DIR/<hex of the user id>/<key in hex> */
static char *
key_path(struct community *c, const char *user, uint32_t key)
{
	char *d = user_dir(c, user), *p;

	p = g_strdup_printf("%s/%x", d, key);
	g_free(d);
	return p;
}

/* A client may not fill the disk with keys: at most ST_MAX_KEYS. */
static int
room_for(struct community *c, const char *user, uint32_t key)
{
	char *d = user_dir(c, user), *p = key_path(c, user, key);
	GDir *dir;
	int n = 0, exists = g_file_test(p, G_FILE_TEST_EXISTS);

	if (mkdir(d, 0700) == -1 && errno != EEXIST)
		log_warn("storage: %s", d);
	if ((dir = g_dir_open(d, 0, NULL)) != NULL) {
		while (g_dir_read_name(dir) != NULL)
			n++;
		g_dir_close(dir);
	}
	g_free(d);
	g_free(p);
	return exists || n < ST_MAX_KEYS;
}

static int
load(struct community *c, const char *user, uint32_t key, struct mwOpaque *v)
{
	char *path = key_path(c, user, key);
	gchar *data = NULL;
	gsize len = 0;
	GError *err = NULL;
	int rc = 0;

	v->data = NULL;
	v->len = 0;
	if (!g_file_get_contents(path, &data, &len, &err)) {
		if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			log_warnx("storage: %s", err->message);
		g_error_free(err);
		rc = -1;
	} else {
		v->data = (guchar *)data;
		v->len = len;
	}
	g_free(path);
	return rc;
}

/* Write to a temporary file and rename: a crash never leaves half a list. */
static int
save(struct community *c, const char *user, uint32_t key,
    const struct mwOpaque *v)
{
	char *path, *tmp;
	int fd, rc = -1;

	if (!room_for(c, user, key)) {
		log_warnx("storage: %s: more than %d keys", user, ST_MAX_KEYS);
		return -1;
	}
	path = key_path(c, user, key);
	tmp = g_strdup_printf("%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		log_warn("storage: %s", tmp);
	else if (write(fd, v->data, v->len) != (ssize_t)v->len ||
	    fsync(fd) == -1)
		log_warn("storage: %s", tmp);
	else if (rename(tmp, path) == -1)
		log_warn("storage: rename %s", path);
	else
		rc = 0;
	if (fd != -1)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	g_free(tmp);
	g_free(path);
	return rc;
}

void
cs_storage_recv(struct vsess *s, struct chan *ch, struct mwMsgChannelSend *m)
{
	struct mwGetBuffer *b = mwGetBuffer_wrap(&m->data);
	struct mwPutBuffer *r = mwPutBuffer_new();
	struct mwOpaque v = { 0, NULL };
	guint32 req = 0, count = 0, len, key = 0;
	int bad;

	guint32_get(b, &req);
	guint32_get(b, &count);
	if (m->type == VP_STORAGE_SAVE) {
		guint32_get(b, &len);	/* item length: meaningless */
		guint32_get(b, &key);
		mwOpaque_get(b, &v);
	} else if (m->type == VP_STORAGE_LOAD)
		guint32_get(b, &key);
	bad = mwGetBuffer_error(b) || count != 1;
	mwGetBuffer_free(b);

	guint32_put(r, req);
	switch (m->type) {
	case VP_STORAGE_LOAD:
		if (bad || load(s->c, cs_sess_user(s), key, &v) != 0) {
			guint32_put(r, bad ? ST_FAILED : ST_NOT_FOUND);
			guint32_put(r, 0);
		} else {
			guint32_put(r, ST_OK);
			guint32_put(r, 1);
			guint32_put(r, (guint32)(v.len + 10));
			guint32_put(r, key);
			mwOpaque_put(r, &v);
		}
		log_debug("%s: %s: storage load key 0x%x: %zu bytes", s->addr,
		    cs_sess_user(s), key, v.len);
		cs_sess_send_data(s, ch->id, VP_STORAGE_LOADED, r);
		break;
	case VP_STORAGE_SAVE:
		guint32_put(r, (bad || save(s->c, cs_sess_user(s), key, &v) !=
		    0) ? ST_FAILED : ST_OK);
		log_debug("%s: %s: storage save key 0x%x: %zu bytes", s->addr,
		    cs_sess_user(s), key, v.len);
		cs_sess_send_data(s, ch->id, VP_STORAGE_SAVED, r);
		break;
	default:
		mwPutBuffer_free(r);
		break;
	}
	mwOpaque_clear(&v);
}

int
cs_storage_check(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    access(dir, W_OK | X_OK) == -1)
		return -1;
	return 0;
}
