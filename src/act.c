/*
 * act.c - an engineer's reply, a confirmation, bought credits: what they
 * do to a ticket, planned by the table of ticket-life.c (act.h).
 *
 * A reply is read in a fixed order: #reopen, then #split, then the
 * assessment (#category, #security, #custom) or the answer alone, then
 * #close. Each step is a row of the table from the status the step
 * before left; a step the table does not allow is an error, and a reply
 * with any error changes nothing and sends the customer nothing.
 */
#include "config.h"

#include <string.h>

#include "act.h"
#include "command.h"
#include "error.h"
#include "notice.h"
#include "policy.h"
#include "ticket-life.h"
#include "token.h"

void
act_outcome_clear(struct act_outcome *o)
{
	g_free(o->errors);
	g_free(o->summary);
	memset(o, 0, sizeof(*o));
}

static const char *const act_vars_announce[] = {
	"ticket", "subject", "customer_name", "customer_email", "balance",
	"licenses", "category", "status", "marks", "new_text", "full_text",
	"staff_reply_address", "preapproved", "commands", NULL,
};
static const char *const act_vars_answer[] = {
	"ticket", "subject", "answer", "signature", "reply_address",
	"charge_line", NULL,
};
static const char *const act_vars_confirm[] = {
	"ticket", "subject", "category", "category_text", "credits", "total",
	"balance", "confirm_address", "customer_name", NULL,
};
static const char *const act_vars_credits[] = {
	"ticket", "subject", "needed", "balance", "packages", "customer_name",
	NULL,
};
static const char *const act_vars_category[] = {
	"ticket", "subject", "old_category", "category", "category_text",
	"delta_text", "balance", "customer_name", NULL,
};
static const char *const act_vars_custom[] = {
	"ticket", "subject", "answer", "customer_name", NULL,
};
static const char *const act_vars_split[] = {
	"ticket", "subject", "old_ticket", "old_subject", "reply_address",
	"customer_name", NULL,
};
static const char *const act_vars_decided[] = {
	"ticket", "subject", "customer_email", "category", "credits",
	"balance", NULL,
};
static const char *const act_vars_command_error[] = {
	"ticket", "subject", "errors", "commands", "staff_reply_address",
	NULL,
};
static const struct act_notice act_notice_table[] = {
	{ "announce", act_vars_announce },
	{ "answer", act_vars_answer },
	{ "confirm", act_vars_confirm },
	{ "credits", act_vars_credits },
	{ "category", act_vars_category },
	{ "custom", act_vars_custom },
	{ "split", act_vars_split },
	{ "confirmed", act_vars_decided },
	{ "declined", act_vars_decided },
	{ "command-error", act_vars_command_error },
	{ NULL, NULL },
};

const struct act_notice *
act_notices(void)
{
	return act_notice_table;
}

/* What every act_*() works from: the ticket, its customer, the balance. */
struct act_ctx {
	const struct desk_conf *conf;
	struct store *store;
	const struct ticket *t;
	struct customer customer;
	int64_t balance;
	struct plan *plan;
	struct plan_change *change;
	enum life_status status;	/* as the steps so far leave it */
	int category;			/* as they leave it */
	int charged;
	char *flags;			/* the ticket's, as they leave them */
	char *last_customer_message;	/* its Message-ID, or NULL */
};

static int
act_ctx_init(struct act_ctx *x, const struct desk_conf *conf,
    struct store *store, const struct ticket *t, struct plan *plan,
    GError **error)
{
	int found, status;

	memset(x, 0, sizeof(*x));
	x->conf = conf;
	x->store = store;
	x->t = t;
	x->plan = plan;
	x->category = t->category;
	x->charged = t->charged;
	x->flags = g_strdup(t->flags ? t->flags : "");
	status = life_status_parse(t->status);
	x->status = status < 0 ? LIFE_OPEN : (enum life_status)status;
	if ((found = store_customer_get(store, t->customer_id, &x->customer,
	    error)) < 0)
		return -1;
	if (found == 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_PERM,
		    "ticket %" G_GINT64_FORMAT ": its customer is gone",
		    (gint64)t->id);
		return -1;
	}
	if (store_ticket_last_customer_message(store, t->id,
	    &x->last_customer_message, error) < 0)
		return -1;
	return store_ledger_balance(store, t->customer_id, &x->balance,
	    error);
}

static void
act_ctx_clear(struct act_ctx *x)
{
	customer_clear(&x->customer);
	g_free(x->flags);
	g_free(x->last_customer_message);
}

static struct plan_change *
act_change(struct act_ctx *x)
{
	if (x->change == NULL)
		x->change = plan_change(x->plan, x->t->id);
	return x->change;
}

static char *
act_num(int64_t n)
{
	return g_strdup_printf("%" G_GINT64_FORMAT, (gint64)n);
}

static char *
act_customer_name(const struct act_ctx *x)
{
	const struct customer *c = &x->customer;

	return notice_cut_text(c->name && *c->name ? c->name : c->email,
	    NOTICE_NAME_MAX);
}

