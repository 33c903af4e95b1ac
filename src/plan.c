/*
 * plan.c - the writes of one transaction: build its notices before the
 * lock, write everything under it (plan.h).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "notice.h"
#include "plan.h"
#include "policy.h"
#include "template.h"
#include "token.h"

static void
plan_notice_free(gpointer data)
{
	struct plan_notice *n = data;

	g_free(n->outbox_kind);
	g_free(n->lang);
	g_free(n->to);
	g_free(n->to_name);
	g_free(n->reply_to);
	if (n->vars != NULL)
		g_hash_table_destroy(n->vars);
	g_free(n->in_reply_to);
	if (n->attachments != NULL)
		g_ptr_array_unref(n->attachments);
	g_free(n->subject);
	g_free(n->body);
	g_free(n->message_id);
	g_free(n->env_from);
	if (n->raw != NULL)
		g_bytes_unref(n->raw);
	g_free(n);
}

static void
plan_audit_free(gpointer data)
{
	struct plan_audit *a = data;

	g_free(a->detail);
	g_free(a);
}

static void
plan_ledger_free(gpointer data)
{
	struct plan_ledger *l = data;

	g_free(l->reason);
	g_free(l);
}

static void
plan_change_free(gpointer data)
{
	struct plan_change *c = data;

	g_free(c->status);
	g_free(c->flags);
	g_free(c->split_subject);
	g_free(c->split_lang);
	g_free(c->split_text);
	g_free(c);
}

void
plan_init(struct plan *p)
{
	p->notices = g_ptr_array_new_with_free_func(plan_notice_free);
	p->audits = g_ptr_array_new_with_free_func(plan_audit_free);
	p->ledger = g_ptr_array_new_with_free_func(plan_ledger_free);
	p->changes = g_ptr_array_new_with_free_func(plan_change_free);
}

void
plan_clear(struct plan *p)
{
	if (p->notices != NULL)
		g_ptr_array_unref(p->notices);
	if (p->audits != NULL)
		g_ptr_array_unref(p->audits);
	if (p->ledger != NULL)
		g_ptr_array_unref(p->ledger);
	if (p->changes != NULL)
		g_ptr_array_unref(p->changes);
	memset(p, 0, sizeof(*p));
}

struct plan_notice *
plan_notice(struct plan *p, const char *kind, const char *lang,
    const char *to, const char *to_name, int64_t ticket, const char *reply_to,
    GHashTable *vars)
{
	struct plan_notice *n = g_new0(struct plan_notice, 1);

	n->kind = kind;
	n->lang = g_strdup(lang);
	n->to = g_ascii_strdown(to, -1);
	n->to_name = g_strdup(to_name);
	n->ticket = ticket;
	n->reply_to = g_strdup(reply_to);
	n->vars = vars;
	g_ptr_array_add(p->notices, n);
	return n;
}

void
plan_audit(struct plan *p, const char *action, int64_t ticket, char *detail)
{
	struct plan_audit *a = g_new0(struct plan_audit, 1);

	a->action = action;
	a->ticket = ticket;
	a->detail = detail;
	g_ptr_array_add(p->audits, a);
}

void
plan_ledger(struct plan *p, int64_t customer, int delta, const char *reason,
    int64_t ticket)
{
	struct plan_ledger *l = g_new0(struct plan_ledger, 1);

	l->customer = customer;
	l->delta = delta;
	l->reason = g_strdup(reason);
	l->ticket = ticket;
	g_ptr_array_add(p->ledger, l);
}

struct plan_change *
plan_change(struct plan *p, int64_t ticket)
{
	struct plan_change *c;
	guint i;

	for (i = 0; i < p->changes->len; i++) {
		c = g_ptr_array_index(p->changes, i);
		if (c->ticket == ticket)
			return c;
	}
	c = g_new0(struct plan_change, 1);
	c->ticket = ticket;
	g_ptr_array_add(p->changes, c);
	return c;
}

/* A notice_attachment that owns its strings (the first member). */
struct plan_attachment {
	struct notice_attachment a;
	char *filename;
	char *content_type;
};

static void
plan_attachment_free(gpointer data)
{
	struct plan_attachment *p = data;

	g_free(p->filename);
	g_free(p->content_type);
	if (p->a.content != NULL)
		g_bytes_unref(p->a.content);
	g_free(p);
}

/*
 * What an engineer's mail carries that is not for the customer: a
 * forwarded mail (it may be an announcement, with the staff reply
 * address in it), the engineer's vCard, Outlook's TNEF wrapper,
 * signatures and keys, and images without a name (a signature's logo).
 */
