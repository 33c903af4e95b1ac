/*
 * intake.c - route one message and record what it causes.
 *
 * Routing by recipient (DESIGN.md "Addresses"):
 *   LOCAL@DOMAIN            intake: a license owner opens a ticket, anyone
 *                           else gets one polite notice (rate-limited);
 *   LOCAL+N-TOKEN@DOMAIN    a reply to ticket N, when the token is valid;
 *                           a wrong token never threads: the message is
 *                           handled as sent to the intake address and the
 *                           attempt is written to the audit log;
 *   anything else           not ours (5.1.1).
 * Robots (classify.c) and unparseable mail are stored and never answered.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "act.h"
#include "address.h"
#include "cache.h"
#include "error.h"
#include "guard.h"
#include "identity.h"
#include "intake.h"
#include "log.h"
#include "notice.h"
#include "plan.h"
#include "policy.h"
#include "quote.h"
#include "template.h"
#include "thread.h"
#include "ticket-life.h"
#include "token.h"

#ifndef PACKAGE_VERSION		/* the fuzz build's config.h has none */
#define PACKAGE_VERSION "unknown"
#endif

static const char *const action_names[] = {
	[INTAKE_CREATED] = "created",
	[INTAKE_UPDATED] = "updated",
	[INTAKE_DUPLICATE] = "duplicate",
	[INTAKE_STRANGER] = "stranger",
	[INTAKE_ROBOT] = "robot",
	[INTAKE_QUARANTINED] = "quarantined",
	[INTAKE_NOUSER] = "nouser",
	[INTAKE_GUARD_REJECT] = "guard-rejected",
	[INTAKE_GUARD_KEEP] = "guard-kept",
	[INTAKE_GUARD_PASS] = "guard-passed",
};

const char *
intake_action_name(enum intake_action action)
{
	return action_names[action];
}

void
intake_mail_limits(const struct desk_conf *conf, struct mail_limits *limits)
{
	limits->max_depth = conf->max_depth;
	limits->max_parts = conf->max_parts;
	limits->max_headers = conf->max_headers;
	limits->max_header_line = conf->max_header_line;
	limits->max_header_size = conf->max_header_size;
	limits->max_text_size = conf->max_text_size;
	limits->max_attachments = conf->max_attachments;
	limits->max_attachment_size = conf->max_attachment_size;
}

void
intake_result_clear(struct intake_result *res)
{
	g_free(res->dsn);
	g_free(res->detail);
	memset(res, 0, sizeof(*res));
}

/* Set a template or rule variable; -Wwrite-strings wants the cast here. */
static void
intake_var(GHashTable *vars, const char *name, const char *value)
{
	g_hash_table_insert(vars, (gpointer)name, (gpointer)value);
}

/* Each rule of quotes.rules must be one quote.c reads. */
static int
intake_check_quotes(struct rules *quotes, GError **error)
{
	guint i;

	for (i = 0; i < rules_count(quotes); i++) {
		const struct rule *r = rules_get(quotes, i);

		if (!quote_rule_is_known(r->label, r->field)) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s: \"%s %s\" is none of the labels quote.c "
			    "reads (see the comment of quotes.rules)",
			    r->where, r->label, r->field);
			return -1;
		}
	}
	return 0;
}

/*
 * Each label of robots.rules is a class classify.c knows; "human" is
 * evidence against a report only, a hint (classify.h).
 */
static int
intake_check_robots(struct rules *robots, GError **error)
{
	guint i;

	for (i = 0; i < rules_count(robots); i++) {
		const struct rule *r = rules_get(robots, i);

		if (strcmp(r->label, "human") == 0 && !r->hint) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s: a \"human\" rule is a hint, never decisive",
			    r->where);
			return -1;
		}
		if (strcmp(r->label, "human") != 0 &&
		    strcmp(r->label, "autoreply") != 0 &&
		    strcmp(r->label, "bounce") != 0 &&
		    strcmp(r->label, "list") != 0 &&
		    strcmp(r->label, "loop") != 0) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s: label \"%s\" is none of autoreply, bounce, "
			    "list, loop, human", r->where, r->label);
			return -1;
		}
	}
	return 0;
}

/*
 * The files of [desk] filters, in the order of the cache's blobs; the
 * last is the word list, the others rule files.
 */
static const char *const intake_filter_files[] = {
	"robots.rules", "assessment.rules", "quotes.rules", "languages.words",
};
#define INTAKE_WORDS 3

/*
 * Write what was just compiled to the cache, for the next process. A
 * cache that cannot be written (no directory, no permission, a full
 * disk) costs only the compiling: it is logged at debug level, since a
 * flood would repeat it once a message.
 */
static void
intake_cache_save(struct intake *in, struct cache *cache,
    const char *const *paths)
{
	struct rules *sets[] = { in->robots, in->assessment, in->quotes };
	GError *error = NULL;
	guint i;

	for (i = 0; i < G_N_ELEMENTS(sets); i++) {
		GBytes *blob = rules_save(sets[i]);

		if (blob == NULL) {
			log_debug("%s: cannot serialise its patterns: not "
			    "cached", paths[i]);
			return;
		}
		cache_set(cache, i, blob);
		g_bytes_unref(blob);
	}
	{
		GBytes *blob = language_save(in->languages);

		cache_set(cache, INTAKE_WORDS, blob);
		g_bytes_unref(blob);
	}
	if (cache_write(cache, &error) < 0) {
		log_debug("compiled rules not cached: %s", error->message);
		g_error_free(error);
		return;
	}
	in->cache_written = true;
	log_debug("compiled rules cached (the cache was %s)",
	    cache_state_name(cache_state(cache)));
}

/*
 * The cache's file name: one per filters directory and desk address (the
 * patterns hold the address), so that two configurations sharing a
 * cache directory do not overwrite each other's.
 */
char *
intake_cache_name(const struct desk_conf *conf)
{
	char *id = g_strdup_printf("%s\n%s", conf->filters, conf->address);
	char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, id, -1);
	char *name = g_strdup_printf("deskgate-filters-%.16s.cache", sum);

	g_free(sum);
	g_free(id);
	return name;
}

int
intake_load_rules(struct intake *in, GError **error)
{
	enum { N = G_N_ELEMENTS(intake_filter_files) };
	const struct desk_conf *conf = in->conf;
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	char *paths[N] = { NULL }, *texts[N] = { NULL };
	struct rules **sets[] = { &in->robots, &in->assessment, &in->quotes };
	struct cache *cache = NULL;
	char *name = NULL, *rules_salt;
	GString *key;
	bool compiled = false;
	int rc = -1;
	guint i;

	intake_var(vars, "desk_address", conf->address);
	/* what the compiled files depend on besides their bytes */
	rules_salt = rules_save_salt();
	key = g_string_new(NULL);
	g_string_printf(key, "deskgate %s\n%s\nwords 2\ndesk_address=%s\n",
	    PACKAGE_VERSION, rules_salt, conf->address);
	for (i = 0; i < N; i++) {
		GError *local = NULL;
		gsize len;

		paths[i] = g_build_filename(conf->filters,
		    intake_filter_files[i], NULL);
		/* compiled from these very bytes, which the key sums */
		texts[i] = cache_source_read(key, paths[i], &len, &local);
		if (texts[i] == NULL) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s file: %s", i == INTAKE_WORDS ? "language" :
			    "rule", local->message);
			g_error_free(local);
			goto out;
		}
	}
	name = intake_cache_name(conf);
	cache = cache_open(conf->cache_dir, name, key->str, N);

	for (i = 0; i < G_N_ELEMENTS(sets); i++) {
		GBytes *blob = cache_get(cache, i);

		if (blob != NULL && (*sets[i] = rules_restore(blob)) != NULL)
			continue;
		if ((*sets[i] = rules_load_text(paths[i], texts[i], vars,
		    error)) == NULL)
			goto out;
		compiled = true;
	}
	if (cache_get(cache, INTAKE_WORDS) == NULL || (in->languages =
	    language_restore(cache_get(cache, INTAKE_WORDS))) == NULL) {
		if ((in->languages = language_load_text(paths[INTAKE_WORDS],
		    texts[INTAKE_WORDS], error)) == NULL)
			goto out;
		compiled = true;
	}
	if (intake_check_robots(in->robots, error) < 0 ||
	    intake_check_quotes(in->quotes, error) < 0)
		goto out;
	in->cache = cache_state(cache);
	in->cache_written = false;
	if (compiled)
		intake_cache_save(in, cache, (const char *const *)paths);
	rc = 0;
