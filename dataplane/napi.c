/* SPDX-License-Identifier: MIT */
#include <liburing.h>
#include <string.h>

#include "dataplane/log.h"
#include "dataplane/napi.h"

int rp_napi_setup(struct io_uring *ring, const struct rp_workers_cfg *wc)
{
	struct io_uring_napi napi = {
		.busy_poll_to = (uint32_t)wc->busy_poll_usec,
		.prefer_busy_poll = wc->prefer_busy_poll,
	};
	int ret;

	if (wc->busy_poll_usec <= 0)
		return 0;
	ret = io_uring_register_napi(ring, &napi);
	if (ret < 0) {
		rp_warn("napi: io_uring_register_napi(busy-poll-usec %ld, prefer-busy-poll %s) "
			"refused: %s; running without busy polling", wc->busy_poll_usec,
			wc->prefer_busy_poll ? "on" : "off", strerror(-ret));
		return ret;
	}
	rp_info("napi: busy polling %ld us per wait (prefer-busy-poll %s)",
		wc->busy_poll_usec, wc->prefer_busy_poll ? "on" : "off");
	return 0;
}