/* Variables of every notice about ticket T: its number and subject. */
static GHashTable *
act_vars(const struct act_ctx *x)
{
	GHashTable *vars = plan_vars_new(x->conf);

	plan_var(vars, "ticket", act_num(x->t->id));
	plan_var(vars, "subject", notice_cut_text(x->t->subject,
	    NOTICE_SUBJECT_MAX));
	return vars;
}

static char *
act_reply_address(const struct act_ctx *x, int64_t ticket,
    enum token_role role)
{
	return token_address(x->conf->secret, x->conf->address_local,
	    x->conf->domain, ticket, role);
}

/* The customer's language, for notices: the ticket's, en or ru. */
static const char *
act_lang(const struct act_ctx *x)
{
	return x->t->lang != NULL && strcmp(x->t->lang, "ru") == 0 ? "ru" :
	    "en";
}

/* A notice to the ticket's customer, at the registered address. */
static struct plan_notice *
act_to_customer(struct act_ctx *x, const char *kind, GHashTable *vars,
    const char *reply_to)
{
	struct plan_notice *n;
	char *own = reply_to ? NULL : act_reply_address(x, x->t->id,
	    TOKEN_ROLE_CUSTOMER);

	n = plan_notice(x->plan, kind, act_lang(x), x->customer.email,
	    x->customer.name, x->t->id, reply_to ? reply_to : own, vars);
	g_free(own);
	/*
	 * In the customer's thread: never in reply to the engineer's mail,
	 * whose Message-ID may hold the engineer's address.
	 */
	n->in_reply_to = g_strdup(x->last_customer_message ?
	    x->last_customer_message : "");
	return n;
}

/*
 * The engineers to tell of the ticket: its engineer, and [staff] notify
 * when ALSO_NOTIFY or there is no engineer yet. (transfer full)
 */
static GPtrArray *
act_engineers(const struct act_ctx *x, bool also_notify, GError **error)
{
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
	const char *notify = x->conf->staff_notify;

	if (x->t->engineer_id > 0) {
		struct staff s = { 0 };
		int found = store_staff_get_id(x->store, x->t->engineer_id, &s,
		    error);

		if (found < 0) {
			g_ptr_array_unref(to);
			return NULL;
		}
		if (found)
			g_ptr_array_add(to, g_ascii_strdown(s.email, -1));
		staff_clear(&s);
	}
	if (notify != NULL && *notify != '\0' && (also_notify ||
	    to->len == 0) && (to->len == 0 || g_ascii_strcasecmp(
	    g_ptr_array_index(to, 0), notify) != 0))
		g_ptr_array_add(to, g_ascii_strdown(notify, -1));
	return to;
}

/* A notice of KIND to the engineers, replying to the staff address. */
static int
act_to_engineers(struct act_ctx *x, const char *kind, bool also_notify,
    GHashTable *vars, const char *in_reply_to, GError **error)
{
	GPtrArray *to = act_engineers(x, also_notify, error);
	char *staff = act_reply_address(x, x->t->id, TOKEN_ROLE_STAFF);
	guint i;

	if (to == NULL) {
		g_hash_table_destroy(vars);
		g_free(staff);
		return -1;
	}
	for (i = 0; i < to->len; i++) {
		GHashTable *copy = vars;
		struct plan_notice *n;

		if (i + 1 < to->len) {
			GHashTableIter it;
			gpointer k, v;

			copy = g_hash_table_new_full(g_str_hash, g_str_equal,
			    NULL, g_free);
			g_hash_table_iter_init(&it, vars);
			while (g_hash_table_iter_next(&it, &k, &v))
				plan_var(copy, k, g_strdup(v));
		}
		n = plan_notice(x->plan, kind, "en", g_ptr_array_index(to, i),
		    NULL, x->t->id, staff, copy);
		n->in_reply_to = g_strdup(in_reply_to ? in_reply_to : "");
	}
	if (to->len == 0)
		g_hash_table_destroy(vars);
	g_ptr_array_unref(to);
	g_free(staff);
	return 0;
}

/* "Category 2: 10 credits were deducted; your balance is 40 credits." */
static char *
act_charge_line(const struct act_ctx *x, int category, int delta,
    int64_t balance_after)
{
	bool ru = strcmp(act_lang(x), "ru") == 0;
	int n = delta < 0 ? -delta : delta;

	if (delta == 0)
		return g_strdup("");
	if (category == 0)
		return ru ? g_strdup_printf("Этот запрос бесплатный: %d "
		    "кредитов возвращено; ваш баланс — %" G_GINT64_FORMAT
		    " кредитов.", n, (gint64)balance_after) :
		    g_strdup_printf("This request is free of charge: %d "
		    "credits were refunded; your balance is %" G_GINT64_FORMAT
		    " credits.", n, (gint64)balance_after);
	if (ru)
		return g_strdup_printf("Категория %d: %s %d кредитов; ваш "
		    "баланс — %" G_GINT64_FORMAT " кредитов.", category,
		    delta > 0 ? "списано" : "возвращено", n,
		    (gint64)balance_after);
	return g_strdup_printf("Category %d: %d credits were %s; your balance "
	    "is %" G_GINT64_FORMAT " credits.", category, n, delta > 0 ?
	    "deducted" : "refunded", (gint64)balance_after);
}