out:
	if (rc < 0)
		intake_free_rules(in);
	cache_free(cache);
	g_free(name);
	g_string_free(key, TRUE);
	g_free(rules_salt);
	for (i = 0; i < N; i++) {
		g_free(paths[i]);
		g_free(texts[i]);
	}
	g_hash_table_destroy(vars);
	return rc;
}

void
intake_free_rules(struct intake *in)
{
	rules_free(in->robots);
	rules_free(in->assessment);
	rules_free(in->quotes);
	language_free(in->languages);
	in->robots = in->assessment = in->quotes = NULL;
	in->languages = NULL;
}

guint
intake_jit_rules(struct intake *in)
{
	struct rules *sets[] = { in->robots, in->assessment, in->quotes };
	guint i, done = 0;

	for (i = 0; i < G_N_ELEMENTS(sets); i++)
		if (sets[i] != NULL)
			done += rules_jit(sets[i]);
	return done;
}

/*
 * The trace fields relays add on the way (RFC 5321 4.4, RFC 8601, RFC
 * 8617, and the usual filters'): a redelivery of one message differs
 * only in these, so the duplicate key leaves them out.
 */
static bool
intake_is_trace_field(const char *name)
{
	static const char *const names[] = {
		"Received", "Return-Path", "Delivered-To", "X-Original-To",
		"X-Envelope-From", "X-Envelope-To", "Authentication-Results",
		"ARC-Authentication-Results", "ARC-Message-Signature",
		"ARC-Seal", "Received-SPF", "X-Received",
	};
	static const char *const prefixes[] = { "X-Spam-", "X-Virus-" };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(names); i++)
		if (g_ascii_strcasecmp(name, names[i]) == 0)
			return true;
	for (i = 0; i < G_N_ELEMENTS(prefixes); i++)
		if (g_ascii_strncasecmp(name, prefixes[i],
		    strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* SHA-256 of the header fields but the trace fields, in order. */
static void
intake_hash_header(GChecksum *sum, const struct mail *mail)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(
	    (GMimeObject *)mail->message);
	int i, n = list ? g_mime_header_list_get_count(list) : 0;

	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		const char *name = g_mime_header_get_name(h);
		const char *raw = g_mime_header_get_raw_value(h);

		if (intake_is_trace_field(name))
			continue;
		g_checksum_update(sum, (const guchar *)name, -1);
		g_checksum_update(sum, (const guchar *)":", 1);
		if (raw != NULL)
			g_checksum_update(sum, (const guchar *)raw, -1);
		g_checksum_update(sum, (const guchar *)"\n", 1);
	}
}

static void
intake_sum_lower(GChecksum *sum, const char *s)
{
	char *lower = g_ascii_strdown(s ? s : "", -1);

	g_checksum_update(sum, (const guchar *)lower, -1);
	g_checksum_update(sum, (const guchar *)"\n", 1);
	g_free(lower);
}

char *
intake_dedup_key(const struct intake_mail *m, GError **error)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	char *key;

	/*
	 * The same delivery again: the same Message-ID, recipient, envelope
	 * sender and From, the same header apart from trace lines, the same
	 * body. Anything else (a stranger who copies a Message-ID and the
	 * text) is a message of its own.
	 */
	intake_sum_lower(sum, m->mail->message_id);
	intake_sum_lower(sum, m->recipient);
	intake_sum_lower(sum, m->sender);
	intake_sum_lower(sum, m->mail->from_addr);
	if (m->mail->message != NULL) {
		intake_hash_header(sum, m->mail);
		g_checksum_update(sum, (const guchar *)m->spool->body_sha256,
		    -1);
	} else {
		/* what GMime cannot parse is known by all its bytes */
		char *all = spool_sha256(m->spool, error);

		if (all == NULL) {
			g_checksum_free(sum);
			return NULL;
		}
		g_checksum_update(sum, (const guchar *)all, -1);
		g_free(all);
	}
	key = g_strdup(g_checksum_get_string(sum));
	g_checksum_free(sum);
	return key;
}

/* The letters of S in lower case: what a loop repeats, digits aside. */
static void
intake_sum_letters(GChecksum *sum, const char *s)
{
	GString *letters = g_string_new(NULL);
	const char *p;

	for (p = s; p != NULL && *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char_validated(p, -1);

		if (c == (gunichar)-1 || c == (gunichar)-2)
			break;
		if (g_unichar_isalpha(c))
			g_string_append_unichar(letters,
			    g_unichar_tolower(c));
	}
	g_checksum_update(sum, (const guchar *)letters->str,
	    (gssize)letters->len);
	g_checksum_update(sum, (const guchar *)"\n", 1);
	g_string_free(letters, TRUE);
}

char *
intake_fingerprint(const struct intake_mail *m)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	const char *subject = m->mail->subject;
	char *fp;

	/*
	 * One sender (envelope and From) saying the same thing again: the
	 * letters of the subject without its reply prefixes and tags, and of
	 * the new text; numbers, blanks and punctuation left out, so an
	 * auto-responder's "ticket 123 received" repeats as "ticket 124".
	 */
	intake_sum_lower(sum, m->sender);
	intake_sum_lower(sum, m->mail->from_addr);
	while (subject != NULL && (g_ascii_strncasecmp(subject, "re:", 3) ==
	    0 || g_ascii_strncasecmp(subject, "fw:", 3) == 0 ||
	    g_ascii_strncasecmp(subject, "aw:", 3) == 0 ||
	    g_ascii_strncasecmp(subject, "fwd:", 4) == 0 || *subject == ' '))
		subject += *subject == ' ' ? 1 :
		    g_ascii_strncasecmp(subject, "fwd:", 4) == 0 ? 4 : 3;
	intake_sum_letters(sum, subject);
	intake_sum_letters(sum, m->reply_text);
	if (m->reply_text == NULL || *m->reply_text == '\0')
		g_checksum_update(sum, (const guchar *)m->spool->body_sha256,
		    -1);
	fp = g_strdup(g_checksum_get_string(sum));
	g_checksum_free(sum);
	return fp;
}

