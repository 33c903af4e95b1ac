/*
 * classify.c - match rule files against the fields of a mail, and weigh
 * the evidence of robots.rules and of a report's structure (bounce.c):
 * a decisive rule decides alone, a report by its score, other hints only
 * two together (see classify.h and filters/robots.rules).
 */
#include "config.h"

#include <string.h>

#include "classify.h"

static const char *const class_names[] = {
	[MAIL_CLASS_HUMAN] = "human",
	[MAIL_CLASS_AUTOREPLY] = "autoreply",
	[MAIL_CLASS_BOUNCE] = "bounce",
	[MAIL_CLASS_LIST] = "list",
	[MAIL_CLASS_LOOP] = "loop",
};

const char *
mail_class_name(enum mail_class class)
{
	return class_names[class];
}

static char *
classify_snippet(const char *s, size_t start, size_t end)
{
	size_t len = end - start;
	char *copy, *valid;

	if (len > 80)
		len = 80;
	copy = g_strndup(s + start, len);
	valid = g_utf8_make_valid(copy, -1);
	g_free(copy);
	return valid;
}

/* Match R against one value; on a match fill *MATCHED_R. */
static bool
classify_try(struct rules *rules, const struct rule *r, const char *value,
    size_t len, char **matched_r)
{
	size_t start, end;

	if (value == NULL || !rules_match(rules, r, value, len, &start, &end))
		return false;
	if (matched_r != NULL)
		*matched_r = classify_snippet(value, start, end);
	return true;
}

/* Match R against every header NAME of OBJ. */
static bool
classify_headers(struct rules *rules, const struct rule *r, GMimeObject *obj,
    const char *name, char **matched_r)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	int i, n = list ? g_mime_header_list_get_count(list) : 0;

	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		const char *value;

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0)
			continue;
		value = g_mime_header_get_value(h);
		if (value == NULL)
			value = "";
		if (classify_try(rules, r, value, strlen(value), matched_r))
			return true;
	}
	return false;
}

/* Parts deeper than this are not looked at (the parser caps depth too). */
#define CLASSIFY_PART_DEPTH	16

/*
 * Match R against the MIME type of OBJ and of each part below it, or, for
 * an "inner:NAME" rule, against the headers NAME of each enclosed message.
 * An enclosed message (message/rfc822) counts as one part: its own parts
 * are the returned mail's, not the report's.
 */
static bool
classify_parts(struct rules *rules, const struct rule *r, GMimeObject *obj,
    int depth, char **matched_r)
{
	GMimeContentType *ct;

	if (obj == NULL || depth > CLASSIFY_PART_DEPTH)
		return false;
	if (strcmp(r->field, "part") == 0 &&
	    (ct = g_mime_object_get_content_type(obj)) != NULL) {
		char *type = g_mime_content_type_get_mime_type(ct);
		char *lower = g_ascii_strdown(type, -1);
		bool hit = classify_try(rules, r, lower, strlen(lower),
		    matched_r);

		g_free(lower);
		g_free(type);
		if (hit)
			return true;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int i, n = g_mime_multipart_get_count(mp);

		for (i = 0; i < n; i++)
			if (classify_parts(rules, r,
			    g_mime_multipart_get_part(mp, i), depth + 1,
			    matched_r))
				return true;
		return false;
	}
	if (GMIME_IS_MESSAGE_PART(obj) &&
	    g_str_has_prefix(r->field, "inner:")) {
		GMimeMessage *inner = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(obj));

		return inner != NULL && classify_headers(rules, r,
		    (GMimeObject *)inner, r->field + 6, matched_r);
	}
	return false;
}

static bool
classify_rule(struct rules *rules, const struct rule *r,
    const struct mail *mail, const char *sender, char **matched_r)
{
	const char *f = r->field;

	if (strcmp(f, "subject") == 0)
		return classify_try(rules, r, mail->subject,
		    strlen(mail->subject), matched_r);
	if (strcmp(f, "from") == 0)
		return classify_try(rules, r, mail->from_addr,
		    strlen(mail->from_addr), matched_r);
	if (strcmp(f, "sender") == 0)	/* NULL: not known (inspect) */
		return sender != NULL && classify_try(rules, r, sender,
		    strlen(sender), matched_r);
	if (strcmp(f, "text") == 0)
		return classify_try(rules, r, mail->text, strlen(mail->text),
		    matched_r);
	if (strcmp(f, "line") == 0) {
		const char *line = mail->text;

		while (*line != '\0') {
			const char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line) : strlen(line);

			if (classify_try(rules, r, line, len, matched_r))
				return true;
			line += len + (nl != NULL);
		}
		return false;
	}
	if (g_str_has_prefix(f, "header:") && mail->message != NULL) {
		GMimeObject *top = (GMimeObject *)mail->message;
		GMimeObject *part = g_mime_message_get_mime_part(
		    mail->message);

		/* GMime keeps Content-* headers on the top-level part */
		return classify_headers(rules, r, top, f + 7, matched_r) ||
		    (part != NULL && classify_headers(rules, r, part, f + 7,
		    matched_r));
	}
	if ((strcmp(f, "part") == 0 || g_str_has_prefix(f, "inner:")) &&
	    mail->message != NULL)
		return classify_parts(rules, r,
		    g_mime_message_get_mime_part(mail->message), 0, matched_r);
	return false;
}