static bool
plan_attachment_private(const struct mail_attachment *m)
{
	static const char *const types[] = {
		"text/vcard", "text/x-vcard", "text/directory",
		"application/ms-tnef", "application/vnd.ms-tnef",
		"application/pkcs7-signature", "application/x-pkcs7-signature",
		"application/pgp-signature", "application/pgp-keys",
		"application/pgp-encrypted",
	};
	const char *type = m->content_type ? m->content_type : "";
	const char *name = m->filename;
	size_t i;

	if (g_ascii_strncasecmp(type, "message/", 8) == 0)
		return true;
	for (i = 0; i < G_N_ELEMENTS(types); i++)
		if (g_ascii_strcasecmp(type, types[i]) == 0)
			return true;
	if (name == NULL || *name == '\0')
		return g_ascii_strncasecmp(type, "image/", 6) == 0;
	return g_str_has_suffix(name, ".vcf") ||
	    g_str_has_suffix(name, ".VCF") || g_str_has_suffix(name, ".eml") ||
	    g_str_has_suffix(name, ".EML") ||
	    g_ascii_strcasecmp(name, "winmail.dat") == 0;
}

GPtrArray *
plan_attachments(const struct mail *mail, int *dropped_r, GError **error)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(plan_attachment_free);
	guint i;

	*dropped_r = 0;
	for (i = 0; mail->attachments != NULL && i < mail->attachments->len;
	    i++) {
		const struct mail_attachment *m = g_ptr_array_index(
		    mail->attachments, i);
		struct plan_attachment *p;
		GByteArray *bytes;
		guint8 buf[65536];
		ssize_t n;

		if (m->fd < 0)
			continue;
		if (plan_attachment_private(m)) {
			(*dropped_r)++;
			continue;
		}
		if (lseek(m->fd, 0, SEEK_SET) < 0) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
			    "rewinding an attachment: %s", g_strerror(errno));
			g_ptr_array_unref(out);
			return NULL;
		}
		bytes = g_byte_array_sized_new((guint)MIN(m->size, 1 << 20));
		while ((n = read(m->fd, buf, sizeof(buf))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
				    "reading an attachment: %s",
				    g_strerror(errno));
				g_byte_array_unref(bytes);
				g_ptr_array_unref(out);
				return NULL;
			}
			g_byte_array_append(bytes, buf, (guint)n);
		}
		p = g_new0(struct plan_attachment, 1);
		p->filename = g_strdup(m->filename);
		p->content_type = g_strdup(m->content_type);
		p->a.filename = p->filename;
		p->a.content_type = p->content_type;
		p->a.content = g_byte_array_free_to_bytes(bytes);
		g_ptr_array_add(out, p);
	}
	return out;
}

/* -Wwrite-strings wants the cast: the keys are static strings. */
void
plan_var(GHashTable *vars, const char *name, char *value)
{
	g_hash_table_insert(vars, (gpointer)name, value);
}

const char *const plan_common_vars[] = {
	"desk_name", "desk_address", "hours", "timezone", "hours_text",
	"contact_url", "cost1", "cost2", "cost3", NULL,
};

GHashTable *
plan_vars_new(const struct desk_conf *conf)
{
	GHashTable *vars = g_hash_table_new_full(g_str_hash, g_str_equal,
	    NULL, g_free);

	plan_var(vars, "desk_name", g_strdup(conf->name));
	plan_var(vars, "desk_address", g_strdup(conf->address));
	plan_var(vars, "hours", g_strdup(conf->hours));
	plan_var(vars, "timezone", g_strdup(conf->timezone));
	plan_var(vars, "hours_text", strcmp(conf->timezone, "UTC") == 0 ?
	    g_strdup_printf("%s (UTC)", conf->hours) :
	    g_strdup_printf("%s (UTC%s)", conf->hours, conf->timezone));
	plan_var(vars, "contact_url", g_strdup(conf->contact_url));
	plan_var(vars, "cost1", g_strdup_printf("%d", policy_category_cost(1)));
	plan_var(vars, "cost2", g_strdup_printf("%d", policy_category_cost(2)));
	plan_var(vars, "cost3", g_strdup_printf("%d", policy_category_cost(3)));
	return vars;
}