/* Store the message, its raw bytes and its attachments. */
static int64_t
intake_store_message(struct intake *in, const struct intake_mail *m,
    int64_t ticket, const char *author, const char *class, const char *flags,
    const char *dedup_key, GError **error)
{
	struct message_new row = { 0 };
	int64_t id;
	guint i;

	row.ticket_id = ticket;
	row.direction = "in";
	row.author = author;
	row.message_id = m->mail->message_id;
	row.dedup_key = dedup_key;
	row.envelope_from = m->sender;
	row.recipient = m->recipient;
	row.from_addr = m->mail->from_addr;
	row.subject = m->mail->subject;
	row.class = class ? class : mail_class_name(m->class->class);
	row.flags = flags;
	row.text = m->mail->text;
	row.reply_text = m->reply_text;
	row.language = m->language;
	row.fingerprint = m->fingerprint;
	row.raw_fd = m->spool->fd;
	row.raw_size = m->spool->size;
	if (lseek(m->spool->fd, 0, SEEK_SET) < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "rewinding the spool: %s", g_strerror(errno));
		return -1;
	}
	if ((id = store_message_add(in->store, &row, error)) < 0)
		return -1;
	for (i = 0; i < m->mail->attachments->len; i++) {
		struct mail_attachment *a = g_ptr_array_index(
		    m->mail->attachments, i);

		if (a->fd < 0)
			continue;
		if (lseek(a->fd, 0, SEEK_SET) < 0) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
			    "rewinding an attachment: %s", g_strerror(errno));
			return -1;
		}
		if (store_attachment_add(in->store, id, a->filename,
		    a->content_type, a->fd, a->size, error) < 0)
			return -1;
	}
	store_fault_point("after-attachments");
	return id;
}

const char *const *const intake_notice_common_vars = plan_common_vars;
static const char *const intake_vars_ticket[] = {
	"ticket", "subject", "reply_address", "customer_name", "preapproved",
	"balance", NULL,
};
static const char *const intake_vars_stranger[] = {
	"subject", "known_customer", NULL,
};
static const char *const intake_vars_agree_howto[] = {
	"ticket", "subject", "reply_address", "customer_name", NULL,
};
static const char *const intake_vars_guard[] = {
	"guarded_address", "subject", "ticket", NULL,
};
/* Keep in step with the intake_plan_*() functions that fill the vars. */
static const struct intake_notice intake_notice_table[] = {
	{ "ack", intake_vars_ticket },
	{ "language", intake_vars_ticket },
	{ "stranger", intake_vars_stranger },
	{ "agree-howto", intake_vars_agree_howto },
	{ "guard", intake_vars_guard },
	{ NULL, NULL },
};

const struct intake_notice *
intake_notices(void)
{
	static struct intake_notice *all;

	/* intake's own, then those of the engineers' side (act.c) */
	if (all == NULL) {
		const struct act_notice *more = act_notices();
		size_t n = G_N_ELEMENTS(intake_notice_table) - 1, k, i;

		for (k = 0; more[k].name != NULL; k++)
			;
		all = g_new0(struct intake_notice, n + k + 1);
		for (i = 0; i < n; i++)
			all[i] = intake_notice_table[i];
		for (i = 0; i < k; i++) {
			all[n + i].name = more[i].name;
			all[n + i].vars = more[i].vars;
		}
	}
	return all;
}

char *
intake_notice_names(void)
{
	const struct intake_notice *all = intake_notices();
	GString *s = g_string_new(NULL);
	size_t i;

	for (i = 0; all[i].name != NULL; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "",
		    all[i].name);
	return g_string_free(s, FALSE);
}

/* ---- the plan: what one message causes, decided before it is written */

struct intake_plan {
	enum intake_action action;
	int64_t ticket;		/* filed in or opened; 0: none */
	bool open_ticket;	/* a new ticket, numbered ticket */
	int64_t customer_id;	/* of the new ticket */
	char *ticket_subject;
	char *ticket_lang;
	bool preapproved;	/* of the new ticket */
	bool set_preapproved;	/* of the existing ticket */
	const char *author;
	const char *class;	/* NULL: the classification's */
	GString *flags;		/* comma-separated words */
	char *status_from;	/* an existing ticket's change; NULL: none */
	char *status_to;
	int64_t failed_notice;	/* a bounce reports this outbox item */
	char *failed_note;
	struct plan w;		/* notices, ticket changes, credits, audit */
	char *detail;		/* for the log line */
	bool built;		/* the notices are built */
};

static void
intake_plan_init(struct intake_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->flags = g_string_new(NULL);
	plan_init(&plan->w);
}

static void
intake_plan_clear(struct intake_plan *plan)
{
	g_free(plan->ticket_subject);
	g_free(plan->ticket_lang);
	if (plan->flags != NULL)
		g_string_free(plan->flags, TRUE);
	g_free(plan->status_from);
	g_free(plan->status_to);
	g_free(plan->failed_note);
	plan_clear(&plan->w);
	g_free(plan->detail);
	memset(plan, 0, sizeof(*plan));
}

static void
intake_plan_flag(struct intake_plan *plan, const char *word)
{
	if (plan->flags->len > 0)
		g_string_append_c(plan->flags, ',');
	g_string_append(plan->flags, word);
}

/* An audit entry to write; takes DETAIL (transfer full). */
static void
intake_plan_audit(struct intake_plan *plan, const char *action,
    int64_t ticket, char *detail)
{
	plan_audit(&plan->w, action, ticket, detail);
}

/* A notice to queue; VARS is taken (transfer full). */
static struct plan_notice *
intake_plan_notice(struct intake_plan *plan, const char *kind,
    const char *lang, const char *to, const char *to_name, int64_t ticket,
    const char *reply_to, GHashTable *vars)
{
	return plan_notice(&plan->w, kind, lang, to, to_name, ticket,
	    reply_to, vars);
}

/*
 * Everything PLAN decided, as text: the plan made before the transaction
 * is used inside it only when the plan made again under the lock says
 * the same.
 */
static char *
intake_plan_digest(const struct intake_plan *plan)
{
	GString *d = g_string_new(NULL);

	g_string_append_printf(d, "%d|%" G_GINT64_FORMAT "|%d|%"
	    G_GINT64_FORMAT "|%s|%s|%d|%d|%s|%s|%s|%s|%s|%" G_GINT64_FORMAT
	    "|%s", plan->action, (gint64)plan->ticket, plan->open_ticket,
	    (gint64)plan->customer_id, plan->ticket_subject ?
	    plan->ticket_subject : "", plan->ticket_lang ? plan->ticket_lang :
	    "", plan->preapproved, plan->set_preapproved, plan->author ?
	    plan->author : "", plan->class ? plan->class : "",
	    plan->flags->str, plan->status_from ? plan->status_from : "",
	    plan->status_to ? plan->status_to : "",
	    (gint64)plan->failed_notice, plan->failed_note ?
	    plan->failed_note : "");
	plan_digest(&plan->w, d);
	return g_string_free(d, FALSE);
}

/* "Assessment: agree" on a line of the new text (never in a quote). */
static bool
intake_agrees(struct intake *in, const struct intake_mail *m)
{
	return classify_text_match(in->assessment, "agree", m->reply_text);
}

/* Notices in the language of the message, else the customer's. */
static const char *
intake_lang(const struct intake_mail *m, const struct customer *c)
{
	if (strcmp(m->language, "en") == 0 || strcmp(m->language, "ru") == 0)
		return m->language;
	return c != NULL && c->lang != NULL ? c->lang : "en";
}

