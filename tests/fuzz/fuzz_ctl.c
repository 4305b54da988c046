/*
 * libFuzzer target for the control-socket protocol (ctl_proto.h): the input
 * is the byte stream either end reads, stsipgateway (requests from stconfig)
 * or stconfig (replies from the daemon).  The header helpers are the only
 * decoder of that format; a frame that decodes must carry back the header
 * that ctl_header_put() writes for it.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*payload;
	const char	*text;
	uint8_t		 type, hdr[CTL_HEADER_LEN];
	uint32_t	 plen, code;
	size_t		 framelen, textlen;
	int		 rc;

	while (size > 0) {
		rc = ctl_frame_peek(data, size, &type, &payload, &plen,
		    &framelen);
		if (rc == ENODATA || rc == EBADMSG || rc == EPROTONOSUPPORT)
			break;
		if (rc != 0 || framelen != CTL_HEADER_LEN + (size_t)plen ||
		    framelen > size || payload != data + CTL_HEADER_LEN ||
		    plen > CTL_MAX_PAYLOAD)
			abort();
		ctl_header_put(hdr, type, plen);
		if (memcmp(hdr, data, CTL_HEADER_LEN) != 0)
			abort();
		if (type == CTL_REPLY &&
		    ctl_reply_get(payload, plen, &code, &text, &textlen) == 0) {
			if (text != (const char *)payload + 4 ||
			    textlen != plen - 4)
				abort();
		} else if (type != CTL_REQUEST && type != CTL_REPLY)
			abort();
		data += framelen;
		size -= framelen;
	}
	return 0;
}