int
plan_build(const struct desk_conf *conf, struct plan *p,
    const char *in_reply_to, GPtrArray *references, GError **error)
{
	guint i;

	for (i = 0; i < p->notices->len; i++) {
		struct plan_notice *pn = g_ptr_array_index(p->notices, i);
		struct notice n = { 0 };

		g_clear_pointer(&pn->subject, g_free);
		g_clear_pointer(&pn->body, g_free);
		g_clear_pointer(&pn->message_id, g_free);
		g_clear_pointer(&pn->env_from, g_free);
		g_clear_pointer(&pn->raw, g_bytes_unref);
		if (template_render(conf->templates, pn->lang, pn->kind,
		    pn->vars, &pn->subject, &pn->body, error) < 0)
			return -1;
		n.to = pn->to;
		n.to_name = pn->to_name;
		n.subject = pn->subject;
		n.body = pn->body;
		n.reply_to = pn->reply_to;
		if (pn->in_reply_to != NULL) {
			n.in_reply_to = *pn->in_reply_to ? pn->in_reply_to :
			    NULL;
		} else {
			n.in_reply_to = in_reply_to;
			n.references = references;
		}
		n.ticket = pn->ticket;
		n.human = pn->human;
		n.attachments = pn->attachments;
		if (notice_build(conf, &n, &pn->message_id, &pn->raw,
		    error) < 0)
			return -1;
		/* VERP: a bounce of a ticket's notice names the ticket */
		pn->env_from = pn->ticket > 0 ? token_address(conf->secret,
		    conf->address_local, conf->domain, pn->ticket,
		    TOKEN_ROLE_BOUNCE) : g_strdup(conf->address);
	}
	return 0;
}

/* Queue a built notice, and record it in its ticket for threading. */
static int
plan_apply_notice(const struct desk_conf *conf, struct store *store,
    const struct plan_notice *pn, GError **error)
{
	struct outbox_new o = { 0 };

	g_assert(pn->raw != NULL);	/* plan_build() first */
	o.ticket_id = pn->ticket;
	o.kind = pn->outbox_kind ? pn->outbox_kind : pn->kind;
	o.env_from = pn->env_from;
	o.rcpt = pn->to;
	o.subject = pn->subject;
	o.reply_to = pn->reply_to;
	o.message_id = pn->message_id;
	o.text = pn->body;
	o.raw = pn->raw;
	o.status = pn->status;
	if (store_outbox_add(store, &o, error) < 0)
		return -1;
	if (pn->ticket > 0) {
		struct message_new row = { 0 };

		row.ticket_id = pn->ticket;
		row.direction = "out";
		row.author = pn->author ? pn->author : "system";
		row.message_id = pn->message_id;
		row.envelope_from = pn->env_from;
		row.recipient = pn->to;
		row.from_addr = conf->address;
		row.subject = pn->subject;
		row.class = "human";
		row.flags = pn->status != NULL && strcmp(pn->status, "held") ==
		    0 ? "held" : "";
		row.text = pn->body;
		row.raw_fd = -1;
		if (store_message_add(store, &row, error) < 0)
			return -1;
	}
	store_fault_point("after-outbox");
	return 0;
}

/* The ticket side of a change: before its notices, which a release
 * must not queue twice (a held answer of this plan is added after). */
static int
plan_apply_change(struct store *store, const struct plan_change *c,
    GError **error)
{
	if (c->split > 0) {
		struct message_new row = { 0 };

		if (store_ticket_add_as(store, c->split, c->split_customer,
		    c->split_subject, "open", false, c->split_lang, "",
		    error) < 0)
			return -1;
		row.ticket_id = c->split;
		row.direction = "in";
		row.author = "customer";
		row.class = "human";
		row.flags = "split";
		row.subject = c->split_subject;
		row.text = c->split_text;
		row.raw_fd = -1;
		if (store_message_add(store, &row, error) < 0)
			return -1;
	}
	if (c->supersede && store_confirmation_supersede(store, c->ticket,
	    error) < 0)
		return -1;
	if (c->decide > 0 && store_confirmation_decide(store, c->decide,
	    c->decision, error) < 0)
		return -1;
	if (c->confirmation > 0 && store_confirmation_add(store,
	    c->confirmation, c->ticket, c->confirmation_category,
	    c->confirmation_credits, error) < 0)
		return -1;
	if (c->assess && store_ticket_assess(store, c->ticket, c->category,
	    c->charged, error) < 0)
		return -1;
	if (c->engineer > 0 && store_ticket_set_engineer(store, c->ticket,
	    c->engineer, error) < 0)
		return -1;
	if (c->flags != NULL && store_ticket_set_flags(store, c->ticket,
	    c->flags, error) < 0)
		return -1;
	if (c->release_held && store_outbox_release(store, c->ticket,
	    (int64_t)time(NULL), error) < 0)
		return -1;
	if (c->cancel_held && store_outbox_cancel(store, c->ticket,
	    "cancelled: the ticket moved on", error) < 0)
		return -1;
	if (c->status != NULL && store_ticket_set_status(store, c->ticket,
	    c->status, error) < 0)
		return -1;
	/* the ticket moved, its ledger rows and notices not written yet */
	store_fault_point("after-change");
	return 0;
}

