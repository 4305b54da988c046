/* stconfig's live commands: status, reload and trace of a running stsipgateway over its control socket. */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "stconfig.h"

#define LIVE_TIMEOUT_MS	10000

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One request, one reply; the reply's text goes to stdout (or stderr
 * when the gateway says the command failed). */
static int
live(struct stconfig *st, const char *cmd)
{
	const char *path = st->socket ? st->socket : CTL_DEFAULT_SOCKET;
	struct sockaddr_un sun;
	uint8_t hdr[CTL_HEADER_LEN], *buf = NULL, type;
	const uint8_t *payload;
	const char *text;
	size_t have = 0, cap = 0, framelen, textlen;
	uint32_t plen, code;
	struct pollfd pfd;
	ssize_t n;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		stconfig_warnx("%s: socket path too long", path);
		return STCONFIG_FAIL;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		stconfig_warnx("%s: %s (is stsipgateway running? -s SOCKET)",
		    path, strerror(errno));
		if (fd != -1)
			close(fd);
		return STCONFIG_FAIL;
	}
	ctl_header_put(hdr, CTL_REQUEST, (uint32_t)strlen(cmd));
	if (write_all(fd, hdr, sizeof(hdr)) == -1 ||
	    write_all(fd, cmd, strlen(cmd)) == -1) {
		stconfig_warnx("%s: %s", path, strerror(errno));
		close(fd);
		return STCONFIG_FAIL;
	}
	for (;;) {
		if (have == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > CTL_MAX_PAYLOAD + CTL_HEADER_LEN + 1 ||
			    (buf = realloc(buf, cap)) == NULL) {
				stconfig_warnx("%s: reply too long", path);
				rc = STCONFIG_FAIL;
				goto out;
			}
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, LIVE_TIMEOUT_MS) <= 0) {
			stconfig_warnx("%s: no reply from the gateway", path);
			rc = STCONFIG_FAIL;
			goto out;
		}
		if ((n = read(fd, buf + have, cap - have)) <= 0) {
			stconfig_warnx("%s: the gateway closed the connection",
			    path);
			rc = STCONFIG_FAIL;
			goto out;
		}
		have += (size_t)n;
		rc = ctl_frame_peek(buf, have, &type, &payload, &plen,
		    &framelen);
		if (rc == ENODATA)
			continue;
		if (rc != 0 || type != CTL_REPLY || ctl_reply_get(payload, plen,
		    &code, &text, &textlen) != 0) {
			stconfig_warnx("%s: malformed reply (control protocol "
			    "version %d expected)", path, CTL_PROTO_VERSION);
			rc = STCONFIG_FAIL;
			goto out;
		}
		fwrite(text, 1, textlen, code == CTL_OK ? stdout : stderr);
		rc = code == CTL_OK ? STCONFIG_OK : STCONFIG_FAIL;
		break;
	}
out:
	free(buf);
	close(fd);
	return rc;
}

int
stconfig_status(struct stconfig *st, int argc, char **argv)
{
	return live(st, "status");
}

int
stconfig_reload(struct stconfig *st, int argc, char **argv)
{
	return live(st, "reload");
}

int
stconfig_trace(struct stconfig *st, int argc, char **argv)
{
	if (strcmp(argv[0], "on") == 0)
		return live(st, "trace on");
	if (strcmp(argv[0], "off") == 0)
		return live(st, "trace off");
	return stconfig_usage("trace");
}
