/*
 * classify.h - is a mail from a person or from a robot?
 *
 * Classes: human, autoreply (RFC 3834 and the vacation habits of real
 * servers), bounce (RFC 3464 delivery reports, null senders), list, and
 * loop (our own mail coming back). The evidence is in rule files
 * (filters/robots.rules). A "decisive" rule (protocol evidence: headers,
 * the report structure, the null sender) decides alone: the first one
 * that matches gives the class, and its file, line and matched text are
 * the reason. A "hint" (a subject, a body line, a returned message)
 * never decides alone: two hints of one class from independent sources
 * (subject, body, parts, a header...) do, and the reason names every
 * hint of that class, joined by " + ".
 */
#ifndef DESK_CLASSIFY_H
#define DESK_CLASSIFY_H

#include "mime-message.h"
#include "rules.h"

enum mail_class {
	MAIL_CLASS_HUMAN,
	MAIL_CLASS_AUTOREPLY,
	MAIL_CLASS_BOUNCE,
	MAIL_CLASS_LIST,
	MAIL_CLASS_LOOP,
};

struct classification {
	enum mail_class class;
	char *reason;		/* "human" when nothing decided */
};

const char *mail_class_name(enum mail_class class);

/*
 * classify_mail - the class of MAIL, delivered with envelope SENDER
 * ("" for the null sender, NULL when not known), by the rules of ROBOTS.
 * Fills OUT; free its reason with classification_clear().
 */
void classify_mail(struct rules *robots, const struct mail *mail,
    const char *sender, struct classification *out);
void classification_clear(struct classification *c);

/*
 * classify_first_match - the first rule of RULES (with label LABEL, or
 * any when NULL) whose field in MAIL matches. *MATCHED_R (may be NULL)
 * gets the matched text, cut to 80 bytes (transfer full).
 */
const struct rule *classify_first_match(struct rules *rules,
    const struct mail *mail, const char *sender, const char *label,
    char **matched_r);

/*
 * classify_text_match - does a "line" rule of RULES labelled LABEL match
 * a line of TEXT?
 */
bool classify_text_match(struct rules *rules, const char *label,
    const char *text);

#endif
