/* stsipgateway: options, configuration, set-up of every module, the event loop, reload and shutdown. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "privdrop.h"
#include "tls_stream.h"

static void
usage(void)
{
	fprintf(stderr, "usage: stsipgateway [-dDnv] [-c configdir] "
	    "[-f conffile] [-s socket]\n");
	exit(2);
}

/* Load the documents; on error log every one and return NULL. */
static struct nsfconf *
load_docs(const char *dir, char *err, size_t errlen)
{
	struct nsfconf_errors errs = { NULL, 0 };
	struct nsfconf *c;
	size_t i, off = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	c = nsfconf_load(dir, &errs);
	for (i = 0; i < errs.n; i++) {
		log_warnx("%s", errs.msg[i]);
		if (err != NULL && off < errlen)
			off += (size_t)snprintf(err + off, errlen - off,
			    "%s\n", errs.msg[i]);
	}
	if (c == NULL && errs.n == 0 && err != NULL)
		snprintf(err, errlen, "%s: cannot load the documents\n", dir);
	nsfconf_errors_clear(&errs);
	return c;
}

int
gateway_reload(struct gateway *gw, char *err, size_t errlen)
{
	struct nsfconf *c;

	if ((c = load_docs(gw->set.confdir, err, errlen)) == NULL) {
		log_warnx("reload: the documents in %s do not validate; the "
		    "running set (generation %u) is kept", gw->set.confdir,
		    gw->generation);
		return -1;
	}
	nsfconf_free(gw->conf);
	gw->conf = c;
	gw->generation++;
	log_info("reload: documents of %s loaded (generation %u)",
	    gw->set.confdir, gw->generation);
	convertid_reconfigure(gw);
	vpg_reconfigure(gw);
	link_server_push_config(gw);
	return 0;
}

static void
sighup_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct gateway *gw = arg;

	log_info("SIGHUP: reloading");
	log_reopen();
	if (gw->trace != NULL) {
		/* A rotated trace file is reopened under its name. */
		gw_trace_set(gw, 0);
		gw_trace_set(gw, 1);
	}
	gateway_reload(gw, NULL, 0);
}

static void
sigterm_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct gateway *gw = arg;

	log_info("signal %d: shutting down", (int)sig);
	event_base_loopexit(gw->base, NULL);
}

static void
gateway_free(struct gateway *gw)
{
	link_server_free(gw);
	vpg_free(gw);
	presence_free(gw);
	message_free(gw);
	convertid_free(gw);
	sip_free(gw);
	control_free(gw);
	gw_trace_set(gw, 0);
	if (gw->ev_sighup) {
		event_free(gw->ev_sighup);
		event_free(gw->ev_sigterm);
		event_free(gw->ev_sigint);
	}
	nsfconf_free(gw->conf);
	free(gw->stats);
	gw_settings_free(&gw->set);
	event_base_free(gw->base);
}

int
main(int argc, char *argv[])
{
	struct gateway gw;
	const char *confdir = NULL, *ctl = NULL;
	int ch, checkonly = 0, verbose = 0, rc = 0;

	memset(&gw, 0, sizeof(gw));
	gw.cfgfile = NULL;
	while ((ch = getopt(argc, argv, "c:dDf:ns:v")) != -1) {
		switch (ch) {
		case 'c':
			confdir = optarg;
			break;
		case 'd':
		case 'D':
			gw.foreground = 1;
			break;
		case 'f':
			gw.cfgfile = optarg;
			break;
		case 'n':
			checkonly = 1;
			break;
		case 's':
			ctl = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("stsipgateway", gw.foreground || checkonly, verbose);

	if (gw_settings_load(&gw.set, gw.cfgfile) != 0)
		rc = 1;
	if (confdir != NULL) {
		free(gw.set.confdir);
		gw.set.confdir = gw_strdup(confdir);
	}
	if (ctl != NULL) {
		free(gw.set.ctl_path);
		gw.set.ctl_path = gw_strdup(ctl);
	}
	if (gw.set.confdir == NULL) {
		log_warnx("no configuration directory (-c or ConfigDir)");
		rc = 1;
	} else if ((gw.conf = load_docs(gw.set.confdir, NULL, 0)) == NULL)
		rc = 1;
	/* The bind password must be the daemon's secret alone. */
	if (gw.set.ldap_pwfile != NULL &&
	    secret_file_check(gw.set.ldap_pwfile) != 0)
		rc = 1;
	if (gw.set.user != NULL && privdrop_check_user(gw.set.user) != 0)
		rc = 1;
	if (gw.set.tls_cert == NULL || gw.set.tls_key == NULL ||
	    gw.set.tls_ca == NULL) {
		log_warnx("%s: TLSCert, TLSKey and TLSCA are required (the "
		    "link with the connectors is mutual TLS)",
		    gw.cfgfile ? gw.cfgfile : "settings");
		rc = 1;
	} else if (checkonly && secret_file_check(gw.set.tls_key) != 0)
		rc = 1;		/* the daemon would refuse it too */
	if (checkonly) {
		if (rc == 0)
			fprintf(stderr, "configuration OK\n");
		nsfconf_free(gw.conf);
		gw_settings_free(&gw.set);
		return rc;
	}
	if (rc != 0)
		return 1;

	signal(SIGPIPE, SIG_IGN);
	if ((gw.base = tls_stream_base_new()) == NULL)
		fatalx("event_base_new");
	gw.generation = 1;
	if (sip_init(&gw) != 0 || presence_init(&gw) != 0 ||
	    message_init(&gw) != 0 || convertid_init(&gw) != 0 ||
	    control_init(&gw) != 0 || link_server_init(&gw) != 0 ||
	    vpg_init(&gw) != 0) {
		gateway_free(&gw);
		return 1;
	}
	/* Ports and sockets are bound: from here on, no root. */
	if (gw.set.user != NULL && privdrop_user(gw.set.user) != 0) {
		gateway_free(&gw);
		return 1;
	}
	if (gw.set.trace)
		gw_trace_set(&gw, 1);
	gw.ev_sighup = evsignal_new(gw.base, SIGHUP, sighup_cb, &gw);
	gw.ev_sigterm = evsignal_new(gw.base, SIGTERM, sigterm_cb, &gw);
	gw.ev_sigint = evsignal_new(gw.base, SIGINT, sigterm_cb, &gw);
	evsignal_add(gw.ev_sighup, NULL);
	evsignal_add(gw.ev_sigterm, NULL);
	evsignal_add(gw.ev_sigint, NULL);
	if (!gw.foreground && daemon(0, 0) == -1)
		fatal("daemon");
	log_info("started: documents %s, link port %u", gw.set.confdir,
	    gw.set.listen_port);

	event_base_dispatch(gw.base);

	gateway_free(&gw);
	log_info("stopped");
	return 0;
}
