/*
 * classify.h - is a mail from a person or from a robot?
 *
 * Classes: human, autoreply (RFC 3834 and the vacation habits of real
 * servers), bounce (delivery and feedback reports, null senders), list,
 * and loop (our own mail coming back). In this order:
 *  1. a "decisive" loop rule of filters/robots.rules;
 *  2. the structure of a delivery report, scored (bounce.h): the report
 *     part, a status beside an address, the returned message, a robot
 *     sender; plus the robots.rules hints, each independent source of
 *     them: +2 for bounce wording, -3 for vacation wording (subject or
 *     body), -5 for a person's (label "human": a reply's subject, a mail
 *     client). It decides at BOUNCE_THRESHOLD with report evidence;
 *  3. any other decisive rule (protocol evidence: headers, report parts,
 *     the envelope), the first that matches, in file order;
 *  4. two hints of one class (not bounce, which step 2 weighs) from
 *     independent sources (subject, body, parts, a header...);
 *  5. a "fallback" rule (the envelope's word alone: a null or
 *     mailer-daemon sender), the first that matches;
 *  6. human.
 * The reason names the rule (its file, line and matched text), the
 * evidence and its score, or every hint of the class joined by " + ".
 */
#ifndef DESK_CLASSIFY_H
#define DESK_CLASSIFY_H

#include "bounce.h"
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
	struct bounce_evidence bounce;	/* the report structure, scored,
					 * whatever the class */
};

const char *mail_class_name(enum mail_class class);

/*
 * classify_mail - the class of MAIL, delivered with envelope SENDER
 * ("" for the null sender, NULL when not known), by the rules of ROBOTS.
 * Fills OUT; free it with classification_clear().
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