/* The ledger's reason for moving from category FROM to TO. */
static char *
act_reason(int from, int to, int delta, const char *free_why)
{
	if (to == 0)
		return g_strdup_printf("refund: %s", free_why);
	if (from == 0)
		return g_strdup_printf("category %d", to);
	return g_strdup_printf("%scategory %d -> %d", delta < 0 ?
	    "refund: " : "", from, to);
}

/* Charge (or refund) DELTA for the ticket now at CATEGORY. */
static void
act_charge(struct act_ctx *x, int category, int delta, const char *free_why)
{
	struct plan_change *c = act_change(x);

	if (delta != 0) {
		/* from what was paid for, not from a category only proposed */
		char *reason = act_reason(policy_category_of_cost(x->charged),
		    category, delta, free_why);

		plan_ledger(x->plan, x->t->customer_id, -delta, reason,
		    x->t->id);
		g_free(reason);
		x->balance -= delta;
	}
	x->charged += delta;
	x->category = category;
	c->assess = true;
	c->category = category;
	c->charged = x->charged;
}

/* The engineer's answer to the customer, queued or held. */
static int
act_answer(struct act_ctx *x, const struct act_reply *r, const char *text,
    bool held, const char *charge_line, GError **error)
{
	GHashTable *vars = act_vars(x);
	char *reply_to = act_reply_address(x, x->t->id, TOKEN_ROLE_CUSTOMER);
	const char *name = r->engineer != NULL && r->engineer->name != NULL &&
	    *r->engineer->name ? r->engineer->name : NULL;
	struct plan_notice *n;

	plan_var(vars, "answer", g_strdup(text));
	/* a name, never an address: the engineer stays behind the desk */
	plan_var(vars, "signature", strcmp(x->conf->staff_sign, "name") ==
	    0 && name != NULL ? g_strdup_printf("%s, %s", name,
	    x->conf->name) : g_strdup(x->conf->name));
	plan_var(vars, "reply_address", g_strdup(reply_to));
	plan_var(vars, "charge_line", g_strdup(charge_line ? charge_line :
	    ""));
	n = act_to_customer(x, "answer", vars, reply_to);
	n->human = true;
	n->author = "staff";
	n->status = held ? "held" : NULL;
	if (r->attachments != NULL)
		n->attachments = g_ptr_array_ref(r->attachments);
	g_free(reply_to);
	return 0;
}

static void
act_notice_confirm(struct act_ctx *x, int category, int credits,
    int64_t serial)
{
	GHashTable *vars = act_vars(x);
	char *address = token_confirm_address(x->conf->secret,
	    x->conf->address_local, x->conf->domain, x->t->id, serial);

	plan_var(vars, "category", act_num(category));
	plan_var(vars, "category_text", g_strdup(policy_category_text(
	    category, act_lang(x))));
	plan_var(vars, "credits", act_num(credits));
	plan_var(vars, "total", act_num(policy_category_cost(category)));
	plan_var(vars, "balance", act_num(x->balance));
	plan_var(vars, "confirm_address", g_strdup(address));
	plan_var(vars, "customer_name", act_customer_name(x));
	act_to_customer(x, "confirm", vars, address);
	g_free(address);
}

static void
act_notice_credits(struct act_ctx *x, int needed)
{
	GHashTable *vars = act_vars(x);
	GString *packages = g_string_new(NULL);
	const int *p;

	for (p = policy_packages(); *p != 0; p++) {
		int cents = policy_package_price(*p);

		g_string_append_printf(packages, "%s  %d credits - $%d",
		    packages->len ? "\n" : "", *p, cents / 100);
		if (cents % 100 != 0)
			g_string_append_printf(packages, ".%02d", cents % 100);
	}
	plan_var(vars, "needed", act_num(needed));
	plan_var(vars, "balance", act_num(x->balance));
	plan_var(vars, "packages", g_string_free(packages, FALSE));
	plan_var(vars, "customer_name", act_customer_name(x));
	act_to_customer(x, "credits", vars, NULL);
}

