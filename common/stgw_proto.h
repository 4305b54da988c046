/*
 * STGW: the server-application extension of VP by which stsipgateway owns
 * the external ("@E user@domain") users of a community served by
 * stcommunity.  This header is the single declaration of that interface;
 * doc/stgw-protocol.md explains it with examples.  Built only from VP
 * primitives (see ../shared/vp/PROTOCOL.md section 1): str = u16 length +
 * bytes, UserStatus = u16 status, u32 time, str text; all big-endian.
 *
 * 1. Login.  The gateway opens a normal VP connection to VPMX_PORT, sends
 *    HANDSHAKE with login_type STGW_LOGIN_TYPE, then LOGIN with
 *    login_type STGW_LOGIN_TYPE and user_id the gateway's name; auth_type
 *    and auth data are ignored (a gateway built on libmeanwhile's client may
 *    send RC2 data with an empty password).  The server admits it only when the
 *    TCP source address is in CommunityConnectivity.CommunityTrustedIps
 *    (LOGIN_ACK), else it destroys channel 0 with 0x80000210
 *    (USER_RESTRICTED) and closes.  Ordinary clients can never log in with
 *    STGW_LOGIN_TYPE.  One gateway session at a time: a second trusted login
 *    replaces the first (the old one is destroyed with 0x80000227).
 *
 * 2. Control channel.  The gateway creates a channel with service
 *    STGW_SERVICE, proto_type STGW_SERVICE, proto_ver STGW_VERSION, and
 *    addtl = u32 STGW_VERSION.  The server accepts it (encryption mode 0) or
 *    destroys it with 0x80000200 (VERSION_MISMATCH).  All messages below are
 *    CHANNEL_SEND on that channel with the given msg_type.  After the accept
 *    the server sends WATCH_START for every external user already watched
 *    (a resync after a reconnect).
 *
 * 3. Messages, server -> gateway:
 *    WATCH_START   str external_id, str watcher_id
 *		    an internal user started watching an external user (sent
 *		    once per (external, watcher) pair)
 *    WATCH_STOP    str external_id, str watcher_id
 *    INTERNAL_STATUS  str external_watcher, str internal_id, UserStatus
 *		    status of an internal user as that external watcher may
 *		    see it (privacy applied: a blocked watcher gets status 0);
 *		    sent after WATCH_INTERNAL and on every change
 *    WATCH_INTERNAL_RESULT  u32 req_id, u32 code
 *    IM_RESULT     u32 channel_id, u32 code
 *		    answer to each text/data message the gateway sent on an IM
 *		    channel it created: 0 = written to the recipient's
 *		    connection, else a VP error code
 *    RESOLVE_RESULT  u32 req_id, u32 code, str query, str internal_id,
 *		    str mail, str display_name
 *
 *    gateway -> server:
 *    PRESENCE      str external_id, UserStatus
 *		    the external user's status (0x0000 = offline); the server
 *		    fans it out to the watchers, subject to their privacy
 *    WATCH_INTERNAL  u32 req_id, str external_watcher, str internal_id
 *		    an external user watches an internal one (SUBSCRIBE); the
 *		    server answers WATCH_INTERNAL_RESULT, then INTERNAL_STATUS
 *    UNWATCH_INTERNAL  str external_watcher, str internal_id
 *    RESOLVE       u32 req_id, u32 kind (STGW_RESOLVE_*), str query
 *		    map an internal ID to its e-mail or back, from the
 *		    community's user store (the users file's e-mail field);
 *		    the gateway's ConvertID backend for sites without LDAP
 *
 * 4. IM.  An IM channel an internal user opens to an "@E " target is
 *    relayed to the gateway session as a server-created channel (creator =
 *    the internal user, target = the external id); the gateway accepts it
 *    and later destroys it with an error reason when SIP delivery fails
 *    (the sender's client shows an error).  With no gateway session the
 *    server destroys the sender's channel at once with 0x80002000.
 *    The gateway opens IM channels to internal users as an external user:
 *    CHANNEL_CREATE with creator_present = 1 and creator.user_id = the
 *    "@E " id (accepted only on the gateway session, only "@E " ids).  The
 *    server destroys it with 0x80000213 for an unknown user and 0x80002000
 *    for an offline one.
 *
 * 5. When the gateway session ends, every external user is shown offline
 *    to every watcher until a gateway logs in again.
 */
#ifndef STSIP_STGW_PROTO_H
#define STSIP_STGW_PROTO_H

#define STGW_LOGIN_TYPE		0x5347		/* "SG" */
#define STGW_SERVICE		0x00535701	/* our own service id */
#define STGW_VERSION		1
#define STGW_EXTERNAL_PREFIX	"@E "

/* server -> gateway */
#define STGW_MSG_WATCH_START		0x0001
#define STGW_MSG_WATCH_STOP		0x0002
#define STGW_MSG_INTERNAL_STATUS	0x0003
#define STGW_MSG_WATCH_INTERNAL_RESULT	0x0004
#define STGW_MSG_IM_RESULT		0x0005
#define STGW_MSG_RESOLVE_RESULT		0x0006
/* gateway -> server */
#define STGW_MSG_PRESENCE		0x0101
#define STGW_MSG_WATCH_INTERNAL		0x0102
#define STGW_MSG_UNWATCH_INTERNAL	0x0103
#define STGW_MSG_RESOLVE		0x0104

#define STGW_RESOLVE_ID_TO_MAIL		1
#define STGW_RESOLVE_MAIL_TO_ID		2

/* result codes (VP error values where one fits) */
#define STGW_OK				0x00000000
#define STGW_ERR_NO_SUCH_USER		0x80000213	/* USER_UNREGISTERED */
#define STGW_ERR_USER_OFFLINE		0x80002000	/* ERR_CLIENT_USER_GONE */
#define STGW_ERR_BLOCKED		0x80000210	/* USER_RESTRICTED */
#define STGW_ERR_DND			0x80002001
#define STGW_ERR_MALFORMED		0x80000005

#endif
