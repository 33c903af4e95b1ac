/*
 * genmail.c - realistic help-desk mail for the benchmark, the same for
 * the same seed.
 *
 *	genmail -n N -s SEED -o DIR -c CUSTOMERS [-t TICKETS] [-D DOMAIN]
 *	genmail -S -o FILE -D DOMAIN -a MB	one message, MB MB attached
 *	genmail -P -o FILE -D DOMAIN -p PARTS	one message of PARTS parts
 *
 * CUSTOMERS: "EMAIL<TAB>LANG<TAB>NAME" lines; TICKETS: the desk's
 * acknowledgments, "TICKET<TAB>CUSTOMER<TAB>REPLY_TO<TAB>ENV_FROM<TAB>
 * MESSAGE_ID<TAB>SUBJECT<TAB>LANG" lines (bench/run.sh reads them from
 * the outbox; without -t every message is a new request of a customer,
 * in turn). Writes DIR/NNNNN.eml and, on stdout, drive's list:
 * "FILE<TAB>SENDER<TAB>RECIPIENT" ("-" for the null sender).
 *
 * The mix (of N): 60 % the customer's replies to a ticket (quoted
 * history; some multipart/alternative, some HTML only, some with an
 * attachment), 22 % new requests (plain, multipart/alternative, HTML
 * only, multipart/mixed with attachments; about 10 % of all the mail is
 * HTML only, which deskgate turns into text with libxml2),
 * 12 % robots (out-of-office replies, delivery reports to the notices'
 * VERP address, list mail), 6 % strangers. Russian customers write
 * Russian in UTF-8, KOI8-R or windows-1251. Every message carries the
 * Return-Path and Delivered-To fields postfix's pipe(8) flags R and D
 * add.
 *
 * Bench tool only; it is not installed.
 */
#define _GNU_SOURCE
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng = 88172645463325252ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static int
pick(int n)
{
	return (int)(rnd() % (uint32_t)n);
}

static const char *const en_lines[] = {
	"The checkout page shows a blank screen after the last upgrade.",
	"Since yesterday our customers cannot pay with PayPal.",
	"The product import stops at row 1204 with a timeout.",
	"Could you tell me how to add a second storefront to the license?",
	"Shipping rates are calculated twice for orders from Germany.",
	"After changing the theme the mobile menu does not open any more.",
	"The admin panel is very slow when we open the orders list.",
	"I attached the error log from the server, please have a look.",
	"We need the invoices to show the VAT number of the buyer.",
	"The search returns no results for words with a hyphen.",
	"Emails to customers are not sent since we moved the hosting.",
	"Is it possible to hide the price for guests only?",
	"The vendor payouts report shows wrong totals for March.",
	"Please check why the cron job fails every night at three.",
	"We followed the documentation but the add-on is still disabled.",
	"The images in the product gallery are cut off on the right side.",
	"Our SEO names were reset when we saved the category.",
	"It worked fine in the previous version, so this looks like a bug.",
	"Thank you for the quick answer, that solved the first part.",
	"Unfortunately the fix did not help, the error is still there.",
	"Here are the steps to reproduce it on a clean installation.",
	"We use PHP 8.1 and MySQL 8 on a dedicated server.",
};

static const char *const ru_lines[] = {
	"После обновления страница оформления заказа стала пустой.",
	"Со вчерашнего дня покупатели не могут оплатить заказ картой.",
	"Импорт товаров останавливается на строке 1204 с ошибкой.",
	"Подскажите, пожалуйста, как добавить вторую витрину к лицензии?",
	"Стоимость доставки считается дважды для заказов из Казани.",
	"После смены темы мобильное меню больше не открывается.",
	"Панель администратора очень медленно открывает список заказов.",
	"Прикладываю журнал ошибок с сервера, посмотрите, пожалуйста.",
	"Нам нужно, чтобы в счетах был указан ИНН покупателя.",
	"Поиск не находит товары, если в названии есть дефис.",
	"Письма покупателям не отправляются после переезда на новый хостинг.",
	"Можно ли скрыть цены только для гостей?",
	"Отчёт о выплатах продавцам показывает неверные суммы за март.",
	"Проверьте, пожалуйста, почему задание планировщика падает ночью.",
	"Мы сделали всё по документации, но модуль всё ещё выключен.",
	"Изображения в галерее товара обрезаются справа.",
	"Спасибо за быстрый ответ, первая часть проблемы решена.",
	"К сожалению, исправление не помогло, ошибка осталась.",
	"Вот шаги, чтобы воспроизвести это на чистой установке.",
	"У нас PHP 8.1 и MySQL 8 на выделенном сервере.",
};