/* Whether automatic notices may still go to this sender this hour. */
struct intake_sender {
	const struct identity *id;
	bool notices;		/* under loop_limit */
	bool owner;		/* From or envelope is a customer's */
};

static int intake_plan_announce(struct intake *in,
    const struct intake_mail *m, const struct ticket *t, const char *marks,
    struct intake_plan *plan, GError **error);

/* A license owner's new request: a ticket and its acknowledgment. */
static int
intake_plan_open(struct intake *in, const struct intake_mail *m,
    const struct intake_sender *s, struct intake_plan *plan, GError **error)
{
	const struct desk_conf *conf = in->conf;
	const struct identity *id = s->id;
	const struct customer *c = &id->customer;
	/* support is in English and Russian: say so to anyone else */
	const char *kind = strcmp(m->language, "other") == 0 ? "language" :
	    "ack", *why = NULL;
	const char *subject = *m->mail->subject ? m->mail->subject :
	    "(no subject)";
	bool agrees = intake_agrees(in, m);
	int64_t ticket, balance = 0;
	GHashTable *vars;
	char *reply_to, *name;

	if ((ticket = store_ticket_next_id(in->store, error)) < 0)
		return -1;
	plan->action = INTAKE_CREATED;
	plan->ticket = ticket;
	plan->open_ticket = true;
	plan->customer_id = c->id;
	plan->ticket_subject = g_strdup(subject);
	plan->ticket_lang = g_strdup(intake_lang(m, c));
	plan->author = "customer";
	/* a forged From: must not agree to be charged in a customer's name */
	plan->preapproved = c->preapprove || (agrees && identity_may(id,
	    IDENTITY_PREAPPROVE_NEW, 0, 0, &why));
	if (agrees && !plan->preapproved)
		intake_plan_audit(plan, "action-refused", ticket,
		    g_strdup_printf("preapproval in the request ignored: %s",
		    why));
	intake_plan_audit(plan, "ticket-opened", ticket, g_strdup_printf(
	    "customer=%s preapproved=%s language=%s", c->email,
	    plan->preapproved ? "yes" : "no", m->language));
	{
		/* the engineers hear of it, whatever the customer is sent */
		struct ticket t = { 0 };

		t.id = ticket;
		t.customer_id = c->id;
		t.subject = plan->ticket_subject;
		t.status = (char *)"new";
		t.lang = plan->ticket_lang;
		t.flags = (char *)"";
		t.preapproved = plan->preapproved;
		if (intake_plan_announce(in, m, &t, "", plan, error) < 0)
			return -1;
	}
	if (!s->notices) {
		intake_plan_flag(plan, "no-notice");
		return 0;
	}
	if (!address_check(id->from, &why)) {
		intake_plan_audit(plan, "notice-refused", ticket,
		    g_strdup_printf("acknowledgment: %s", why));
		return 0;
	}
	if (store_ledger_balance(in->store, c->id, &balance, error) < 0)
		return -1;
	reply_to = token_address(conf->secret, conf->address_local,
	    conf->domain, ticket, TOKEN_ROLE_CUSTOMER);
	name = notice_cut_text(c->name && *c->name ? c->name :
	    *m->mail->from_name ? m->mail->from_name : id->from,
	    NOTICE_NAME_MAX);
	vars = plan_vars_new(conf);
	intake_var(vars, "ticket",
	    g_strdup_printf("%" G_GINT64_FORMAT, (gint64)ticket));
	intake_var(vars, "subject", notice_cut_text(subject,
	    NOTICE_SUBJECT_MAX));
	intake_var(vars, "reply_address", g_strdup(reply_to));
	intake_var(vars, "customer_name", name);
	intake_var(vars, "preapproved",
	    g_strdup(plan->preapproved ? "1" : ""));
	intake_var(vars, "balance",
	    g_strdup_printf("%" G_GINT64_FORMAT, (gint64)balance));
	intake_plan_notice(plan, kind, intake_lang(m, c), id->from,
	    m->mail->from_name, ticket, reply_to, vars);
	g_free(reply_to);
	return 0;
}

/* Someone who may not open a ticket wrote to the intake address. */
static int
intake_plan_stranger(struct intake *in, const struct intake_mail *m,
    const struct intake_sender *s, const char *refused,
    struct intake_plan *plan, GError **error)
{
	const struct desk_conf *conf = in->conf;
	const struct identity *id = s->id;
	const struct customer *c = id->customer.id ? &id->customer : NULL;
	int64_t since = (int64_t)time(NULL) -
	    (int64_t)conf->stranger_notice_hours * 3600;
	const char *to, *why = NULL;
	int recent = 0;
	GHashTable *vars;

	plan->action = INTAKE_STRANGER;
	plan->author = "stranger";
	if (id->auth == IDENTITY_AUTH_FAIL && s->owner) {
		/* a license owner's address that failed DMARC/SPF: shown */
		intake_plan_flag(plan, "auth-failed");
		intake_plan_flag(plan, "suppressed");
		intake_plan_audit(plan, "action-refused", 0, g_strdup_printf(
		    "from=%s: %s (%s)", id->from, refused,
		    id->auth_note ? id->auth_note : ""));
		plan->detail = g_strdup(refused);
		return 0;
	}
	if (!s->notices) {
		intake_plan_flag(plan, "no-notice");
		return 0;
	}
	/* RFC 3834 4: to the envelope sender, and only when it is sane */
	if ((to = identity_notice_address(id, &why)) == NULL) {
		plan->detail = g_strdup_printf("no notice: %s", why);
		if (*id->envelope != '\0')
			intake_plan_audit(plan, "notice-refused", 0,
			    g_strdup_printf("stranger notice to <%s> (From %s):"
			    " %s", id->envelope, id->from, why));
		return 0;
	}
	if (g_ascii_strcasecmp(to, conf->address) == 0 ||
	    g_ascii_strcasecmp(id->from, conf->address) == 0)
		return 0;
	if (conf->stranger_notice_hours > 0) {
		char *lower = g_ascii_strdown(to, -1);

		recent = store_outbox_recent(in->store, "stranger", lower,
		    since, error);
		g_free(lower);
		if (recent < 0)
			return -1;
	}
	if (recent > 0) {
		plan->detail = g_strdup("notice already sent recently");
		return 0;
	}
	vars = plan_vars_new(conf);
	intake_var(vars, "subject", notice_cut_text(
	    *m->mail->subject ? m->mail->subject : "(no subject)",
	    NOTICE_SUBJECT_MAX));
	intake_var(vars, "known_customer", g_strdup(c != NULL ? "1" : ""));
	intake_plan_notice(plan, "stranger", intake_lang(m, c), to,
	    m->mail->from_name, 0, NULL, vars);
	return 0;
}