static void
act_notice_category(struct act_ctx *x, int old, int category, int delta)
{
	GHashTable *vars = act_vars(x);
	bool ru = strcmp(act_lang(x), "ru") == 0;
	int n = delta < 0 ? -delta : delta;

	plan_var(vars, "old_category", act_num(old));
	plan_var(vars, "category", category ? act_num(category) :
	    g_strdup(ru ? "без оплаты" : "free"));
	plan_var(vars, "category_text", g_strdup(policy_category_text(
	    category, act_lang(x))));
	plan_var(vars, "delta_text", ru ? g_strdup_printf("%s %d кредитов",
	    delta > 0 ? "списано" : "возвращено", n) : g_strdup_printf(
	    "%d credits were %s", n, delta > 0 ? "deducted" : "refunded"));
	plan_var(vars, "balance", act_num(x->balance));
	plan_var(vars, "customer_name", act_customer_name(x));
	act_to_customer(x, "category", vars, NULL);
}

/* The engineers hear that the customer confirmed or declined. */
static int
act_notice_decided(struct act_ctx *x, const char *kind, int category,
    int credits, const char *message_id, GError **error)
{
	GHashTable *vars = act_vars(x);

	plan_var(vars, "customer_email", g_strdup(x->customer.email));
	plan_var(vars, "category", act_num(category));
	plan_var(vars, "credits", act_num(credits));
	plan_var(vars, "balance", act_num(x->balance));
	return act_to_engineers(x, kind, true, vars, message_id, error);
}

/*
 * A proposed category that was never confirmed gives way to the one
 * that was paid for (none when nothing was charged).
 */
static void
act_revert_category(struct act_ctx *x)
{
	struct plan_change *c = act_change(x);

	x->category = policy_category_of_cost(x->charged);
	c->assess = true;
	c->category = x->category;
	c->charged = x->charged;
}

/* Set the ticket's status as the steps leave it. */
static void
act_status(struct act_ctx *x, enum life_status s)
{
	struct plan_change *c = act_change(x);

	x->status = s;
	g_free(c->status);
	c->status = strcmp(life_status_name(s), x->t->status) != 0 ?
	    g_strdup(life_status_name(s)) : NULL;
}

/* Add WORD to the ticket's flags. */
static void
act_flag(struct act_ctx *x, const char *word)
{
	struct plan_change *c = act_change(x);
	char *flags;

	if (*x->flags == '\0')
		flags = g_strdup(word);
	else
		flags = g_strdup_printf("%s,%s", x->flags, word);
	g_free(x->flags);
	x->flags = flags;
	g_free(c->flags);
	c->flags = g_strdup(flags);
}

/* Is WORD one of the ticket's flags? */
static bool
act_flagged(const struct act_ctx *x, const char *word)
{
	char **words = g_strsplit(x->flags, ",", -1);
	bool found = g_strv_contains((const char *const *)words, word);

	g_strfreev(words);
	return found;
}

/* The text of a split question: quote marks taken off. (transfer full) */
static char *
act_unquote(const char *text)
{
	char **lines = g_strsplit(text, "\n", -1);
	GString *s = g_string_new(NULL);
	char **l;

	for (l = lines; *l != NULL; l++) {
		const char *p = *l;

		while (*p == '>' || (*p == ' ' && p[1] == '>'))
			p++;
		if (p != *l && *p == ' ')
			p++;
		g_string_append_printf(s, "%s%s", s->len ? "\n" : "", p);
	}
	g_strfreev(lines);
	return g_string_free(s, FALSE);
}

/* The error notice to the engineer who wrote; nothing else happens. */
static int
act_refuse(struct act_ctx *x, const struct act_reply *r, const char *errors,
    GError **error)
{
	GHashTable *vars;
	struct plan_notice *n;
	char *staff;

	plan_audit(x->plan, "command-refused", x->t->id, g_strdup_printf(
	    "%s: %s", r->engineer && r->engineer->email ? r->engineer->email :
	    "operator", errors));
	if (r->engineer == NULL || r->engineer->id == 0)
		return 0;	/* the operator reads them on the terminal */
	vars = act_vars(x);
	staff = act_reply_address(x, x->t->id, TOKEN_ROLE_STAFF);
	plan_var(vars, "errors", g_strdup(errors));
	plan_var(vars, "commands", g_strdup(command_usage()));
	plan_var(vars, "staff_reply_address", g_strdup(staff));
	n = plan_notice(x->plan, "command-error", "en", r->engineer->email,
	    r->engineer->name, x->t->id, staff, vars);
	n->in_reply_to = g_strdup(r->message_id ? r->message_id : "");
	g_free(staff);
	(void)error;
	return 0;
}

/* One step of the table, or an error line into ERRORS. */
static const struct life_row *
act_step(struct act_ctx *x, enum life_event event, enum life_price price,
    const char *what, GString *errors)
{
	const struct life_row *row = life_step(x->status, event, price);

	if (row == NULL)
		g_string_append_printf(errors, "%s: not possible while the "
		    "ticket is %s%s\n", what, life_status_name(x->status),
		    x->status == LIFE_CLOSED ? " (put #reopen first)" :
		    x->status == LIFE_AWAITING_CONFIRMATION ||
		    x->status == LIFE_AWAITING_CREDITS ? " (the answer waits: "
		    "send #close alone, or a new #category)" : "");
	return row;
}