static const char *const en_subjects[] = {
	"Checkout is blank after upgrade", "PayPal payments fail",
	"Import stops with a timeout", "Second storefront",
	"Shipping rates doubled", "Mobile menu broken", "Slow orders list",
	"Invoices without VAT number", "Search and hyphens",
	"Customer emails not sent", "Vendor payouts wrong",
	"Cron job fails at night",
};

static const char *const ru_subjects[] = {
	"Пустая страница оформления заказа", "Не проходит оплата картой",
	"Импорт останавливается", "Вторая витрина",
	"Доставка считается дважды", "Не открывается мобильное меню",
	"Медленный список заказов", "ИНН в счетах",
	"Письма не отправляются", "Неверные выплаты продавцам",
};

struct customer {
	char *email, *lang, *name;
};

struct ticket {
	char *id, *customer, *reply_to, *env_from, *message_id, *subject,
	    *lang;
};

static struct customer *customers;
static int ncustomers;
static struct ticket *tickets;
static int ntickets;
static const char *domain = "desk.test";
static long serial;

/* Split LINE on tabs into at most N fields (in place). */
static int
split(char *line, char **f, int n)
{
	int k = 0;

	line[strcspn(line, "\n")] = '\0';
	while (k < n) {
		f[k++] = line;
		line = strchr(line, '\t');
		if (line == NULL)
			break;
		*line++ = '\0';
	}
	return k;
}

static void
read_customers(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *f[3];
	size_t cap = 0;

	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	while (getline(&line, &cap, fp) > 0) {
		if (split(line, f, 3) < 3)
			continue;
		customers = realloc(customers, (ncustomers + 1) *
		    sizeof(*customers));
		customers[ncustomers].email = strdup(f[0]);
		customers[ncustomers].lang = strdup(f[1]);
		customers[ncustomers].name = strdup(f[2]);
		ncustomers++;
	}
	free(line);
	fclose(fp);
}

static void
read_tickets(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *f[7];
	size_t cap = 0;

	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	while (getline(&line, &cap, fp) > 0) {
		struct ticket *t;

		if (split(line, f, 7) < 7)
			continue;
		tickets = realloc(tickets, (ntickets + 1) * sizeof(*tickets));
		t = &tickets[ntickets++];
		t->id = strdup(f[0]);
		t->customer = strdup(f[1]);
		t->reply_to = strdup(f[2]);
		t->env_from = strdup(f[3]);
		t->message_id = strdup(f[4]);
		t->subject = strdup(f[5]);
		t->lang = strdup(f[6]);
	}
	free(line);
	fclose(fp);
}

/* A few lines of text in LANG, joined with newlines. */
static char *
body_text(const char *lang, int min, int max)
{
	int ru = strcmp(lang, "ru") == 0, n = min + pick(max - min + 1), i;
	size_t cap = 4096, len = 0;
	char *s = malloc(cap);

	s[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *l = ru ? ru_lines[pick(sizeof(ru_lines) /
		    sizeof(*ru_lines))] : en_lines[pick(sizeof(en_lines) /
		    sizeof(*en_lines))];

		if (len + strlen(l) + 2 >= cap)
			s = realloc(s, cap *= 2);
		len += sprintf(s + len, "%s\n", l);
	}
	return s;
}

