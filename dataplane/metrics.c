/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus exporter: libmicrohttpd serves GET /metrics from its own
 * thread; each scrape renders the counter blocks into a fresh buffer.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "dataplane/log.h"
#include "dataplane/metrics.h"

#define MHD_ERR_MAX 256

struct rp_metrics {
	struct MHD_Daemon *daemon;
	struct rp_metrics_source src;
	unsigned port;
	bool serving;			/* start-up done: log, don't collect */
	char start_err[MHD_ERR_MAX];	/* libmicrohttpd's reason it could not start */
};

static const char content_type[] = "text/plain; version=0.0.4; charset=utf-8";

/* ---- rendering --------------------------------------------------------- */

/* A label value with \, " and newline escaped, as the format requires. */
static void put_label_value(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': fputs("\\\\", out); break;
		case '"':  fputs("\\\"", out); break;
		case '\n': fputs("\\n", out); break;
		default:   fputc(*s, out);
		}
	}
}

static const char *const kind_type[] = {
	[RP_CK_COUNTER] = "counter",
	[RP_CK_GAUGE] = "gauge",
};

static const char *const kind_suffix[] = {
	[RP_CK_COUNTER] = "_total",
	[RP_CK_GAUGE] = "",
};

static void render_info(FILE *out)
{
	struct utsname u;

	if (uname(&u) < 0)
		strcpy(u.release, "unknown");
	fputs("# HELP ringplane_info Build and kernel of the running appliance\n"
	      "# TYPE ringplane_info gauge\n"
	      "ringplane_info{version=\"", out);
	put_label_value(out, RP_VERSION);
	fputs("\",kernel=\"", out);
	put_label_value(out, u.release);
	fputs("\"} 1\n", out);
}

static void render_worker_cpus(FILE *out, const struct rp_metrics_source *src)
{
	if (!src->worker_cpus)
		return;
	fputs("# HELP ringplane_worker_cpu CPU the worker thread is pinned to\n"
	      "# TYPE ringplane_worker_cpu gauge\n", out);
	for (unsigned w = 0; w < src->n_workers; w++)
		fprintf(out, "ringplane_worker_cpu{worker=\"%u\"} %d\n", w, src->worker_cpus[w]);
}

static void render_counter(FILE *out, const struct rp_metrics_source *src, enum rp_counter k)
{
	const struct rp_counter_desc *d = &rp_counter_table[k];
	const char *sfx = kind_suffix[d->kind];

	fprintf(out, "# HELP ringplane_%s%s %s\n# TYPE ringplane_%s%s %s\n",
		d->name, sfx, d->help, d->name, sfx, kind_type[d->kind]);
	for (unsigned w = 0; w < src->n_workers; w++) {
		for (unsigned slot = 0; slot <= src->n_services; slot++) {
			const struct rp_counters *c = src->block(src->arg, w, slot);

			if (!c)
				continue;
			fprintf(out, "ringplane_%s%s{worker=\"%u\"", d->name, sfx, w);
			if (slot < src->n_services) {
				fputs(",service=\"", out);
				put_label_value(out, src->service_names[slot]);
				fputc('"', out);
			}
			fprintf(out, "} %llu\n", (unsigned long long)rp_counter_read(c, k));
		}
	}
}

int rp_metrics_render(FILE *out, const struct rp_metrics_source *src)
{
	render_info(out);
	for (unsigned k = 0; k < RP_C__COUNT; k++)
		render_counter(out, src, k);
	/* After the counters: a reader (metrics_parse.c) makes its rows in the
	 * order the counters name them and then adds each worker's CPU. */
	render_worker_cpus(out, src);
	return ferror(out) ? -1 : 0;
}

/* ---- HTTP -------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
			     const char *type, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status,
				  const char *msg)
{
	return reply(conn, status, "text/plain; charset=utf-8", (char *)msg,
		     strlen(msg), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result serve_metrics(struct MHD_Connection *conn,
				     const struct rp_metrics_source *src)
{
	char *body = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&body, &len);

	if (!out)
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	if (rp_metrics_render(out, src) < 0 || fclose(out) != 0) {
		free(body);
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "rendering failed\n");
	}
	return reply(conn, MHD_HTTP_OK, content_type, body, len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct rp_metrics *m = cls;

	(void)version;
	(void)upload_data;
	(void)req_cls;
	if (*upload_data_size)		/* a body nobody asked for: drop it */
		*upload_data_size = 0;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
	if (!strcmp(url, "/metrics"))
		return serve_metrics(conn, &m->src);
	if (!strcmp(url, "/"))
		return reply_text(conn, MHD_HTTP_OK, "ringplane: metrics at /metrics\n");
	return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
}

/* libmicrohttpd's own messages: during start-up the caller reports the last
 * one; afterwards (from its thread) they go to the log. */
static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	struct rp_metrics *m = cls;
	char msg[MHD_ERR_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	if (__atomic_load_n(&m->serving, __ATOMIC_ACQUIRE))
		rp_warn("metrics: %s", msg);
	else
		memcpy(m->start_err, msg, sizeof(msg));
}

struct rp_metrics *rp_metrics_start(const struct rp_metrics_cfg *cfg,
				    const struct rp_metrics_source *src,
				    char *err, size_t errlen)
{
	struct rp_metrics *m = calloc(1, sizeof(*m));
	/* AUTO: epoll or poll, never select(), whose FD_SETSIZE an appliance
	 * with a raised RLIMIT_NOFILE can outgrow. */
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	sigset_t all, old;
	const union MHD_DaemonInfo *info;

	if (!m) {
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	m->src = *src;
	if (cfg->listen.ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The exporter thread inherits our signal mask: block everything so
	 * SIGTERM/SIGINT reach the thread that handles shutdown, never this. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	m->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m,
				     MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&cfg->listen.ss,
				     MHD_OPTION_EXTERNAL_LOGGER, log_mhd, m,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!m->daemon) {
		snprintf(err, errlen, "metrics: cannot serve on %s (libmicrohttpd: %s)", cfg->listen.text,
			 m->start_err[0] ? m->start_err : strerror(errno ? errno : EINVAL));
		free(m);
		return NULL;
	}
	__atomic_store_n(&m->serving, true, __ATOMIC_RELEASE);
	info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
	m->port = info ? info->port : 0;
	return m;
}

unsigned rp_metrics_port(const struct rp_metrics *m)
{
	return m->port;
}

void rp_metrics_stop(struct rp_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->daemon);
	free(m);
}
