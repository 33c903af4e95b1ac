/*
 * ticket-life.h - the life of a ticket as one table: its status and an
 * event give the next status, what happens to the credits, to the held
 * answers and which notices go out (doc/ARCHITECTURE.md, "Ticket life",
 * shows the same table). Every handler asks life_step(); none decides a
 * transition of its own.
 */
#ifndef DESK_TICKET_LIFE_H
#define DESK_TICKET_LIFE_H

#include <stdbool.h>

enum life_status {
	LIFE_NEW,
	LIFE_OPEN,
	LIFE_AWAITING_CONFIRMATION,
	LIFE_AWAITING_CREDITS,
	LIFE_ANSWERED,
	LIFE_CLOSED,
	LIFE_STATUS_COUNT
};

enum life_event {
	LIFE_CUSTOMER_WRITES,	/* the customer's new message */
	LIFE_ASSESS,		/* #category N, with or without an answer */
	LIFE_ANSWER,		/* an answer, the category unchanged */
	LIFE_SECURITY,		/* #security: free */
	LIFE_CUSTOM,		/* #custom: declined as custom development */
	LIFE_CONFIRM,		/* the customer confirms the assessment */
	LIFE_DECLINE,		/* ... or declines it */
	LIFE_CREDITS_ADDED,	/* credits bought for a ticket that waits */
	LIFE_NOTE,		/* #note: internal */
	LIFE_SPLIT,		/* #split: a question moved to a new ticket */
	LIFE_CLOSE,
	LIFE_REOPEN,
	LIFE_EVENT_COUNT
};

/* What the price says (policy_price()); LIFE_ANY where it does not matter. */
enum life_price {
	LIFE_ANY,
	LIFE_PAID,		/* charged (or refunded) now */
	LIFE_ASK,		/* needs the customer's confirmation */
	LIFE_SHORT,		/* not enough credits */
};

/* What happens to the credits. */
enum life_ledger {
	LEDGER_NONE,
	LEDGER_CHARGE,		/* the difference to the category's cost */
	LEDGER_REFUND,		/* everything charged for the ticket back */
};

/* What happens to the answer in this mail and to those held before. */
enum life_answer {
	ANSWER_NONE,		/* nothing sent; held answers stay held */
	ANSWER_SEND,		/* held ones released, this one sent */
	ANSWER_HOLD,		/* this one held too */
	ANSWER_CANCEL,		/* held ones cancelled, this one not sent */
};

/* Notices, as bits. */
enum life_notice {
	NOTICE_ANNOUNCE = 1 << 0,	/* to the engineers */
	NOTICE_CONFIRM = 1 << 1,	/* ask the customer to confirm */
	NOTICE_CREDITS = 1 << 2,	/* too few credits, the packages */
	NOTICE_CATEGORY = 1 << 3,	/* a change of category, charged */
	NOTICE_CUSTOM = 1 << 4,		/* declined as custom development */
	NOTICE_SPLIT = 1 << 5,		/* the question has a ticket of its own */
	NOTICE_CONFIRMED = 1 << 6,	/* to the engineer */
	NOTICE_DECLINED = 1 << 7,	/* to the engineer */
};

struct life_row {
	unsigned from;		/* a mask of 1 << enum life_status */
	enum life_event event;
	enum life_price price;
	int to;			/* enum life_status, or LIFE_SAME */
	enum life_ledger ledger;
	enum life_answer answer;
	unsigned notices;	/* enum life_notice bits */
	bool supersede;		/* a pending confirmation is void */
};

#define LIFE_SAME (-1)

/*
 * life_step - the row for a ticket in FROM meeting EVENT at PRICE, or
 * NULL when the event is not allowed in that status.
 */
const struct life_row *life_step(enum life_status from,
    enum life_event event, enum life_price price);

/* life_next - the status after ROW from FROM. */
enum life_status life_next(const struct life_row *row, enum life_status from);

/* The table itself, for doc and tests; *COUNT_R rows. */
const struct life_row *life_table(int *count_r);

/* Names: statuses as stored ("awaiting_confirmation"), events. */
const char *life_status_name(enum life_status s);
/* -1 for a name that is no status. */
int life_status_parse(const char *name);
const char *life_event_name(enum life_event e);

#endif