const struct rule *
classify_first_match(struct rules *rules, const struct mail *mail,
    const char *sender, const char *label, char **matched_r)
{
	guint i, n = rules_count(rules);

	for (i = 0; i < n; i++) {
		const struct rule *r = rules_get(rules, i);

		if (label != NULL && strcmp(r->label, label) != 0)
			continue;
		if (classify_rule(rules, r, mail, sender, matched_r))
			return r;
	}
	return NULL;
}

static enum mail_class
classify_label(const char *label)
{
	guint c;

	for (c = 0; c < G_N_ELEMENTS(class_names); c++)
		if (strcmp(label, class_names[c]) == 0)
			return c;
	return MAIL_CLASS_HUMAN;
}

/*
 * Hints are independent when they look at different things: the subject,
 * the body (a "line" and a "text" rule read the same text), the parts,
 * the From address, the envelope sender, one header or another.
 */
static const char *
classify_source(const struct rule *r)
{
	if (strcmp(r->field, "line") == 0 || strcmp(r->field, "text") == 0)
		return "body";
	return r->field;
}

struct classify_hint {
	const struct rule *rule;
	char *matched;
};

static char *
classify_describe(const struct rule *r, const char *matched)
{
	return g_strdup_printf("%s: %s %s \"%s\"", r->where, r->label,
	    r->field, matched ? matched : "");
}

/*
 * Do two hints of R's class decide? Not for bounce, whose hints add to
 * the report's score, nor for human, whose hints only take from it.
 */
static bool
classify_weighs(const struct rule *r)
{
	enum mail_class c = classify_label(r->label);

	return c != MAIL_CLASS_HUMAN && c != MAIL_CLASS_BOUNCE;
}

/*
 * The class that two independent hints agree on first, in file order;
 * MAIL_CLASS_HUMAN when none has two. HINTS holds every hint that matched.
 */
static enum mail_class
classify_weigh(const GArray *hints)
{
	guint i, j, best = G_MAXUINT;
	enum mail_class class = MAIL_CLASS_HUMAN;

	for (i = 0; i < hints->len; i++) {
		const struct classify_hint *h = &g_array_index(hints,
		    struct classify_hint, i);

		/* is H the second source of its class? */
		for (j = 0; j < i; j++) {
			const struct classify_hint *e = &g_array_index(hints,
			    struct classify_hint, j);

			if (strcmp(e->rule->label, h->rule->label) == 0 &&
			    strcmp(classify_source(e->rule),
			    classify_source(h->rule)) != 0)
				break;
		}
		if (j < i && i < best && classify_weighs(h->rule)) {
			best = i;
			class = classify_label(h->rule->label);
		}
	}
	return class;
}

/* Which rules a pass of classify_decisive() runs. */
enum classify_pass {
	CLASSIFY_LOOP,		/* the decisive loop rules */
	CLASSIFY_DECISIVE,	/* the other decisive rules */
	CLASSIFY_FALLBACK,	/* the fallback rules */
};

static bool
classify_in_pass(const struct rule *r, enum classify_pass pass)
{
	if (r->hint)
		return false;
	if (r->fallback)
		return pass == CLASSIFY_FALLBACK;
	return (strcmp(r->label, "loop") == 0) == (pass == CLASSIFY_LOOP) &&
	    pass != CLASSIFY_FALLBACK;
}

/* The first rule of PASS that matches decides; fills OUT. */
static bool
classify_decisive(struct rules *robots, const struct mail *mail,
    const char *sender, enum classify_pass pass, struct classification *out)
{
	guint i, n = rules_count(robots);

	for (i = 0; i < n; i++) {
		const struct rule *r = rules_get(robots, i);
		char *matched = NULL;

		if (!classify_in_pass(r, pass) ||
		    !classify_rule(robots, r, mail, sender, &matched))
			continue;
		out->class = classify_label(r->label);
		out->reason = classify_describe(r, matched);
		g_free(matched);
		return true;
	}
	return false;
}

