/*
 * classify.c - match rule files against the fields of a mail.
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

void
classify_mail(struct rules *robots, const struct mail *mail,
    const char *sender, struct classification *out)
{
	const struct rule *r;
	char *matched = NULL;
	guint c;

	out->class = MAIL_CLASS_HUMAN;
	out->reason = g_strdup("human");
	r = classify_first_match(robots, mail, sender, NULL, &matched);
	if (r == NULL)
		return;
	for (c = 0; c < G_N_ELEMENTS(class_names); c++)
		if (strcmp(r->label, class_names[c]) == 0)
			out->class = c;
	g_free(out->reason);
	out->reason = g_strdup_printf("%s: %s %s \"%s\"", r->where, r->label,
	    r->field, matched ? matched : "");
	g_free(matched);
}

void
classification_clear(struct classification *c)
{
	g_free(c->reason);
	c->reason = NULL;
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