/* The policy's verdict as the table's price column. */
static enum life_price
act_price(const struct policy_price *p)
{
	switch (p->verdict) {
	case POLICY_CONFIRM: return LIFE_ASK;
	case POLICY_SHORT: return LIFE_SHORT;
	case POLICY_CHARGE: break;
	}
	return LIFE_PAID;
}

int
act_reply(const struct desk_conf *conf, struct store *store,
    const struct act_reply *r, struct plan *plan, struct act_outcome *out,
    GError **error)
{
	const struct ticket *t = r->ticket;
	struct act_ctx x;
	struct command_list cl = { 0 };
	const struct command *assess = NULL, *split = NULL;
	bool reopen = false, close = false, note = false;
	GString *errors = g_string_new(NULL), *summary = g_string_new(NULL);
	const char *answer;
	/* what the plan held before: a refused reply adds nothing to it */
	guint notices = plan->notices->len, ledger = plan->ledger->len,
	    changes = plan->changes->len, audits = plan->audits->len, i;
	bool no_answer = false;
	int held = 0, rc = -1;

	memset(out, 0, sizeof(*out));
	if (act_ctx_init(&x, conf, store, t, plan, error) < 0)
		goto done;
	command_parse(r->commands ? r->commands : r->text ? r->text : "", &cl);
	command_check(&cl);
	for (i = 0; i < cl.errors->len; i++) {
		const struct command_error *e = g_ptr_array_index(cl.errors,
		    i);

		g_string_append_printf(errors, "line %d: \"%s\": %s\n",
		    e->line, e->text, e->why);
	}
	for (i = 0; i < cl.commands->len; i++) {
		const struct command *c = g_ptr_array_index(cl.commands, i);

		switch (c->kind) {
		case COMMAND_CATEGORY:
		case COMMAND_SECURITY:
		case COMMAND_CUSTOM:
			assess = c;
			break;
		case COMMAND_NOTE: note = true; break;
		case COMMAND_SPLIT: split = c; break;
		case COMMAND_CLOSE: close = true; break;
		case COMMAND_REOPEN: reopen = true; break;
		case COMMAND_KIND_COUNT: break;
		}
	}
	answer = r->commands != NULL ? (r->text ? r->text : "") :
	    cl.rest != NULL ? cl.rest : "";
	if (r->commands != NULL && *cl.rest != '\0')
		g_string_append(errors, "text after the commands given as "
		    "options\n");
	if (errors->len > 0)
		goto refuse;

	if (note) {
		/* internal: kept in the ticket, shown to engineers */
		out->note = true;
		plan_audit(plan, "note", t->id, g_strdup_printf("by %s",
		    r->engineer && r->engineer->email ? r->engineer->email :
		    "operator"));
		g_string_append(summary, "note");
		rc = 0;
		goto done;
	}
	if (reopen && act_step(&x, LIFE_REOPEN, LIFE_ANY, "#reopen",
	    errors) != NULL) {
		act_status(&x, LIFE_OPEN);
		g_string_append(summary, "reopened ");
	}
	if (split != NULL && errors->len == 0) {
		struct plan_change *c;
		char *question = act_unquote(answer);
		int64_t id;

		if (*g_strstrip(question) == '\0') {
			g_string_append(errors, "#split: put the customer's "
			    "question to move below the command (quoted or "
			    "not)\n");
			g_free(question);
		} else if (act_step(&x, LIFE_SPLIT, LIFE_ANY, "#split",
		    errors) != NULL) {
			GHashTable *vars;
			char *reply_to;

			if ((id = store_ticket_next_id(store, error)) < 0) {
				g_free(question);
				goto done;
			}
			c = act_change(&x);
			c->split = id;
			c->split_customer = t->customer_id;
			c->split_subject = g_strdup(split->argument);
			c->split_lang = g_strdup(act_lang(&x));
			c->split_text = question;
			reply_to = act_reply_address(&x, id,
			    TOKEN_ROLE_CUSTOMER);
			vars = plan_vars_new(conf);
			plan_var(vars, "ticket", act_num(id));
			plan_var(vars, "subject", notice_cut_text(
			    split->argument, NOTICE_SUBJECT_MAX));
			plan_var(vars, "old_ticket", act_num(t->id));
			plan_var(vars, "old_subject", notice_cut_text(
			    t->subject, NOTICE_SUBJECT_MAX));
			plan_var(vars, "reply_address", g_strdup(reply_to));
			plan_var(vars, "customer_name", act_customer_name(&x));
			plan_notice(plan, "split", act_lang(&x),
			    x.customer.email, x.customer.name, id, reply_to,
			    vars)->in_reply_to = g_strdup("");
			g_free(reply_to);
			plan_audit(plan, "split", t->id, g_strdup_printf(
			    "into ticket %" G_GINT64_FORMAT ": %s", (gint64)id,
			    split->argument));
			{
				/* the engineers hear of the new ticket too */
				struct ticket nt = { 0 };

				nt.id = id;
				nt.customer_id = t->customer_id;
				nt.subject = split->argument;
				nt.status = (char *)"open";
				nt.lang = (char *)act_lang(&x);
				nt.flags = (char *)"";
				if (act_announce(conf, store, &nt, c->split_text,
				    c->split_text, "", NULL, plan, error) < 0)
					goto done;
			}
			g_string_append_printf(summary, "split into %"
			    G_GINT64_FORMAT " ", (gint64)id);
			answer = "";	/* the question, not an answer */
		} else {
			g_free(question);
		}
	}
	if (errors->len > 0)
		goto refuse;

	if (assess != NULL && assess->kind == COMMAND_CATEGORY) {
		struct policy_price price;
		const struct life_row *row;
		/* the category paid for, not one only proposed */
		int old = policy_category_of_cost(x.charged),
		    cat = assess->category;

		policy_price(cat, x.charged, t->preapproved, false, x.balance,
		    &price);
		if ((row = act_step(&x, LIFE_ASSESS, act_price(&price),
		    "#category", errors)) == NULL)
			goto refuse;
		if (row->supersede)
			act_change(&x)->supersede = true;
		if (row->answer == ANSWER_SEND) {
			int delta = price.delta;
			char *line;

			act_charge(&x, cat, delta, NULL);
			act_change(&x)->release_held = true;
			line = act_charge_line(&x, cat, delta, x.balance);
			if (*answer != '\0' && act_answer(&x, r, answer,
			    false, line, error) < 0) {
				g_free(line);
				goto done;
			}
			/* a change of what was charged: told on its own */
			if (old > 0 && delta != 0)
				act_notice_category(&x, old, cat, delta);
			g_free(line);
			g_string_append_printf(summary, "category %d, %d "
			    "credits charged", cat, delta);
			if (*answer == '\0' && (held = store_outbox_held(store,
			    t->id, error)) < 0)
				goto done;
			/* assessed, nothing sent: the work is still open */
			no_answer = *answer == '\0' && held == 0;
		} else if (row->notices & NOTICE_CONFIRM) {
			int64_t serial = store_confirmation_next_id(store,
			    error);
			struct plan_change *c = act_change(&x);

			if (serial < 0)
				goto done;
			c->confirmation = serial;
			c->confirmation_category = cat;
			c->confirmation_credits = price.delta;
			/* shown as the category, nothing charged for it yet */
			x.category = cat;
			c->assess = true;
			c->category = cat;
			c->charged = x.charged;
			if (*answer != '\0' && act_answer(&x, r, answer, true,
			    NULL, error) < 0)
				goto done;
			act_notice_confirm(&x, cat, price.delta, serial);
			g_string_append_printf(summary, "category %d: "
			    "confirmation %" G_GINT64_FORMAT " asked for %d "
			    "credits", cat, (gint64)serial, price.delta);
		} else {
			/* agreed, but the balance does not cover it */
			x.category = cat;
			act_change(&x)->assess = true;
			act_change(&x)->category = cat;
			act_change(&x)->charged = x.charged;
			if (*answer != '\0' && act_answer(&x, r, answer, true,
			    NULL, error) < 0)
				goto done;
			act_notice_credits(&x, price.delta);
			g_string_append_printf(summary, "category %d: %d "
			    "credits needed, balance %" G_GINT64_FORMAT, cat,
			    price.delta, (gint64)x.balance);
		}
		act_status(&x, no_answer ? LIFE_OPEN : life_next(row,
		    x.status));
		plan_audit(plan, "assessed", t->id, g_strdup_printf("%s by %s",
		    summary->str, r->engineer && r->engineer->email ?
		    r->engineer->email : "operator"));
	} else if (assess != NULL) {
		bool security = assess->kind == COMMAND_SECURITY;
		const struct life_row *row = act_step(&x, security ?
		    LIFE_SECURITY : LIFE_CUSTOM, LIFE_ANY, security ?
		    "#security" : "#custom", errors);
		int refund = x.charged;

		if (row == NULL)
			goto refuse;
		act_change(&x)->supersede = row->supersede;
		act_charge(&x, 0, -refund, security ? "security bug" :
		    "custom development");
		if (!act_flagged(&x, security ? "security" : "custom"))
			act_flag(&x, security ? "security" : "custom");
		if (security) {
			char *line = act_charge_line(&x, 0, -refund,
			    x.balance);

			act_change(&x)->release_held = true;
			if (*answer != '\0' && act_answer(&x, r, answer,
			    false, line, error) < 0) {
				g_free(line);
				goto done;
			}
			g_free(line);
			if (*answer == '\0' && (held = store_outbox_held(store,
			    t->id, error)) < 0)
				goto done;
			no_answer = *answer == '\0' && held == 0;
		} else {
			GHashTable *vars = act_vars(&x);

			act_change(&x)->cancel_held = true;
			plan_var(vars, "answer", g_strdup(answer));
			plan_var(vars, "customer_name", act_customer_name(&x));
			act_to_customer(&x, "custom", vars, NULL);
		}
		act_status(&x, no_answer ? LIFE_OPEN : life_next(row,
		    x.status));
		g_string_append_printf(summary, "%s, free%s", security ?
		    "security" : "custom development declined", refund ?
		    " (refunded)" : "");
		plan_audit(plan, "assessed", t->id, g_strdup_printf("%s by %s",
		    summary->str, r->engineer && r->engineer->email ?
		    r->engineer->email : "operator"));
	} else if (*answer != '\0') {
		const struct life_row *row;

		if (x.category == 0 && !act_flagged(&x, "security")) {
			g_string_append(errors, "the ticket has no category "
			    "yet: put #category 1, 2 or 3 (or #security, "
			    "#custom) on the first line of the answer\n");
			goto refuse;
		}
		if ((row = act_step(&x, LIFE_ANSWER, LIFE_ANY, "the answer",
		    errors)) == NULL)
			goto refuse;
		/* never an answer out for a category not paid for */
		if (row->answer == ANSWER_SEND && !act_flagged(&x, "security") &&
		    policy_category_cost(x.category) != x.charged) {
			g_string_append_printf(errors, "category %d is not "
			    "paid for yet (%d credits charged): send #category "
			    "%d again with the answer\n", x.category, x.charged,
			    x.category);
			goto refuse;
		}
		if (act_answer(&x, r, answer, row->answer == ANSWER_HOLD, NULL,
		    error) < 0)
			goto done;
		act_status(&x, life_next(row, x.status));
		g_string_append(summary, row->answer == ANSWER_HOLD ?
		    "answer held" : "answered");
	} else if (!close && !reopen && split == NULL) {
		g_string_append(errors, "nothing to do: the reply has neither "
		    "an answer nor a command\n");
		goto refuse;
	}
	/* #custom closes the ticket already */
	if (close && assess != NULL && assess->kind == COMMAND_CUSTOM)
		close = false;
	if (close) {
		const struct life_row *row;

		/*
		 * What this very mail holds (an answer, a confirmation asked)
		 * would be dropped by the close, or outlive it: refused.
		 */
		if ((x.status == LIFE_AWAITING_CONFIRMATION ||
		    x.status == LIFE_AWAITING_CREDITS) && (assess != NULL ||
		    *answer != '\0')) {
			g_string_append_printf(errors, "#close: the answer "
			    "would wait (the ticket is %s); send #close alone "
			    "to drop what waits, or without #close to let it "
			    "wait\n", life_status_name(x.status));
			goto refuse;
		}
		if ((row = act_step(&x, LIFE_CLOSE, LIFE_ANY, "#close",
		    errors)) == NULL)
			goto refuse;
		act_change(&x)->supersede = true;
		act_change(&x)->cancel_held = true;
		/* what was proposed and never paid gives way to what was */
		if (x.status == LIFE_AWAITING_CONFIRMATION ||
		    x.status == LIFE_AWAITING_CREDITS)
			act_revert_category(&x);
		act_status(&x, LIFE_CLOSED);
		g_string_append(summary, " closed");
	}
	if (r->engineer != NULL && r->engineer->id > 0 &&
	    r->engineer->id != t->engineer_id && (assess != NULL ||
	    *answer != '\0'))
		act_change(&x)->engineer = r->engineer->id;
	out->summary = g_strdup(g_strstrip(summary->str));
	rc = 0;
	goto done;

refuse:
	/* nothing of this reply happens: only the error notice */
	g_ptr_array_set_size(plan->notices, notices);
	g_ptr_array_set_size(plan->ledger, ledger);
	g_ptr_array_set_size(plan->changes, changes);
	g_ptr_array_set_size(plan->audits, audits);
	x.change = NULL;
	out->refused = true;
	out->errors = g_strdup(errors->str);
	rc = act_refuse(&x, r, errors->str, error);
done:
	command_list_clear(&cl);
	g_string_free(errors, TRUE);
	g_string_free(summary, TRUE);
	act_ctx_clear(&x);
	return rc;
}