/* TEXT converted from UTF-8 to CHARSET (a new string). */
static char *
convert(const char *text, const char *charset)
{
	iconv_t cd = iconv_open(charset, "UTF-8");
	size_t inleft = strlen(text), outleft = inleft * 2 + 1;
	char *out = malloc(outleft), *op = out, *ip = (char *)text;

	if (cd == (iconv_t)-1) {
		strcpy(out, text);
		return out;
	}
	iconv(cd, &ip, &inleft, &op, &outleft);
	*op = '\0';
	iconv_close(cd);
	return out;
}

static void
base64(FILE *fp, const unsigned char *p, size_t n)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, col = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
		    p[i + 2];

		fprintf(fp, "%c%c%c%c", t[v >> 18], t[(v >> 12) & 63],
		    t[(v >> 6) & 63], t[v & 63]);
		if ((col += 4) == 76) {
			fputc('\n', fp);
			col = 0;
		}
	}
	if (n - i == 1)
		fprintf(fp, "%c%c==", t[p[i] >> 2], t[(p[i] & 3) << 4]);
	else if (n - i == 2)
		fprintf(fp, "%c%c%c=", t[p[i] >> 2],
		    t[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
		    t[(p[i + 1] & 15) << 2]);
	fputc('\n', fp);
}

/* A base64 attachment of SIZE pseudo-random bytes (log text or binary). */
static void
attachment(FILE *fp, const char *boundary, size_t size)
{
	static const char *const names[][2] = {
		{ "screenshot.png", "image/png" },
		{ "error.log", "text/plain" },
		{ "export.csv", "text/csv" },
		{ "invoice.pdf", "application/pdf" },
	};
	int k = pick(4);
	unsigned char *b = malloc(size + 1);
	size_t i;

	for (i = 0; i < size; i++)
		b[i] = k == 1 || k == 2 ? (unsigned char)(' ' + pick(95)) :
		    (unsigned char)rnd();
	fprintf(fp, "--%s\nContent-Type: %s; name=\"%s\"\n"
	    "Content-Disposition: attachment; filename=\"%s\"\n"
	    "Content-Transfer-Encoding: base64\n\n", boundary, names[k][1],
	    names[k][0], names[k][0]);
	base64(fp, b, size);
	free(b);
}

/* Attachment sizes: mostly small, some up to a few hundred KB. */
static size_t
attachment_size(void)
{
	size_t s = 2048 + pick(30000);

	if (pick(5) == 0)
		s += pick(300000);
	return s;
}

static void
date_header(FILE *fp)
{
	fprintf(fp, "Date: %s, %02d Nov 2026 %02d:%02d:%02d +0300\n",
	    (const char *[]){ "Mon", "Tue", "Wed", "Thu", "Fri" }[pick(5)],
	    1 + pick(28), pick(24), pick(60), pick(60));
}

static void
envelope(FILE *fp, const char *sender, const char *rcpt)
{
	fprintf(fp, "Return-Path: <%s>\nDelivered-To: %s\n", sender, rcpt);
	fprintf(fp, "Received: from mx.sender.example (mx.sender.example "
	    "[192.0.2.%d])\n\tby mx.%s (Postfix) with ESMTPS id %08lX\n\t"
	    "for <%s>; Thu, 26 Nov 2026 10:00:00 +0000 (UTC)\n",
	    1 + pick(250), domain, (unsigned long)rnd(), rcpt);
}

/* The text part: Russian text in one of three charsets, else UTF-8. */
static void
text_part(FILE *fp, const char *lang, const char *text)
{
	const char *charset = "utf-8";
	char *conv = NULL;

	if (strcmp(lang, "ru") == 0) {
		int k = pick(10);

		if (k < 2)
			charset = "koi8-r";
		else if (k < 4)
			charset = "windows-1251";
	}
	if (strcmp(charset, "utf-8") != 0)
		conv = convert(text, charset);
	fprintf(fp, "Content-Type: text/plain; charset=%s\n"
	    "Content-Transfer-Encoding: 8bit\n\n%s", charset,
	    conv ? conv : text);
	free(conv);
}

