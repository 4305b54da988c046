/*
 * Private to the VP side of the gateway: vp_gateway.c (the STGW session
 * and its control channel) and vp_im.c (IM channels).
 */
#ifndef STSIP_VP_GATEWAY_H
#define STSIP_VP_GATEWAY_H

#include <sys/queue.h>
#include <stdint.h>
#include <time.h>

#include <glib.h>

struct bufferevent;
struct mwMessage;
struct mwMsgChannelCreate;
struct mwMsgChannelSend;
struct mwPutBuffer;
struct im_chan;

enum vpg_state { VG_DOWN, VG_CONNECTING, VG_HANDSHAKE, VG_LOGIN, VG_CONTROL,
    VG_UP };

struct vp_gateway {
	struct gateway	*gw;
	enum vpg_state	 state;
	struct bufferevent *bev;
	struct event	*retry, *keepalive;
	int		 backoff;
	uint32_t	 ctl_chan;
	uint32_t	 next_chan;
	char		 host[256];
	uint16_t	 port;
	time_t		 since;
	uint64_t	 sessions, im_in, im_out;
	char		 last_error[128];
	TAILQ_HEAD(, im_chan) chans;	/* vp_im.c */
	GHashTable	*chan_ids;	/* channel id -> im_chan */
	int		 held;		/* not read: IMs in flight at the mark */
};

/* vp_gateway.c */
void	 vpg_send_put(struct vp_gateway *, struct mwPutBuffer *);
const char *vpg_strip_ext(const char *id);
void	 vpg_hold(struct vp_gateway *, int hold);

/* vp_im.c: the session hands it every IM channel event */
void	 vpim_create(struct vp_gateway *, struct mwMsgChannelCreate *);
int	 vpim_accepted(struct vp_gateway *, uint32_t chan);
int	 vpim_send(struct vp_gateway *, uint32_t chan,
	    struct mwMsgChannelSend *);
void	 vpim_destroyed(struct vp_gateway *, uint32_t chan, uint32_t reason);
void	 vpim_result(struct vp_gateway *, uint32_t chan, uint32_t code);
/* Every channel ends (session gone, or shutdown with fail = 0). */
void	 vpim_drop_all(struct vp_gateway *, int fail);
size_t	 vpim_count(struct vp_gateway *);

#endif
