/*
 * ticket-life.c - the transition table of a ticket (ticket-life.h).
 *
 * The support policy in rows: a category 1 answer goes out and is
 * charged at once; category 2 and 3 are asked first unless the customer
 * agreed in advance; nothing is charged that the balance cannot cover;
 * security reports are free; custom development is declined, free.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "ticket-life.h"

#define S(x) (1u << (x))
#define WORKING (S(LIFE_NEW) | S(LIFE_OPEN) | S(LIFE_ANSWERED))
#define WAITING (S(LIFE_AWAITING_CONFIRMATION) | S(LIFE_AWAITING_CREDITS))
#define NOT_CLOSED (WORKING | WAITING)
#define ANY_STATUS (NOT_CLOSED | S(LIFE_CLOSED))

static const struct life_row life_rows[] = {
	/* the customer writes: the engineers hear of it; done is undone */
	{ S(LIFE_NEW) | S(LIFE_OPEN) | WAITING, LIFE_CUSTOMER_WRITES,
	    LIFE_ANY, LIFE_SAME, LEDGER_NONE, ANSWER_NONE, NOTICE_ANNOUNCE,
	    false },
	{ S(LIFE_ANSWERED) | S(LIFE_CLOSED), LIFE_CUSTOMER_WRITES, LIFE_ANY,
	    LIFE_OPEN, LEDGER_NONE, ANSWER_NONE, NOTICE_ANNOUNCE, false },

	/* an assessment: charged and answered, asked first, or short */
	{ NOT_CLOSED, LIFE_ASSESS, LIFE_PAID, LIFE_ANSWERED, LEDGER_CHARGE,
	    ANSWER_SEND, NOTICE_CATEGORY, true },
	{ NOT_CLOSED, LIFE_ASSESS, LIFE_ASK, LIFE_AWAITING_CONFIRMATION,
	    LEDGER_NONE, ANSWER_HOLD, NOTICE_CONFIRM, true },
	{ NOT_CLOSED, LIFE_ASSESS, LIFE_SHORT, LIFE_AWAITING_CREDITS,
	    LEDGER_NONE, ANSWER_HOLD, NOTICE_CREDITS, true },

	/* an answer on an assessed ticket; held while the ticket waits */
	{ WORKING, LIFE_ANSWER, LIFE_ANY, LIFE_ANSWERED, LEDGER_NONE,
	    ANSWER_SEND, 0, false },
	{ WAITING, LIFE_ANSWER, LIFE_ANY, LIFE_SAME, LEDGER_NONE,
	    ANSWER_HOLD, 0, false },

	/* free, or declined as custom development (free, closed) */
	{ NOT_CLOSED, LIFE_SECURITY, LIFE_ANY, LIFE_ANSWERED, LEDGER_REFUND,
	    ANSWER_SEND, 0, true },
	{ NOT_CLOSED, LIFE_CUSTOM, LIFE_ANY, LIFE_CLOSED, LEDGER_REFUND,
	    ANSWER_CANCEL, NOTICE_CUSTOM, true },

	/* the customer's word on the assessment */
	{ S(LIFE_AWAITING_CONFIRMATION), LIFE_CONFIRM, LIFE_PAID,
	    LIFE_ANSWERED, LEDGER_CHARGE, ANSWER_SEND, NOTICE_CONFIRMED,
	    false },
	{ S(LIFE_AWAITING_CONFIRMATION), LIFE_CONFIRM, LIFE_SHORT,
	    LIFE_AWAITING_CREDITS, LEDGER_NONE, ANSWER_NONE,
	    NOTICE_CONFIRMED | NOTICE_CREDITS, false },
	{ S(LIFE_AWAITING_CONFIRMATION), LIFE_DECLINE, LIFE_ANY, LIFE_CLOSED,
	    LEDGER_NONE, ANSWER_CANCEL, NOTICE_DECLINED, false },

	/* credits bought: the ticket resumes where it stopped */
	{ S(LIFE_AWAITING_CREDITS), LIFE_CREDITS_ADDED, LIFE_PAID,
	    LIFE_ANSWERED, LEDGER_CHARGE, ANSWER_SEND, 0, false },
	{ S(LIFE_AWAITING_CREDITS), LIFE_CREDITS_ADDED, LIFE_SHORT,
	    LIFE_SAME, LEDGER_NONE, ANSWER_NONE, 0, false },

	/* the engineers' own business */
	{ ANY_STATUS, LIFE_NOTE, LIFE_ANY, LIFE_SAME, LEDGER_NONE,
	    ANSWER_NONE, 0, false },
	{ NOT_CLOSED, LIFE_SPLIT, LIFE_ANY, LIFE_SAME, LEDGER_NONE,
	    ANSWER_NONE, NOTICE_SPLIT, false },
	/* a closed ticket's held answers would never go: cancelled */
	{ NOT_CLOSED, LIFE_CLOSE, LIFE_ANY, LIFE_CLOSED, LEDGER_NONE,
	    ANSWER_CANCEL, 0, true },
	{ S(LIFE_CLOSED), LIFE_REOPEN, LIFE_ANY, LIFE_OPEN, LEDGER_NONE,
	    ANSWER_NONE, 0, false },
};

static const char *const life_status_names[LIFE_STATUS_COUNT] = {
	[LIFE_NEW] = "new",
	[LIFE_OPEN] = "open",
	[LIFE_AWAITING_CONFIRMATION] = "awaiting_confirmation",
	[LIFE_AWAITING_CREDITS] = "awaiting_credits",
	[LIFE_ANSWERED] = "answered",
	[LIFE_CLOSED] = "closed",
};

static const char *const life_event_names[LIFE_EVENT_COUNT] = {
	[LIFE_CUSTOMER_WRITES] = "customer-writes",
	[LIFE_ASSESS] = "assess",
	[LIFE_ANSWER] = "answer",
	[LIFE_SECURITY] = "security",
	[LIFE_CUSTOM] = "custom",
	[LIFE_CONFIRM] = "confirm",
	[LIFE_DECLINE] = "decline",
	[LIFE_CREDITS_ADDED] = "credits-added",
	[LIFE_NOTE] = "note",
	[LIFE_SPLIT] = "split",
	[LIFE_CLOSE] = "close",
	[LIFE_REOPEN] = "reopen",
};

const struct life_row *
life_step(enum life_status from, enum life_event event,
    enum life_price price)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(life_rows); i++) {
		const struct life_row *r = &life_rows[i];

		if (r->event == event && (r->from & S(from)) != 0 &&
		    (r->price == LIFE_ANY || r->price == price))
			return r;
	}
	return NULL;
}

enum life_status
life_next(const struct life_row *row, enum life_status from)
{
	return row->to == LIFE_SAME ? from : (enum life_status)row->to;
}

const struct life_row *
life_table(int *count_r)
{
	*count_r = (int)G_N_ELEMENTS(life_rows);
	return life_rows;
}

const char *
life_status_name(enum life_status s)
{
	return life_status_names[s];
}

int
life_status_parse(const char *name)
{
	int i;

	for (i = 0; i < LIFE_STATUS_COUNT; i++)
		if (name != NULL && strcmp(name, life_status_names[i]) == 0)
			return i;
	return -1;
}

const char *
life_event_name(enum life_event e)
{
	return life_event_names[e];
}