int
plan_apply(const struct desk_conf *conf, struct store *store,
    const struct plan *p, const char *actor, GError **error)
{
	guint i;

	for (i = 0; i < p->changes->len; i++)
		if (plan_apply_change(store, g_ptr_array_index(p->changes, i),
		    error) < 0)
			return -1;
	for (i = 0; i < p->ledger->len; i++) {
		const struct plan_ledger *l = g_ptr_array_index(p->ledger, i);
		int64_t balance;

		if (store_ledger_add(store, l->customer, l->delta, l->reason,
		    l->ticket, 0, -1, error) < 0 ||
		    store_ledger_balance(store, l->customer, &balance,
		    error) < 0)
			return -1;
		/* planned under this lock: a bug, never a race */
		if (balance < 0) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_PERM,
			    "customer %" G_GINT64_FORMAT ": a charge of %d "
			    "would leave the balance at %" G_GINT64_FORMAT,
			    (gint64)l->customer, -l->delta, (gint64)balance);
			return -1;
		}
		store_fault_point("after-ledger");
	}
	for (i = 0; i < p->notices->len; i++)
		if (plan_apply_notice(conf, store, g_ptr_array_index(
		    p->notices, i), error) < 0)
			return -1;
	for (i = 0; i < p->audits->len; i++) {
		const struct plan_audit *a = g_ptr_array_index(p->audits, i);

		if (store_audit(store, actor, a->action, a->ticket, a->detail,
		    error) < 0)
			return -1;
	}
	return 0;
}

static gint
plan_compare_keys(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
plan_digest(const struct plan *p, GString *d)
{
	guint i, k;

	for (i = 0; i < p->changes->len; i++) {
		const struct plan_change *c = g_ptr_array_index(p->changes, i);

		g_string_append_printf(d, "\nchange %" G_GINT64_FORMAT " %s %d"
		    " %d %d %" G_GINT64_FORMAT " %s %d %d %d %" G_GINT64_FORMAT
		    " %d %d %" G_GINT64_FORMAT " %s %" G_GINT64_FORMAT " %s",
		    (gint64)c->ticket, c->status ? c->status : "", c->assess,
		    c->category, c->charged, (gint64)c->engineer,
		    c->flags ? c->flags : "-", c->release_held,
		    c->cancel_held, c->supersede, (gint64)c->confirmation,
		    c->confirmation_category, c->confirmation_credits,
		    (gint64)c->decide, c->decision ? c->decision : "",
		    (gint64)c->split, c->split_subject ? c->split_subject :
		    "");
	}
	for (i = 0; i < p->ledger->len; i++) {
		const struct plan_ledger *l = g_ptr_array_index(p->ledger, i);

		g_string_append_printf(d, "\nledger %" G_GINT64_FORMAT " %d %s"
		    " %" G_GINT64_FORMAT, (gint64)l->customer, l->delta,
		    l->reason, (gint64)l->ticket);
	}
	for (i = 0; i < p->audits->len; i++) {
		const struct plan_audit *a = g_ptr_array_index(p->audits, i);

		g_string_append_printf(d, "\naudit %s %" G_GINT64_FORMAT " %s",
		    a->action, (gint64)a->ticket, a->detail ? a->detail : "");
	}
	for (i = 0; i < p->notices->len; i++) {
		const struct plan_notice *n = g_ptr_array_index(p->notices, i);
		GPtrArray *keys = g_ptr_array_new();
		GHashTableIter it;
		gpointer key;

		g_hash_table_iter_init(&it, n->vars);
		while (g_hash_table_iter_next(&it, &key, NULL))
			g_ptr_array_add(keys, key);
		g_string_append_printf(d, "\nnotice %s %s %s %s %s %"
		    G_GINT64_FORMAT " %s %s %d %s %s", n->kind, n->outbox_kind ?
		    n->outbox_kind : "", n->lang, n->to,
		    n->to_name ? n->to_name : "", (gint64)n->ticket,
		    n->reply_to ? n->reply_to : "", n->status ? n->status : "",
		    n->human, n->author ? n->author : "",
		    n->in_reply_to ? n->in_reply_to : "-");
		g_ptr_array_sort(keys, plan_compare_keys);
		for (k = 0; k < keys->len; k++) {
			const char *name = g_ptr_array_index(keys, k);

			g_string_append_printf(d, " %s=%s", name,
			    (const char *)g_hash_table_lookup(n->vars, name));
		}
		g_ptr_array_unref(keys);
	}
}
