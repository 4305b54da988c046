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
cs_privacy_allows(const struct pres *p, const char *watcher)
{
	guint32 i;
	int listed = 0;

	if (p->external || watcher == NULL)
		return 1;
	for (i = 0; i < p->privacy.count; i++) {
		if (p->privacy.users[i].id != NULL &&
		    strcmp(p->privacy.users[i].id, watcher) == 0) {
			listed = 1;
			break;
		}
	}
	return p->privacy.deny ? !listed : listed;
}

void
cs_privacy_set(struct vsess *s, struct mwPrivacyInfo *pi)
{
	struct pres *p = s->pres;

	mwPrivacyInfo_clear(&p->privacy);
	mwPrivacyInfo_clone(&p->privacy, pi);
	log_debug("%s: %s: privacy %s list of %u", s->addr, p->id,
	    pi->deny ? "deny" : "allow", pi->count);
	/* Conversations already open with someone now blocked end here:
	 * the check at CHANNEL_CREATE alone would let them go on. */
	cs_im_privacy_close(s->c, p);
	/* Re-send everyone what they may now see. */
	cs_aware_changed(s->c, p);
}