int
act_confirm(const struct desk_conf *conf, struct store *store,
    const struct ticket *t, const struct confirmation *c, bool confirm,
    const char *message_id, struct plan *plan, GError **error)
{
	struct act_ctx x;
	const struct life_row *row;
	struct plan_change *ch;
	int rc = -1, held;

	if (act_ctx_init(&x, conf, store, t, plan, error) < 0)
		goto done;
	ch = act_change(&x);
	ch->decide = c->id;
	ch->decision = confirm ? "confirmed" : "declined";
	if (!confirm) {
		row = life_step(x.status, LIFE_DECLINE, LIFE_ANY);
		g_assert(row != NULL);	/* the caller saw it awaiting */
		ch->cancel_held = true;
		act_revert_category(&x);
		act_status(&x, life_next(row, x.status));
		plan_audit(plan, "declined", t->id, g_strdup_printf(
		    "category %d (%d credits) declined by %s", c->category,
		    c->credits, x.customer.email));
		rc = act_notice_decided(&x, "declined", c->category, 0,
		    message_id, error);
		goto done;
	}
	{
		struct policy_price price;

		policy_price(c->category, x.charged, t->preapproved, true,
		    x.balance, &price);
		row = life_step(x.status, LIFE_CONFIRM, act_price(&price));
		g_assert(row != NULL);
		if (row->ledger == LEDGER_CHARGE) {
			act_charge(&x, c->category, price.delta, NULL);
			ch->release_held = true;
		} else {
			/* agreed now; it waits for the credits */
			ch->assess = true;
			ch->category = c->category;
			ch->charged = x.charged;
			act_notice_credits(&x, price.delta);
		}
		if ((held = store_outbox_held(store, t->id, error)) < 0)
			goto done;
		/* an assessment sent without an answer: the work goes on */
		act_status(&x, row->to == LIFE_ANSWERED && held == 0 ?
		    LIFE_OPEN : life_next(row, x.status));
		plan_audit(plan, "confirmed", t->id, g_strdup_printf(
		    "category %d (%d credits) confirmed by %s%s", c->category,
		    price.delta, x.customer.email, row->ledger ==
		    LEDGER_CHARGE ? "" : ": waiting for credits"));
		rc = act_notice_decided(&x, "confirmed", c->category,
		    price.delta, message_id, error);
	}
done:
	act_ctx_clear(&x);
	return rc;
}