/*
 * Add the hints of HINTS to the report's score: each independent source
 * once (two body lines say one thing), bounce wording for, a vacation's
 * wording (subject or body: Exchange puts X-Auto-Response-Suppress on
 * its reports too) and a person's hints against.
 */
static void
classify_score_hints(struct bounce_evidence *ev, const GArray *hints)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, NULL);
	guint i;

	for (i = 0; i < hints->len; i++) {
		const struct classify_hint *h = &g_array_index(hints,
		    struct classify_hint, i);
		enum mail_class c = classify_label(h->rule->label);
		const char *source = classify_source(h->rule);
		char *key, *what;
		int weight;

		if (c == MAIL_CLASS_BOUNCE)
			weight = 2;
		else if (c == MAIL_CLASS_HUMAN)
			weight = -5;	/* no MTA writes a client's */
		else if (c == MAIL_CLASS_AUTOREPLY &&
		    (strcmp(source, "body") == 0 ||
		    strcmp(source, "subject") == 0))
			weight = -3;
		else
			continue;
		key = g_strdup_printf("%s %s", h->rule->label, source);
		if (g_hash_table_contains(seen, key)) {
			g_free(key);
			continue;
		}
		g_hash_table_add(seen, key);
		what = classify_describe(h->rule, h->matched);
		bounce_evidence_add(ev, weight, what);
		g_free(what);
	}
	g_hash_table_unref(seen);
}

void
classify_mail(struct rules *robots, const struct mail *mail,
    const char *sender, struct classification *out)
{
	GArray *hints = g_array_new(FALSE, FALSE,
	    sizeof(struct classify_hint));
	GString *reason;
	guint i, n = rules_count(robots);

	out->class = MAIL_CLASS_HUMAN;
	out->reason = NULL;
	for (i = 0; i < n; i++) {
		const struct rule *r = rules_get(robots, i);
		struct classify_hint h = { r, NULL };

		if (r->hint && classify_rule(robots, r, mail, sender,
		    &h.matched))
			g_array_append_val(hints, h);
	}
	bounce_evidence_read(mail, sender, &out->bounce);
	classify_score_hints(&out->bounce, hints);
	if (classify_decisive(robots, mail, sender, CLASSIFY_LOOP, out))
		goto out;
	if (bounce_evidence_decides(&out->bounce)) {
		out->class = MAIL_CLASS_BOUNCE;
		out->reason = g_strdup_printf("bounce evidence %d (threshold "
		    "%d): %s", out->bounce.score, BOUNCE_THRESHOLD,
		    out->bounce.why->str);
		goto out;
	}
	if (classify_decisive(robots, mail, sender, CLASSIFY_DECISIVE, out))
		goto out;
	/* hints: only two independent ones of one class decide */
	out->class = classify_weigh(hints);
	if (out->class == MAIL_CLASS_HUMAN &&
	    classify_decisive(robots, mail, sender, CLASSIFY_FALLBACK, out))
		goto out;
	reason = g_string_new(out->class == MAIL_CLASS_HUMAN ? "human" : "");
	for (i = 0; out->class != MAIL_CLASS_HUMAN && i < hints->len; i++) {
		struct classify_hint *h = &g_array_index(hints,
		    struct classify_hint, i);

		if (classify_label(h->rule->label) == out->class) {
			char *d = classify_describe(h->rule, h->matched);

			if (reason->len > 0)
				g_string_append(reason, " + ");
			g_string_append(reason, d);
			g_free(d);
		}
	}
	out->reason = g_string_free(reason, FALSE);
out:
	for (i = 0; i < hints->len; i++)
		g_free(g_array_index(hints, struct classify_hint,
		    i).matched);
	g_array_free(hints, TRUE);
}

void
classification_clear(struct classification *c)
{
	g_free(c->reason);
	c->reason = NULL;
	bounce_evidence_clear(&c->bounce);
}

bool
classify_text_match(struct rules *rules, const char *label, const char *text)
{
	guint i, n = rules_count(rules);

	for (i = 0; i < n; i++) {
		const struct rule *r = rules_get(rules, i);
		const char *line = text;

		if (strcmp(r->label, label) != 0 ||
		    strcmp(r->field, "line") != 0)
			continue;
		while (line != NULL && *line != '\0') {
			const char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line) : strlen(line);

			if (rules_match(rules, r, line, len, NULL, NULL))
				return true;
			line = nl ? nl + 1 : NULL;
		}
	}
	return false;
}