/* The first line of the new text, to read a confirm or decline from. */
static char *
intake_first_line(const char *text)
{
	const char *p = text ? text : "", *nl;

	while (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')
		p++;
	nl = strchr(p, '\n');
	return g_strndup(p, nl ? (size_t)(nl - p) : strlen(p));
}

/* Tell the engineers of the customer's message M in ticket T. */
static int
intake_plan_announce(struct intake *in, const struct intake_mail *m,
    const struct ticket *t, const char *marks, struct intake_plan *plan,
    GError **error)
{
	char *keys = mail_over_limit_keys(m->mail), *all = NULL;
	int rc;

	/* the engineers see that the text or the files may be incomplete */
	if (keys != NULL)
		all = g_strdup_printf("%s%sNOT ALL READ: over [limits] %s; the "
		    "raw mail is stored whole", marks ? marks : "",
		    marks && *marks ? "; " : "", keys);
	rc = act_announce(in->conf, in->store, t, m->reply_text,
	    m->mail->text, all ? all : marks, m->mail->message_id, &plan->w,
	    error);
	g_free(all);
	g_free(keys);
	return rc;
}

/*
 * Mail to ticket T's staff reply address. A registered engineer's is
 * the answer and its commands (act.c); anyone else's acts on nothing.
 * Returns 1 when it is handled, 0 when it is to be filed as the
 * customer's reply (the customer wrote to the wrong address), -1.
 */
static int
intake_plan_staff(struct intake *in, const struct intake_mail *m,
    const struct intake_sender *s, const struct ticket *t,
    struct intake_plan *plan, GError **error)
{
	const struct identity *id = s->id;
	struct act_reply r = { 0 };
	struct act_outcome out = { 0 };
	struct staff engineer = { 0 };
	const char *why = NULL;
	int found, dropped = 0;

	plan->action = INTAKE_UPDATED;
	plan->ticket = t->id;
	if (!identity_may(id, IDENTITY_COMMAND, t->id, t->customer_id, &why)) {
		intake_plan_audit(plan, "action-refused", t->id,
		    g_strdup_printf("staff reply address used by %s "
		    "(envelope <%s>): %s", id->from, id->envelope, why));
		if (identity_speaker_customer(id) == t->customer_id)
			return 0;
		plan->author = "other";
		intake_plan_flag(plan, "action-refused");
		plan->detail = g_strdup_printf("not an engineer: %s", why);
		return 1;
	}
	if ((found = store_staff_get(in->store, id->from, &engineer,
	    error)) <= 0) {
		if (found == 0)
			g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
			    "engineer %s vanished", id->from);
		return -1;
	}
	plan->author = "staff";
	r.ticket = t;
	r.engineer = &engineer;
	r.text = m->reply_text;
	r.message_id = m->mail->message_id;
	/* what the engineer attached goes to the customer with the answer */
	if ((r.attachments = plan_attachments(m->mail, &dropped,
	    error)) == NULL) {
		staff_clear(&engineer);
		return -1;
	}
	if (dropped > 0)
		intake_plan_audit(plan, "attachments-dropped", t->id,
		    g_strdup_printf("%d of %s's attachments not passed on "
		    "(forwarded mail, vCard, TNEF, signature, unnamed image)",
		    dropped, id->from));
	if (act_reply(in->conf, in->store, &r, &plan->w, &out, error) < 0) {
		g_ptr_array_unref(r.attachments);
		staff_clear(&engineer);
		return -1;
	}
	g_ptr_array_unref(r.attachments);
	if (out.note)
		intake_plan_flag(plan, "note");
	if (out.refused) {
		intake_plan_flag(plan, "command-error");
		plan->detail = g_strdup_printf("commands refused: %s",
		    out.errors);
	} else {
		plan->detail = g_strdup(out.summary);
	}
	act_outcome_clear(&out);
	staff_clear(&engineer);
	return 1;
}

/*
 * Mail to confirmation notice SERIAL's address of ticket T: only the
 * ticket's customer, only while that notice is the pending one, only a
 * confirm or decline on the first line of the new text. 1 handled, 0 to
 * be filed as the customer's reply, -1 on error.
 */
static int
intake_plan_confirmation(struct intake *in, const struct intake_mail *m,
    const struct intake_sender *s, const struct ticket *t,
    struct intake_plan *plan, GError **error)
{
	const struct identity *id = s->id;
	struct confirmation c;
	const char *why = NULL;
	char *first;
	bool yes, no;
	int found;

	plan->action = INTAKE_UPDATED;
	plan->ticket = t->id;
	if (!identity_may(id, IDENTITY_CONFIRM, t->id, t->customer_id, &why)) {
		intake_plan_audit(plan, "action-refused", t->id,
		    g_strdup_printf("confirmation %" G_GINT64_FORMAT " from %s"
		    " (envelope <%s>): %s", (gint64)id->token.serial,
		    id->from, id->envelope, why));
		plan->author = identity_speaker_customer(id) ==
		    t->customer_id ? "customer" : "other";
		intake_plan_flag(plan, "action-refused");
		plan->detail = g_strdup_printf("confirmation refused: %s",
		    why);
		return 1;
	}
	plan->author = "customer";
	first = intake_first_line(m->reply_text);
	yes = classify_text_match(in->assessment, "confirm", first);
	no = classify_text_match(in->assessment, "decline", first);
	g_free(first);
	if (yes == no)
		return 0;	/* neither, or both: words for the engineers */
	if ((found = store_confirmation_get(in->store, id->token.serial, &c,
	    error)) < 0)
		return -1;
	if (!found || c.ticket_id != t->id || strcmp(c.status, "pending") !=
	    0 || strcmp(t->status, "awaiting_confirmation") != 0) {
		/* a replay, or an old notice's: it changes nothing */
		intake_plan_audit(plan, "confirmation-stale", t->id,
		    g_strdup_printf("%s to confirmation %" G_GINT64_FORMAT
		    " (%s), ticket %s", yes ? "confirm" : "decline",
		    (gint64)id->token.serial, found ? c.status : "unknown",
		    t->status));
		intake_plan_flag(plan, "stale-confirmation");
		plan->detail = g_strdup("stale confirmation: nothing changed");
		return 1;
	}
	if (act_confirm(in->conf, in->store, t, &c, yes, m->mail->message_id,
	    &plan->w, error) < 0)
		return -1;
	plan->detail = g_strdup_printf("confirmation %" G_GINT64_FORMAT
	    " %s", (gint64)c.id, yes ? "confirmed" : "declined");
	return 1;
}

/* A reply threaded into ticket T: file it, reopen what was done. */
static int
intake_plan_reply(struct intake *in, const struct intake_mail *m,
    const struct intake_sender *s, const struct ticket *t,
    struct intake_plan *plan, GError **error)
{
	const struct desk_conf *conf = in->conf;
	const struct identity *id = s->id;
	const char *status = t->status, *why = NULL;
	int handled = 0;

