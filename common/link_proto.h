/*
 * The connector <-> gateway link: one TLS stream (mutual certificates) that
 * the connector dials from the DMZ into the gateway.  This header is the
 * single declaration of that wire format; link_codec.c is its only encoder
 * and decoder, linked by both ends.
 *
 * Every frame is a fixed 8-byte header followed by the payload:
 *
 *	u8  version	LINK_PROTO_VERSION; any other value is a fatal link error
 *	u8  type	enum link_frame_type
 *	u16 flags	0 (reserved; non-zero is malformed)
 *	u32 length	payload bytes, <= LINK_MAX_PAYLOAD
 *
 * All integers are big-endian.  Inside payloads:
 *	str	u16 length + bytes (no NUL; UTF-8); length <= LINK_MAX_STR
 *	blob	u32 length + bytes
 * A payload must be consumed exactly: bytes left over, or fields that run
 * past the payload, make the frame malformed (EBADMSG), which closes the link.
 *
 * Payloads by type:
 *
 * HELLO (connector -> gateway, first frame):
 *	u16 proto_version, str connector_name, str software ("stsip 0.1.0")
 * HELLO_ACK (gateway -> connector, answer to HELLO):
 *	u16 proto_version, str gateway_name
 *	A gateway that does not know connector_name (no CommunityConnector
 *	document of that name) sends ERROR and closes instead.
 * CONFIG (gateway -> connector, after HELLO_ACK and again on every change):
 *	u32 generation, u32 count, count x { str relpath, blob content }
 *	The documents this connector needs, as the files of a configuration
 *	directory (see nsfconf.h for the layout): CommunityGateway.ini, this
 *	connector's CommunityConnector/<name>.ini and every ExternCommunity it
 *	serves.  relpath never contains "..", a leading "/" or more than one "/".
 *	The connector answers CONFIG_ACK, or ERROR if the set does not validate
 *	(then it keeps the set it had).
 * CONFIG_ACK (connector -> gateway): u32 generation
 * SIP (both ways): one SIP message with its transport metadata
 *	u32 flow	connector's id of the external connection/flow the
 *			message came in on, or must leave on (0 = any: route it)
 *	u8  transport	enum link_transport
 *	u8  family	4 or 6
 *	u8  flags	LINK_SIP_F_* bits
 *	u8  reserved	0
 *	u8[16] addr	the external peer's address (IPv4 in the first 4 bytes)
 *	u16 port	the external peer's port
 *	str community	ExternCommunity name the connector verified the peer
 *			against (inbound), or "" (outbound / unknown)
 *	blob message	the SIP message, exactly as on the wire
 *	Connector -> gateway: requests from the Internet that passed the
 *	first-stage checks and IP trust, and responses to the gateway's own
 *	requests.  Gateway -> connector: requests to send out (routed by the
 *	connector from the Request-URI unless flow != 0) and responses to
 *	inbound requests (flow and address copied from the request).
 * HEARTBEAT (both ways): u32 sequence.  Each side sends one every
 *	LINK_HEARTBEAT_SECS and declares the link dead after
 *	LINK_DEAD_SECS without any frame from the peer.
 * ERROR (both ways): u32 code (enum link_error), str text.  Sent before the
 *	sender closes the link.
 */
#ifndef STSIP_LINK_PROTO_H
#define STSIP_LINK_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define LINK_PROTO_VERSION	1
#define LINK_HEADER_LEN		8
#define LINK_MAX_PAYLOAD	(256 * 1024)
#define LINK_MAX_SIP		(64 * 1024)
#define LINK_MAX_STR		1024
#define LINK_MAX_CONFIG_FILES	1024
#define LINK_HEARTBEAT_SECS	2
#define LINK_DEAD_SECS		7
#define LINK_DEFAULT_PORT	5070	/* gateway's link listener */

enum link_frame_type {
	LINK_HELLO = 1,
	LINK_HELLO_ACK = 2,
	LINK_CONFIG = 3,
	LINK_CONFIG_ACK = 4,
	LINK_SIP = 5,
	LINK_HEARTBEAT = 6,
	LINK_ERROR = 7,
};

enum link_transport {
	LINK_TP_UDP = 1,
	LINK_TP_TCP = 2,
	LINK_TP_TLS = 3,
};

#define LINK_SIP_F_CERT_VERIFIED	0x01	/* TLS peer cert matched the domain */

enum link_error {
	LINK_ERR_VERSION = 1,		/* protocol version not supported */
	LINK_ERR_UNKNOWN_CONNECTOR = 2,	/* no CommunityConnector of that name */
	LINK_ERR_UNTRUSTED = 3,		/* source IP not in CommunityTrustedIps */
	LINK_ERR_MALFORMED = 4,		/* a frame failed to decode */
	LINK_ERR_CONFIG = 5,		/* pushed documents did not validate */
	LINK_ERR_SHUTDOWN = 6,		/* peer is stopping */
};

#endif