static void
html_part(FILE *fp, const char *text, const char *quote)
{
	const char *p;

	fprintf(fp, "Content-Type: text/html; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n<html><head><style>"
	    "p{margin:0}</style></head><body><div dir=\"ltr\">");
	for (p = text; *p != '\0';) {
		size_t n = strcspn(p, "\n");

		fprintf(fp, "<p>%.*s</p>\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	fprintf(fp, "</div>");
	if (quote != NULL) {
		fprintf(fp, "<div class=\"gmail_quote\"><div dir=\"ltr\" "
		    "class=\"gmail_attr\">On Wed, 25 Nov 2026 at 12:00, Help "
		    "Desk wrote:<br></div><blockquote class=\"gmail_quote\">");
		for (p = quote; *p != '\0';) {
			size_t n = strcspn(p, "\n");

			fprintf(fp, "%.*s<br>\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
		fprintf(fp, "</blockquote></div>");
	}
	fprintf(fp, "</body></html>\n");
}

static void
quoted(FILE *fp, const char *lang, const char *history)
{
	const char *p;

	if (strcmp(lang, "ru") == 0)
		fprintf(fp, "\nСр, 25 нояб. 2026 г. в 12:00, Help Desk "
		    "<support@%s>:\n", domain);
	else
		fprintf(fp, "\nOn Wed, 25 Nov 2026 at 12:00, Help Desk "
		    "<support@%s> wrote:\n", domain);
	for (p = history; *p != '\0';) {
		size_t n = strcspn(p, "\n");

		fprintf(fp, "> %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static void
signature(FILE *fp, const struct customer *c)
{
	fprintf(fp, "\n-- \n%s\n+1 555 0100 %04d\n", c->name, pick(10000));
}

static const struct customer *
customer_of(const char *email)
{
	int i;

	for (i = 0; i < ncustomers; i++)
		if (strcmp(customers[i].email, email) == 0)
			return &customers[i];
	return &customers[0];
}

/* The customer's reply to ticket T. */
static void
gen_reply(FILE *fp, const struct ticket *t, const char **sender,
    const char **rcpt)
{
	const struct customer *c = customer_of(t->customer);
	char *text = body_text(t->lang, 1, 4), *history = body_text(t->lang,
	    2, 6);
	/* 0-5 plain, 6-7 plain and HTML, 8 HTML only, 9 attachment */
	int kind = pick(10);
	char boundary[64];

	*sender = c->email;
	*rcpt = t->reply_to;
	envelope(fp, c->email, t->reply_to);
	fprintf(fp, "From: %s <%s>\nTo: Help Desk <%s>\n"
	    "Subject: Re: [#%s] %s\n", c->name, c->email, t->reply_to, t->id,
	    t->subject);
	date_header(fp);
	fprintf(fp, "Message-ID: <r%ld.%08x@mail.customer.example>\n"
	    "In-Reply-To: <%s>\nReferences: <%s>\nMIME-Version: 1.0\n",
	    serial, rnd(), t->message_id, t->message_id);
	snprintf(boundary, sizeof(boundary), "=_b%ld_%08x", serial, rnd());
	if (kind <= 5) {
		char *body = NULL;
		size_t blen = 0;
		FILE *m = open_memstream(&body, &blen);

		fputs(text, m);
		quoted(m, t->lang, history);
		signature(m, c);
		fclose(m);
		fputs("User-Agent: Mozilla Thunderbird\n", fp);
		text_part(fp, t->lang, body);
		free(body);
	} else if (kind <= 7) {
		fprintf(fp, "Content-Type: multipart/alternative; "
		    "boundary=\"%s\"\n\n--%s\n", boundary, boundary);
		fprintf(fp, "Content-Type: text/plain; charset=utf-8\n\n%s",
		    text);
		quoted(fp, t->lang, history);
		fprintf(fp, "\n--%s\n", boundary);
		html_part(fp, text, history);
		fprintf(fp, "--%s--\n", boundary);
	} else if (kind == 8) {
		html_part(fp, text, history);
	} else {
		fprintf(fp, "Content-Type: multipart/mixed; boundary=\"%s\"\n"
		    "\n--%s\n", boundary, boundary);
		fprintf(fp, "Content-Type: text/plain; charset=utf-8\n\n%s",
		    text);
		quoted(fp, t->lang, history);
		fputc('\n', fp);
		attachment(fp, boundary, attachment_size());
		fprintf(fp, "--%s--\n", boundary);
	}
	free(text);
	free(history);
}

/* A new request of customer C (or of a stranger when C is NULL). */
static void
gen_new(FILE *fp, const struct customer *c, const char **sender,
    const char **rcpt)
{
	static char stranger[128], to[128];
	const char *lang = c ? c->lang : (pick(3) == 0 ? "ru" : "en");
	const char *name = c ? c->name : "Pat Doe";
	const char *subject = strcmp(lang, "ru") == 0 ?
	    ru_subjects[pick(sizeof(ru_subjects) / sizeof(*ru_subjects))] :
	    en_subjects[pick(sizeof(en_subjects) / sizeof(*en_subjects))];
	char *text = body_text(lang, 2, 7), boundary[64];
	/* 0-3 plain, 4-6 plain and HTML, 7 HTML only, 8-9 attachments */
	int kind = pick(10);

	if (c == NULL)
		snprintf(stranger, sizeof(stranger), "visitor%d@mail%d.example",
		    pick(100000), pick(50));
	*sender = c ? c->email : stranger;
	snprintf(to, sizeof(to), "support@%s", domain);
	*rcpt = to;
	envelope(fp, *sender, to);
	fprintf(fp, "From: %s <%s>\nTo: support@%s\nSubject: ", name, *sender,
	    domain);
	if (strcmp(lang, "ru") == 0) {
		/* RFC 2047, base64, UTF-8 */
		fputs("=?UTF-8?B?", fp);
		{
			size_t n = strlen(subject);
			static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789+/";
			const unsigned char *p = (const unsigned char *)subject;
			size_t i;

			for (i = 0; i + 2 < n; i += 3) {
				uint32_t v = (uint32_t)p[i] << 16 |
				    (uint32_t)p[i + 1] << 8 | p[i + 2];

				fprintf(fp, "%c%c%c%c", t[v >> 18],
				    t[(v >> 12) & 63], t[(v >> 6) & 63],
				    t[v & 63]);
			}
			if (n - i == 1)
				fprintf(fp, "%c%c==", t[p[i] >> 2],
				    t[(p[i] & 3) << 4]);
			else if (n - i == 2)
				fprintf(fp, "%c%c%c=", t[p[i] >> 2],
				    t[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
				    t[(p[i + 1] & 15) << 2]);
		}
		fputs("?=\n", fp);
	} else
		fprintf(fp, "%s\n", subject);
	date_header(fp);
	fprintf(fp, "Message-ID: <n%ld.%08x@mail.example>\nMIME-Version: "
	    "1.0\n", serial, rnd());
	snprintf(boundary, sizeof(boundary), "=_n%ld_%08x", serial, rnd());
	if (kind <= 3) {
		text_part(fp, lang, text);
		if (c != NULL)
			signature(fp, c);
	} else if (kind <= 6) {
		fprintf(fp, "Content-Type: multipart/alternative; "
		    "boundary=\"%s\"\n\n--%s\n", boundary, boundary);
		fprintf(fp, "Content-Type: text/plain; charset=utf-8\n\n%s",
		    text);
		fprintf(fp, "\n--%s\n", boundary);
		html_part(fp, text, NULL);
		fprintf(fp, "--%s--\n", boundary);
	} else if (kind == 7) {
		html_part(fp, text, NULL);
	} else {
		fprintf(fp, "Content-Type: multipart/mixed; boundary=\"%s\"\n"
		    "\n--%s\n", boundary, boundary);
		text_part(fp, lang, text);
		fputc('\n', fp);
		attachment(fp, boundary, attachment_size());
		if (pick(3) == 0)
			attachment(fp, boundary, attachment_size());
		fprintf(fp, "--%s--\n", boundary);
	}
	free(text);
}

static void
gen_robot(FILE *fp, const char **sender, const char **rcpt)
{
	static char to[256];
	const struct ticket *t = &tickets[pick(ntickets)];
	const struct customer *c = customer_of(t->customer);
	int kind = pick(12);	/* 0-4 out of office, 5-9 bounce, 10-11 list */
	char boundary[64];

	snprintf(boundary, sizeof(boundary), "=_d%ld_%08x", serial, rnd());
	if (kind <= 4) {
		*sender = c->email;
		*rcpt = t->reply_to;
		envelope(fp, c->email, t->reply_to);
		fprintf(fp, "From: %s <%s>\nTo: %s\nSubject: Automatic reply: "
		    "[#%s] %s\n", c->name, c->email, t->reply_to, t->id,
		    t->subject);
		date_header(fp);
		fprintf(fp, "Message-ID: <oof%ld.%08x@mail.customer.example>\n"
		    "In-Reply-To: <%s>\nAuto-Submitted: auto-replied\n"
		    "X-Auto-Response-Suppress: All\nMIME-Version: 1.0\n"
		    "Content-Type: text/plain; charset=us-ascii\n\nI am out "
		    "of the office until Monday %d and will answer then.\n",
		    serial, rnd(), t->message_id, 1 + pick(28));
	} else if (kind <= 9) {
		*sender = "-";
		*rcpt = t->env_from;
		envelope(fp, "", t->env_from);
		fprintf(fp, "From: Mail Delivery System <MAILER-DAEMON@mx.%s>\n"
		    "To: %s\nSubject: Undelivered Mail Returned to Sender\n",
		    "customer.example", t->env_from);
		date_header(fp);
		fprintf(fp, "Message-ID: <dsn%ld.%08x@mx.customer.example>\n"
		    "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
		    "Content-Type: multipart/report; report-type=delivery-"
		    "status; boundary=\"%s\"\n\n--%s\nContent-Type: text/plain"
		    "\n\nI'm sorry to have to inform you that your message "
		    "could not be delivered.\n\n<%s>: host mx.customer.example"
		    " said: 550 5.1.1 User unknown\n\n--%s\nContent-Type: "
		    "message/delivery-status\n\nReporting-MTA: dns; "
		    "mx.customer.example\n\nFinal-Recipient: rfc822; %s\n"
		    "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 "
		    "5.1.1 User unknown\n\n--%s\nContent-Type: "
		    "text/rfc822-headers\n\nFrom: support@%s\nTo: %s\n"
		    "Subject: [#%s] %s\nMessage-ID: <%s>\n\n--%s--\n", serial,
		    rnd(), boundary, boundary, c->email, boundary, c->email,
		    boundary, domain, c->email, t->id, t->subject,
		    t->message_id, boundary);
	} else {
		static char list_sender[128];

		snprintf(list_sender, sizeof(list_sender),
		    "news-bounces+%d@lists.example", pick(1000));
		snprintf(to, sizeof(to), "support@%s", domain);
		*sender = list_sender;
		*rcpt = to;
		envelope(fp, list_sender, to);
		fprintf(fp, "From: Hosting News <news@lists.example>\nTo: "
		    "support@%s\nSubject: Hosting news, week %d\n", domain,
		    1 + pick(52));
		date_header(fp);
		fprintf(fp, "Message-ID: <list%ld.%08x@lists.example>\n"
		    "List-Id: <news.lists.example>\nList-Unsubscribe: "
		    "<mailto:unsub@lists.example>\nPrecedence: bulk\n"
		    "MIME-Version: 1.0\nContent-Type: text/plain; "
		    "charset=utf-8\n\nThis week: new data centre, PHP 8.3 "
		    "everywhere, and a %d %% discount.\n", serial, rnd(),
		    5 + pick(30));
	}
}

/* One message with a SIZE_MB MB attachment (base64 of random bytes). */
static void
gen_big(FILE *fp, int size_mb, int parts)
{
	const char *from = customers ? customers[0].email :
	    "bob@customer.example";
	char to[256];
	int i;

	snprintf(to, sizeof(to), "support@%s", domain);
	envelope(fp, from, to);
	fprintf(fp, "From: Bob Smith <%s>\nTo: %s\nSubject: %s\n", from, to,
	    parts ? "Many small files" : "Database dump attached");
	date_header(fp);
	fprintf(fp, "Message-ID: <big%d.%d.%08x@mail.customer.example>\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
	    "boundary=\"=_big\"\n\n--=_big\nContent-Type: text/plain; "
	    "charset=utf-8\n\nThe files you asked for are attached.\n\n",
	    size_mb, parts, rnd());
	if (parts > 0) {
		for (i = 1; i < parts; i++) {
			fprintf(fp, "--=_big\nContent-Type: text/plain; "
			    "name=\"part%d.txt\"\nContent-Disposition: "
			    "attachment; filename=\"part%d.txt\"\n\n"
			    "line %d of the log\n", i, i, i);
		}
	} else {
		size_t n = (size_t)size_mb * 1024 * 1024 / 4 * 3, i2;
		unsigned char *b = malloc(n);

		for (i2 = 0; i2 < n; i2++)
			b[i2] = (unsigned char)rnd();
		fprintf(fp, "--=_big\nContent-Type: application/octet-stream; "
		    "name=\"dump.bin\"\nContent-Disposition: attachment; "
		    "filename=\"dump.bin\"\nContent-Transfer-Encoding: "
		    "base64\n\n");
		base64(fp, b, n);
		free(b);
	}
	fprintf(fp, "--=_big--\n");
}

int
main(int argc, char **argv)
{
	const char *dir = NULL, *cpath = NULL, *tpath = NULL;
	int n = 2000, ch, big = 0, size_mb = 20, parts = 0;
	long i;

	while ((ch = getopt(argc, argv, "+n:s:o:c:t:D:SPa:p:")) != -1) {
		switch (ch) {
		case 'n': n = atoi(optarg); break;
		case 's': rng ^= strtoull(optarg, NULL, 10) * 2654435761ULL;
			break;
		case 'o': dir = optarg; break;
		case 'c': cpath = optarg; break;
		case 't': tpath = optarg; break;
		case 'D': domain = optarg; break;
		case 'S': big = 1; break;
		case 'P': big = 2; parts = 2000; break;
		case 'a': size_mb = atoi(optarg); break;
		case 'p': parts = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (dir == NULL)
		goto usage;
	if (big) {
		FILE *fp;

		if (cpath != NULL)
			read_customers(cpath);
		if ((fp = fopen(dir, "w")) == NULL) {

			perror(dir);
			return 2;
		}
		gen_big(fp, size_mb, big == 2 ? parts : 0);
		fclose(fp);
		return 0;
	}
	if (cpath == NULL)
		goto usage;
	read_customers(cpath);
	if (tpath != NULL)
		read_tickets(tpath);
	if (ncustomers == 0) {
		fprintf(stderr, "genmail: no customers\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		char path[4096];
		const char *sender = NULL, *rcpt = NULL;
		int k = pick(100);
		FILE *fp;

		serial = i;
		snprintf(path, sizeof(path), "%s/%05ld.eml", dir, i);
		if ((fp = fopen(path, "w")) == NULL) {
			perror(path);
			return 2;
		}
		if (ntickets == 0)	/* no tickets yet: the first requests */
			gen_new(fp, &customers[i % ncustomers], &sender,
			    &rcpt);
		else if (k < 60)
			gen_reply(fp, &tickets[pick(ntickets)], &sender, &rcpt);
		else if (k < 82)
			gen_new(fp, &customers[pick(ncustomers)], &sender,
			    &rcpt);
		else if (k < 94)
			gen_robot(fp, &sender, &rcpt);
		else
			gen_new(fp, NULL, &sender, &rcpt);
		fclose(fp);
		printf("%s\t%s\t%s\n", path, sender, rcpt);
	}
	return 0;
usage:
	fprintf(stderr, "usage: genmail -n N -s SEED -o DIR -c CUSTOMERS "
	    "[-t TICKETS] [-D DOMAIN]\n       genmail -S|-P -o FILE [-a MB] "
	    "[-p PARTS]\n");
	return 2;
}