	if (id->token.kind == ADDRESS_REPLY && id->token.ticket == t->id) {
		if (id->token.role == TOKEN_ROLE_STAFF)
			handled = intake_plan_staff(in, m, s, t, plan, error);
		else if (id->token.role == TOKEN_ROLE_CONFIRM)
			handled = intake_plan_confirmation(in, m, s, t, plan,
			    error);
		if (handled != 0)
			return handled < 0 ? -1 : 0;
	}
	plan->action = INTAKE_UPDATED;
	plan->ticket = t->id;
	if (identity_speaker_customer(id) == t->customer_id)
		plan->author = "customer";
	else if (identity_may(id, IDENTITY_ACT_AS_STAFF, t->id, t->customer_id,
	    NULL) || identity_may(id, IDENTITY_COMMAND, t->id, t->customer_id,
	    NULL))
		plan->author = "staff";	/* an engineer's own envelope or token */
	else
		plan->author = "other";
	/* "Assessment: agree" in a reply, as the acknowledgment suggests */
	if (!t->preapproved && strcmp(plan->author, "staff") != 0 &&
	    intake_agrees(in, m)) {
		if (identity_may(id, IDENTITY_AGREE, t->id, t->customer_id,
		    &why)) {
			struct confirmation c;
			int pending;

			plan->set_preapproved = true;
			intake_plan_audit(plan, "preapproved", t->id,
			    g_strdup("by the customer's reply"));
			/* agreeing now is confirming what waits for it */
			if (strcmp(t->status, "awaiting_confirmation") == 0) {
				if ((pending = store_confirmation_pending(
				    in->store, t->id, &c, error)) < 0)
					return -1;
				if (pending && act_confirm(conf, in->store, t, &c,
				    true, m->mail->message_id, &plan->w,
				    error) < 0)
					return -1;
			}
		} else {
			struct customer c = { 0 };
			int found, recent;
			int64_t since = (int64_t)time(NULL) - 86400;

			intake_plan_audit(plan, "action-refused", t->id,
			    g_strdup_printf("agree from %s: %s", id->from,
			    why));
			/*
			 * In the customer's name: tell the real customer how,
			 * at the registered address, once a day at most.
			 */
			if (strcmp(plan->author, "customer") != 0)
				goto status;
			if ((found = store_customer_get(in->store,
			    t->customer_id, &c, error)) < 0)
				return -1;
			if (found) {
				char *lower = g_ascii_strdown(c.email, -1);

				g_free(c.email);
				c.email = lower;
			}
			recent = found ? store_outbox_recent(in->store,
			    "agree-howto", c.email, since, error) : 1;
			if (recent < 0) {
				customer_clear(&c);
				return -1;
			}
			if (recent == 0 && s->notices &&
			    address_check(c.email, NULL)) {
				GHashTable *vars = plan_vars_new(conf);
				char *reply_to = token_address(conf->secret,
				    conf->address_local, conf->domain, t->id,
				    TOKEN_ROLE_CUSTOMER);

				intake_var(vars, "ticket", g_strdup_printf(
				    "%" G_GINT64_FORMAT, (gint64)t->id));
				intake_var(vars, "subject", notice_cut_text(
				    t->subject, NOTICE_SUBJECT_MAX));
				intake_var(vars, "reply_address",
				    g_strdup(reply_to));
				intake_var(vars, "customer_name",
				    notice_cut_text(c.name && *c.name ? c.name
				    : c.email, NOTICE_NAME_MAX));
				intake_plan_notice(plan, "agree-howto",
				    t->lang, c.email, c.name, t->id, reply_to,
				    vars);
				g_free(reply_to);
			}
			customer_clear(&c);
		}
	}
status:
	/* the customer writes again: the engineers have work to do */
	if (strcmp(plan->author, "staff") != 0) {
		int from = life_status_parse(t->status);
		const struct life_row *row = from < 0 ? NULL : life_step(
		    (enum life_status)from, LIFE_CUSTOMER_WRITES, LIFE_ANY);

		if (row != NULL)
			status = life_status_name(life_next(row,
			    (enum life_status)from));
	}
	plan->status_to = g_strdup(status);	/* its time of change, too */
	if (strcmp(status, t->status) != 0) {
		plan->status_from = g_strdup(t->status);
		intake_plan_audit(plan, "status", t->id, g_strdup_printf(
		    "%s -> %s", t->status, status));
	}
	if (strcmp(plan->author, "customer") == 0) {
		struct ticket now = *t;
		GString *marks = g_string_new(NULL);
		guint i;
		int rc;

		/* what was refused in it is shown to the engineers */
		for (i = 0; i < plan->w.audits->len; i++) {
			const struct plan_audit *a = g_ptr_array_index(
			    plan->w.audits, i);

			if (strcmp(a->action, "action-refused") == 0)
				g_string_append_printf(marks, "%sREFUSED: %s",
				    marks->len ? "; " : "", a->detail);
		}
		now.status = (char *)status;
		rc = intake_plan_announce(in, m, &now, marks->str, plan,
		    error);
		g_string_free(marks, TRUE);
		return rc;
	}
	return 0;
}

/* Does the From or envelope address belong to a customer? */
static bool
intake_is_owner(const struct identity *id)
{
	return id->from_customer > 0 || id->envelope_customer > 0;
}

/*
 * A message to a guarded address (guard.c has the table): a license
 * owner is rejected or kept; anyone else passes, and nothing is stored.
 */
static int
intake_plan_guard(struct intake *in, const struct intake_mail *m,
    struct intake_plan *plan, GError **error)
{
	const struct desk_conf *conf = in->conf;
	struct guard_facts f = { 0 };
	struct guard_decision d;
	int64_t since, open;
	int recent;

	f.null_sender = *m->sender == '\0';
	f.robot = m->mail->malformed || m->class->class != MAIL_CLASS_HUMAN;
	{
		char *note = NULL;

		f.auth_failed = identity_auth_verdict(m->mail,
		    conf->authserv_id, &note) == IDENTITY_AUTH_FAIL;
		g_free(note);
	}
	if ((f.from_owner = guard_owner(in->store, m->mail->from_addr,
	    error)) < 0 || (f.envelope_owner = guard_owner(in->store,
	    m->sender, error)) < 0)
		return -1;
	guard_table(&f, conf->guard_action, &d);
	plan->detail = g_strdup_printf("guard: %s", d.rule);
	if (d.verdict == GUARD_PASS) {
		plan->action = INTAKE_GUARD_PASS;
		return 0;
	}
	if ((open = store_ticket_open_of(in->store, d.customer, error)) < 0)
		return -1;
	intake_plan_audit(plan, d.verdict == GUARD_REJECT ? "guard-rejected" :
	    "guard-kept", open, g_strdup_printf("from=%s envelope=<%s> to=%s "
	    "rule=%s", m->mail->from_addr, m->sender, m->recipient, d.rule));
	if (d.verdict == GUARD_REJECT) {
		plan->action = INTAKE_GUARD_REJECT;
		return 0;
	}
	/* kept: stored for the audit and for the engineers to see */
	plan->action = INTAKE_GUARD_KEEP;
	plan->author = "customer";
	intake_plan_flag(plan, "outside-help-desk");
	if (open > 0) {
		/* the engineers see it in the customer's open ticket */
		struct ticket *t = NULL;
		char *marks;
		int got = store_ticket_get(in->store, open, &t, error), rc;

		if (got < 0)
			return -1;
		if (got) {
			marks = g_strdup_printf("OUTSIDE THE HELP DESK: written "
			    "to %s and kept by the guard, not filed in this "
			    "ticket", m->recipient);
			rc = intake_plan_announce(in, m, t, marks, plan, error);
			g_free(marks);
			ticket_free(t);
			if (rc < 0)
				return -1;
		}
	}
	since = (int64_t)time(NULL) - (int64_t)conf->guard_notice_hours * 3600;
	{
		char *kind = g_ascii_strdown(m->recipient, -1), *lower = kind;

		kind = g_strdup_printf("guard:%s", lower);
		g_free(lower);
		char *to = g_ascii_strdown(m->sender, -1);
		struct customer c = { 0 };
		GHashTable *vars;
		struct plan_notice *pn;
		int found;

		recent = store_outbox_recent(in->store, kind, to, since, error);
		if (recent != 0 || !address_check(to, NULL)) {
			g_free(kind);
			g_free(to);
			return recent < 0 ? -1 : 0;
		}
		if ((found = store_customer_get(in->store, d.customer, &c,
		    error)) < 0) {
			g_free(kind);
			g_free(to);
			return -1;
		}
		vars = plan_vars_new(conf);
		intake_var(vars, "guarded_address", g_strdup(m->recipient));
		intake_var(vars, "subject", notice_cut_text(
		    *m->mail->subject ? m->mail->subject : "(no subject)",
		    NOTICE_SUBJECT_MAX));
		intake_var(vars, "ticket", open > 0 ? g_strdup_printf("%"
		    G_GINT64_FORMAT, (gint64)open) : g_strdup(""));
		pn = intake_plan_notice(plan, "guard", intake_lang(m, found ?
		    &c : NULL), to, m->mail->from_name, 0, NULL, vars);
		pn->outbox_kind = kind;
		customer_clear(&c);
		g_free(to);
	}
	return 0;
}