int
act_credits_added(const struct desk_conf *conf, struct store *store,
    const struct ticket *t, int64_t balance, struct plan *plan,
    bool *resumed_r, GError **error)
{
	struct act_ctx x;
	struct policy_price price;
	const struct life_row *row;
	int rc = -1, held;

	*resumed_r = false;
	if (act_ctx_init(&x, conf, store, t, plan, error) < 0)
		goto done;
	x.balance = balance;
	/* the customer agreed already (or it needed no agreement) */
	policy_price(x.category, x.charged, true, true, x.balance, &price);
	row = life_step(x.status, LIFE_CREDITS_ADDED, act_price(&price));
	if (row == NULL || row->ledger != LEDGER_CHARGE) {
		rc = 0;
		goto done;
	}
	act_charge(&x, x.category, price.delta, NULL);
	act_change(&x)->release_held = true;
	if ((held = store_outbox_held(store, t->id, error)) < 0)
		goto done;
	act_status(&x, held == 0 ? LIFE_OPEN : life_next(row, x.status));
	plan_audit(plan, "resumed", t->id, g_strdup_printf("category %d: %d "
	    "credits charged after credits were added", x.category,
	    price.delta));
	*resumed_r = true;
	rc = 0;
done:
	act_ctx_clear(&x);
	return rc;
}

