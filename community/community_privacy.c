/* Privacy lists, enforced: a blocked watcher sees the user offline and cannot open IMs to them. */
#include "config.h"

#include <string.h>

#include "log.h"
#include "community.h"

/*
 * libpurple's mapping (PROTOCOL.md 10): deny=1 with a list blocks the
 * listed ids (an empty deny list allows everyone); deny=0 allows only the
 * listed ids (an empty allow list blocks everyone).
 */
int
cs_privacy_list_allows(const struct mwPrivacyInfo *pi, const char *watcher)
{
	guint32 i;
	int listed = 0;

	if (watcher == NULL)
		return 1;
	for (i = 0; i < pi->count; i++) {
		if (pi->users[i].id != NULL &&
		    strcmp(pi->users[i].id, watcher) == 0) {
			listed = 1;
			break;
		}
	}
	return pi->deny ? !listed : listed;
}

int
cs_privacy_allows(const struct pres *p, const char *watcher)
{
	if (p->external)
		return 1;
	return cs_privacy_list_allows(&p->privacy, watcher);
}

void
cs_privacy_set(struct vsess *s, struct mwPrivacyInfo *pi)
{
	struct pres *p = s->pres;
	struct mwPrivacyInfo old;

	/* The old list, to tell who gains or loses sight of p. */
	old = p->privacy;
	memset(&p->privacy, 0, sizeof(p->privacy));
	mwPrivacyInfo_clone(&p->privacy, pi);
	log_debug("%s: %s: privacy %s list of %u", s->addr, p->id,
	    pi->deny ? "deny" : "allow", pi->count);
	/* Conversations already open with someone now blocked end here:
	 * the check at CHANNEL_CREATE alone would let them go on. */
	cs_im_privacy_close(s->c, p);
	/* Only watchers whose view changed hear of it. */
	cs_aware_privacy_changed(s->c, p, &old);
	cs_stgw_privacy_changed(s->c, p, &old);
	mwPrivacyInfo_clear(&old);
}