/*
 * Is the report M a delay warning (a DSN whose recipients are all
 * "Action: delayed", RFC 3464 2.3.3, or have a 4.x.x status and no
 * Action)? Then the notice has not failed, and may yet arrive. A 4.x.x
 * status beside "Action: failed" (the queue's time ran out) is final.
 */
static bool
intake_report_is_delay(const struct intake_mail *m)
{
	return m->bounce != NULL && m->bounce->delayed;
}

/*
 * intake_plan_decide - decide what M causes; reads the store, writes
 * nothing, builds no notice.
 */
static int
intake_plan_decide(struct intake *in, const struct intake_mail *m,
    struct intake_plan *plan, GError **error)
{
	const struct desk_conf *conf = in->conf;
	struct identity id = { 0 };
	struct thread_ref ref = { 0 };
	struct intake_sender s = { &id, true, false };
	struct ticket *t = NULL;
	int64_t since = (int64_t)time(NULL) - 3600;
	int found, repeats, volume, shared, rc = -1;
	const char *refused = NULL;

	if (guard_is_guarded(conf, m->recipient))
		return intake_plan_guard(in, m, plan, error);
	if (m->mail->malformed) {
		plan->action = INTAKE_QUARANTINED;
		plan->author = "unknown";
		intake_plan_flag(plan, "malformed");
		plan->detail = g_strdup(m->mail->malformed_why);
		intake_plan_audit(plan, "quarantined", 0,
		    g_strdup(m->mail->malformed_why));
		return 0;
	}
	if (identity_find(conf, in->store, m->mail, m->sender, m->recipient,
	    &id, error) < 0 || thread_find(in, m, &id, &ref, error) < 0)
		goto out;
	s.owner = intake_is_owner(&id);
	if (m->mail->message_id != NULL) {
		if ((shared = store_message_id_stored(in->store,
		    m->mail->message_id, m->recipient, error)) < 0)
			goto out;
		if (shared > 0) {
			/* not the same delivery: a message of its own */
			intake_plan_flag(plan, "shared-message-id");
			intake_plan_audit(plan, "shared-message-id", 0,
			    g_strdup_printf("<%s> from %s (envelope <%s>)",
			    m->mail->message_id, id.from, id.envelope));
		}
	}
	if (m->class->class != MAIL_CLASS_HUMAN) {
		plan->action = INTAKE_ROBOT;
		plan->author = "robot";
		plan->ticket = ref.ticket;
		plan->detail = g_strdup(m->class->reason);
		if (s.owner)	/* found if misclassified, not lost */
			intake_plan_flag(plan, "suppressed");
		if (s.owner && ref.ticket > 0 && ref.notice == 0) {
			/* shown to the engineers, marked, in case it is not */
			char *marks = g_strdup_printf("SUPPRESSED: classed as "
			    "%s (%s); nothing was sent to the customer",
			    mail_class_name(m->class->class),
			    m->class->reason);

			if ((found = store_ticket_get(in->store, ref.ticket,
			    &t, error)) < 0 || (found && intake_plan_announce(
			    in, m, t, marks, plan, error) < 0)) {
				g_free(marks);
				goto out;
			}
			g_free(marks);
		}
		if (ref.notice > 0 && intake_report_is_delay(m)) {
			/* still being tried: not failed (yet) */
			intake_plan_audit(plan, "notice-delayed", ref.ticket,
			    g_strdup(ref.note));
		} else if (ref.notice > 0) {
			/* a report on one of our notices: it did not arrive */
			plan->failed_notice = ref.notice;
			plan->failed_note = g_strdup(ref.note);
			intake_plan_audit(plan, "notice-bounced", ref.ticket,
			    g_strdup(ref.note));
		}
		rc = 0;
		goto out;
	}
	if (ref.refused)
		intake_plan_audit(plan, ref.bad_token ? "bad-reply-address" :
		    "thread-refused", ref.ticket, g_strdup_printf("from=%s: %s",
		    thread_author(m), ref.note));

	/* a loop says the same thing again and again */
	if ((repeats = store_message_count_fingerprint(in->store,
	    m->fingerprint, since, error)) < 0)
		goto out;
	if (repeats + 1 >= conf->loop_repeats) {
		plan->action = INTAKE_ROBOT;
		plan->author = "robot";
		plan->class = "loop";
		plan->ticket = ref.ticket;
		intake_plan_flag(plan, "suspected-loop");
		if (s.owner)
			intake_plan_flag(plan, "suppressed");
		plan->detail = g_strdup_printf("loop: the same text %d times "
		    "from %s (envelope <%s>) in the last hour", repeats + 1,
		    id.from, id.envelope);
		if (repeats + 1 == conf->loop_repeats)
			intake_plan_audit(plan, "loop", ref.ticket,
			    g_strdup(plan->detail));
		rc = 0;
		goto out;
	}
	/* volume alone only stops the automatic notices to this sender */
	if ((volume = store_message_count_sender(in->store, id.from,
	    id.envelope, since, error)) < 0)
		goto out;
	if (volume >= conf->loop_limit) {
		s.notices = false;
		if (volume == conf->loop_limit)
			intake_plan_audit(plan, "notice-limit", 0,
			    g_strdup_printf("%d messages from %s (envelope "
			    "<%s>) in the last hour: no more notices to it",
			    volume + 1, id.from, id.envelope));
	}

	if (ref.ticket > 0) {
		if ((found = store_ticket_get(in->store, ref.ticket, &t,
		    error)) < 0)
			goto out;
		/* only the customer's new words make a new request */
		if (found && strcmp(t->status, "closed") == 0 &&
		    strcmp(conf->closed_reply, "new") == 0 &&
		    identity_speaker_customer(&id) == t->customer_id)
			found = 0;
		if (found) {
			rc = intake_plan_reply(in, m, &s, t, plan, error);
			goto out;
		}
	}
	if (identity_may(&id, IDENTITY_OPEN_TICKET, 0, 0, &refused))
		rc = intake_plan_open(in, m, &s, plan, error);
	else
		rc = intake_plan_stranger(in, m, &s, refused, plan, error);
out:
	ticket_free(t);
	thread_ref_clear(&ref);
	identity_clear(&id);
	return rc;
}