int
act_announce(const struct desk_conf *conf, struct store *store,
    const struct ticket *t, const char *new_text, const char *full_text,
    const char *marks, const char *message_id, struct plan *plan,
    GError **error)
{
	struct act_ctx x;
	GHashTable *vars;
	char *licenses, *staff, *where;
	int rc = -1;

	if (conf->staff_notify == NULL || *conf->staff_notify == '\0') {
		if (t->engineer_id == 0)
			return 0;	/* nobody to tell */
	}
	if (act_ctx_init(&x, conf, store, t, plan, error) < 0)
		goto done;
	if ((licenses = store_license_summary(store, t->customer_id,
	    error)) == NULL)
		goto done;
	staff = act_reply_address(&x, t->id, TOKEN_ROLE_STAFF);
	vars = act_vars(&x);
	plan_var(vars, "customer_name", act_customer_name(&x));
	plan_var(vars, "customer_email", g_strdup(x.customer.email));
	plan_var(vars, "balance", act_num(x.balance));
	plan_var(vars, "licenses", licenses);
	plan_var(vars, "category", t->category ? act_num(t->category) :
	    g_strdup(act_flagged(&x, "security") ? "security (free)" : ""));
	plan_var(vars, "status", g_strdup(t->status));
	plan_var(vars, "marks", g_strdup(marks ? marks : ""));
	where = g_strdup_printf("deskctl ticket show %" G_GINT64_FORMAT,
	    (gint64)t->id);
	plan_var(vars, "new_text", notice_cut_quote(new_text,
	    NOTICE_QUOTE_MAX, where));
	plan_var(vars, "full_text", notice_cut_quote(full_text,
	    NOTICE_QUOTE_MAX, where));
	g_free(where);
	plan_var(vars, "staff_reply_address", staff);
	plan_var(vars, "preapproved", g_strdup(t->preapproved ? "1" : ""));
	plan_var(vars, "commands", g_strdup(command_usage()));
	rc = act_to_engineers(&x, "announce", true, vars, message_id, error);
done:
	act_ctx_clear(&x);
	return rc;
}