/*
 * A message stored over a limit of [limits]: flagged over-limit and
 * over-limit:KEY for each key, and one audit entry says what was not
 * read (the raw message is stored whole).
 */
static void
intake_plan_over_limit(const struct intake_mail *m, struct intake_plan *plan)
{
	const GPtrArray *over = m->mail->over_limit;
	GString *what;
	guint i;

	if (over->len == 0 || plan->action == INTAKE_GUARD_PASS ||
	    plan->action == INTAKE_GUARD_REJECT)
		return;
	what = g_string_new(NULL);
	intake_plan_flag(plan, "over-limit");
	for (i = 0; i < over->len; i++) {
		const struct mail_over_limit *o = g_ptr_array_index(over, i);
		char *word = g_strdup_printf("over-limit:%s", o->key);

		intake_plan_flag(plan, word);
		g_free(word);
		g_string_append_printf(what, "%s%s: %s", i ? "; " : "",
		    o->key, o->what);
	}
	g_string_append(what, "; the raw message is stored whole");
	intake_plan_audit(plan, "over-limit", plan->ticket,
	    g_string_free(what, FALSE));
}

/*
 * intake_plan_make - decide what M causes (intake_plan_decide) and mark
 * what a limit left unread. Run once before the transaction and once
 * inside it.
 */
static int
intake_plan_make(struct intake *in, const struct intake_mail *m,
    struct intake_plan *plan, GError **error)
{
	if (intake_plan_decide(in, m, plan, error) < 0)
		return -1;
	intake_plan_over_limit(m, plan);
	return 0;
}

/* Render and build PLAN's notices: no lock is held for this. */
static int
intake_plan_build(struct intake *in, const struct intake_mail *m,
    struct intake_plan *plan, GError **error)
{
	if (plan_build(in->conf, &plan->w, m->mail->message_id,
	    m->mail->references, error) < 0)
		return -1;
	plan->built = true;
	return 0;
}

/* Write what PLAN decided; inside the transaction. */
static int
intake_plan_apply(struct intake *in, const struct intake_mail *m,
    const struct intake_plan *plan, const char *dedup_key,
    struct intake_result *res, GError **error)
{

	if (plan->open_ticket) {
		int64_t t = store_ticket_add_as(in->store, plan->ticket,
		    plan->customer_id, plan->ticket_subject, "new",
		    plan->preapproved, plan->ticket_lang, "", error);

		if (t < 0)
			return -1;
		store_fault_point("after-ticket");
	}
	if (plan->action != INTAKE_GUARD_REJECT && plan->action !=
	    INTAKE_GUARD_PASS && intake_store_message(in, m, plan->ticket,
	    plan->author, plan->class, plan->flags->str, dedup_key,
	    error) < 0)
		return -1;
	if (plan->failed_notice > 0 && store_outbox_failed(in->store,
	    plan->failed_notice, plan->failed_note, error) < 0)
		return -1;
	if (plan->set_preapproved && store_ticket_set_preapproved(in->store,
	    plan->ticket, error) < 0)
		return -1;
	if (plan->status_to != NULL && store_ticket_set_status(in->store,
	    plan->ticket, plan->status_to, error) < 0)
		return -1;
	if (plan_apply(in->conf, in->store, &plan->w, "deskgate", error) < 0)
		return -1;
	res->action = plan->action;
	if (plan->action == INTAKE_GUARD_REJECT) {
		const struct plan_audit *a = g_ptr_array_index(
		    plan->w.audits, 0);

		res->dsn = guard_reject_text(in->conf, m->recipient,
		    a->ticket);
	}
	res->ticket = plan->ticket;
	res->notices = (int)plan->w.notices->len;
	res->detail = g_strdup(plan->detail);
	return 0;
}

int
intake_deliver(struct intake *in, const struct intake_mail *m,
    struct intake_result *res, GError **error)
{
	const struct desk_conf *conf = in->conf;
	struct address_info addr;
	struct intake_plan before, under_lock;
	char *dedup_key = NULL, *digest_before = NULL, *digest = NULL;
	const struct intake_plan *plan;
	int64_t version_before, version_now;
	int seen, rc = -1;
	bool began = false;

	memset(res, 0, sizeof(*res));
	intake_plan_init(&before);
	intake_plan_init(&under_lock);
	token_parse_address(conf->secret, conf->address_local, conf->domain,
	    m->recipient, &addr);
	if (addr.kind == ADDRESS_OTHER && !guard_is_guarded(conf,
	    m->recipient)) {
		res->action = INTAKE_NOUSER;
		res->dsn = g_strdup_printf("5.1.1 <%s>: not an address of "
		    "the Help Desk (write to %s)", m->recipient,
		    conf->address);
		rc = 0;
		goto out;
	}
	if ((dedup_key = intake_dedup_key(m, error)) == NULL)
		goto out;

	/* decide and build outside the lock: it holds only the writes */
	if (store_data_version(in->store, &version_before, error) < 0 ||
	    intake_plan_make(in, m, &before, error) < 0 ||
	    intake_plan_build(in, m, &before, error) < 0)
		goto out;
	if (before.action == INTAKE_GUARD_PASS) {
		/* nothing to store: deskgate passes it on */
		res->action = INTAKE_GUARD_PASS;
		res->pass_to = guard_pass_target(conf, m->recipient);
		res->detail = g_strdup(before.detail);
		rc = 0;
		goto out;
	}
	digest_before = intake_plan_digest(&before);

	if (store_begin(in->store, error) < 0)
		goto out;
	began = true;
	if ((seen = store_message_seen(in->store, dedup_key, error)) < 0)
		goto out;
	if (seen) {
		store_rollback(in->store);
		began = false;
		res->action = INTAKE_DUPLICATE;
		rc = 0;
		goto out;
	}
	/*
	 * Another delivery may have changed the store meanwhile (a ticket
	 * number taken, a status changed): decide again under the lock, and
	 * build again only when the decision differs. When no other
	 * connection has committed since before the first plan (the same
	 * data_version), every read of it saw the store as it is now, and
	 * it stands: the reads are not made twice.
	 */
	if (store_data_version(in->store, &version_now, error) < 0)
		goto out;
	if (version_now == version_before) {
		plan = &before;
		goto apply;
	}
	if (intake_plan_make(in, m, &under_lock, error) < 0)
		goto out;
	digest = intake_plan_digest(&under_lock);
	if (under_lock.action == INTAKE_GUARD_PASS) {
		store_rollback(in->store);
		began = false;
		res->action = INTAKE_GUARD_PASS;
		res->pass_to = guard_pass_target(conf, m->recipient);
		res->detail = g_strdup(under_lock.detail);
		rc = 0;
		goto out;
	}
	if (strcmp(digest, digest_before) == 0) {
		plan = &before;
	} else {
		if (intake_plan_build(in, m, &under_lock, error) < 0)
			goto out;
		plan = &under_lock;
	}
apply:
	if (intake_plan_apply(in, m, plan, dedup_key, res, error) < 0 ||
	    store_commit(in->store, error) < 0)
		goto out;
	began = false;
	rc = 0;
out:
	if (began)
		store_rollback(in->store);
	if (rc < 0)
		intake_result_clear(res);
	intake_plan_clear(&before);
	intake_plan_clear(&under_lock);
	g_free(digest_before);
	g_free(digest);
	g_free(dedup_key);
	return rc;
}
