-- bigstore.sql - the history of a busy help desk, written straight into a
-- store that "deskctl init" made (bench/bigstore.sh runs it): 25,000
-- customers, 100,000 tickets, 1,000,000 messages, with the rows shaped as
-- deskgate and deskctl write them, in one transaction, the indexes
-- dropped before and made again after (bigstore.sh does that).
--
-- Every id is above 1,000,000 (the table p), so that the benchmark's own
-- base store (its customers, and the tickets the replies answer, whose
-- reply addresses carry their ticket numbers) can be copied in beside it
-- with its ids as they are.
--
-- What is the same as deskgate writes it: every column of customers,
-- customer_addresses, licenses, ledger, staff, tickets, messages (an
-- inbound row has its dedup key, fingerprint, recipient, text and reply
-- text; a notice's row its Message-ID and VERP envelope), outbox (a
-- notice's row, sent) and audit; a ticket's messages thread: each
-- inbound message's raw header has In-Reply-To and References naming the
-- message before it in the ticket. What is not: the raw bytes. Each
-- inbound message's message_raw row is its real header with a two-line
-- body (about 900 bytes, and messages.size is that length), and a
-- notice's outbox raw is its header alone: the intake only ever appends
-- to message_raw (by rowid, at the right edge of its own b-tree) and
-- reads no raw bytes of another message, and the outbox runner reads the
-- raw bytes of due notices only. Full-size bytes (8.7 KB on average)
-- would make the store 10 GB and the copy each run makes a minute long,
-- and change no lookup the intake makes.
--
-- Times: the history spans the three years before the day before
-- generation, so no rate window of the intake (minutes to days) counts
-- it; the store is cached, so it is older still when used.

CREATE TEMP TABLE p AS SELECT
    1000000 AS o,
    CAST(strftime('%s', 'now') AS INTEGER) - 86400 AS t_end,
    3 * 365 * 86400 AS span,
    25000 AS ncust,
    100000 AS ntick;

CREATE TEMP TABLE nums(i INTEGER PRIMARY KEY);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s
    WHERE i < 100000)
INSERT INTO nums SELECT i FROM s;

CREATE TEMP TABLE lines_en(i INTEGER PRIMARY KEY, line TEXT);
INSERT INTO lines_en(line) VALUES
    ('The checkout page shows a blank screen after the last upgrade.'),
    ('Since yesterday our customers cannot pay with PayPal.'),
    ('The product import stops at row 1204 with a timeout.'),
    ('Could you tell me how to add a second storefront to the license?'),
    ('Shipping rates are calculated twice for orders from Germany.'),
    ('After changing the theme the mobile menu does not open any more.'),
    ('The admin panel is very slow when we open the orders list.'),
    ('I attached the error log from the server, please have a look.'),
    ('We need the invoices to show the VAT number of the buyer.'),
    ('The search returns no results for words with a hyphen.'),
    ('Emails to customers are not sent since we moved the hosting.'),
    ('Thank you for the quick answer, that solved the first part.'),
    ('Unfortunately the fix did not help, the error is still there.'),
    ('We use PHP 8.1 and MySQL 8 on a dedicated server.');
CREATE TEMP TABLE lines_ru(i INTEGER PRIMARY KEY, line TEXT);
INSERT INTO lines_ru(line) VALUES
    ('После обновления страница оформления заказа стала пустой.'),
    ('Со вчерашнего дня покупатели не могут оплатить через PayPal.'),
    ('Импорт товаров останавливается на строке 1204 по таймауту.'),
    ('Подскажите, как добавить вторую витрину к лицензии?'),
    ('Стоимость доставки в Германию считается дважды.'),
    ('Панель администратора очень медленно открывает список заказов.'),
    ('Письма покупателям не уходят после переезда на новый хостинг.'),
    ('Спасибо за быстрый ответ, первая часть вопроса решена.'),
    ('К сожалению, исправление не помогло, ошибка осталась.'),
    ('У нас PHP 8.1 и MySQL 8 на выделенном сервере.');

-- the staff: seven engineers (their mail is the answers below)
INSERT INTO staff (id, email, name, created)
SELECT o + i, printf('engineer%d@vendor.example', i),
    printf('Engineer %d', i), t_end - span
FROM p, nums WHERE i <= 7;

-- customers, each with its address, a license and the license's credits
INSERT INTO customers (id, email, name, lang, preapprove, created)
SELECT o + i, printf('h%d@shop%d.example', i, i % 1500),
    CASE WHEN i % 3 = 0 THEN printf('Иван Петров %d', i)
        ELSE printf('Bob Smith %d', i) END,
    CASE WHEN i % 3 = 0 THEN 'ru' ELSE 'en' END, (i % 20 = 0),
    t_end - span + i * 600
FROM p, nums WHERE i <= ncust;
INSERT INTO customer_addresses (address, customer_id)
SELECT email, id FROM customers WHERE id > (SELECT o FROM p);
INSERT INTO licenses (id, customer_id, product, kind, credits, created)
SELECT id, id, CASE WHEN id % 4 = 0 THEN 'multi-vendor' ELSE 'cs-cart' END,
    'first', 50, created FROM customers WHERE id > (SELECT o FROM p);
INSERT INTO ledger (id, customer_id, delta, reason, ticket_id,
    license_id, price_cents, created)
SELECT id, customer_id, credits, printf('license %d: %s %s', id, product, kind),
    NULL, id, NULL, created FROM licenses WHERE id > (SELECT o FROM p);

-- tickets: 10 messages on average, 2 to 18 (pairs of tickets balance,
-- so that there are exactly 1,000,000); most closed long ago
CREATE TEMP TABLE bt AS
SELECT i AS t, o + i AS id, o + 1 + (i * 7919) % ncust AS cust,
    10 + (CASE WHEN i % 2 = 1 THEN 1 ELSE -1 END) *
    (((i - (i + 1) % 2) * 2654435761) % 17 - 8) AS n,
    t_end - span + i * ((span - 30 * 86400) / ntick) AS created,
    lower(hex(randomblob(8))) AS tok_c,
    lower(hex(randomblob(8))) AS tok_s,
    lower(hex(randomblob(8))) AS tok_b
FROM p, nums WHERE i <= ntick;
CREATE TEMP TABLE btc AS
SELECT bt.*, c.email, c.name, c.lang,
    CASE WHEN c.lang = 'ru' THEN (SELECT rtrim(line, '.?') FROM lines_ru
        WHERE lines_ru.i = 1 + bt.t % 10)
    ELSE (SELECT rtrim(line, '.?') FROM lines_en
        WHERE lines_en.i = 1 + bt.t % 14) END AS subj_line,
    sum(n) OVER (ORDER BY t ROWS UNBOUNDED PRECEDING) - n AS start
FROM bt JOIN customers c ON c.id = bt.cust;

INSERT INTO tickets (id, customer_id, subject, status, category, charged,
    preapproved, lang, flags, created, updated, engineer_id)
SELECT id, cust, subj_line,
    CASE WHEN t % 100 < 85 THEN 'closed' WHEN t % 100 < 93 THEN 'answered'
        WHEN t % 100 < 97 THEN 'open'
        WHEN t % 100 < 98 THEN 'awaiting_confirmation'
        WHEN t % 100 < 99 THEN 'awaiting_credits' ELSE 'new' END,
    CASE WHEN t % 100 < 93 THEN 1 + t % 3 END,
    CASE WHEN t % 100 < 93 THEN (5 * (1 + t % 3)) ELSE 0 END,
    0, lang, '', created, created + n * 3600, (SELECT o FROM p) + 1 + t % 7
FROM btc;
INSERT INTO audit (id, at, actor, action, ticket_id, detail)
SELECT id, created, 'deskgate', 'ticket-opened', id,
    printf('customer=%s preapproved=no language=%s', email, lang)
FROM btc;

-- the messages of each ticket, position q from 0: the customer's request;
-- the acknowledgment (a notice); then in turn an engineer's answer by
-- mail, the answer notice to the customer, the customer's reply, and a
-- reply or (one in three) an out-of-office robot
CREATE TEMP TABLE bmp AS
SELECT mm.*,
    CASE WHEN what IN ('reply', 'robot') THEN
        -- the customer answers our last notice: its Message-ID
        printf('N%dQ%d.%X@desk.test', id, ql,
            ((mid_row - q + ql) * 2654435761) % 1099511627776)
    ELSE lag(message_id) OVER (PARTITION BY t ORDER BY q) END AS parent
FROM (SELECT m0.*, max(CASE WHEN what IN ('ack', 'answer') THEN q END)
    OVER (PARTITION BY t ORDER BY q) AS ql FROM (SELECT bm.*,
    substr('SunMonTueWedThuFriSat', 1 + 3 * strftime('%w', at, 'unixepoch'), 3)
        || strftime(', %d ', at, 'unixepoch')
        || substr('JanFebMarAprMayJunJulAugSepOctNovDec',
            1 + 3 * (strftime('%m', at, 'unixepoch') - 1), 3)
        || strftime(' %Y %H:%M:%S +0000', at, 'unixepoch') AS date822,
    CASE WHEN what IN ('ack', 'answer')
        THEN printf('N%dQ%d.%X@desk.test', id, q, (mid_row * 2654435761) % 1099511627776)
        WHEN what = 'staff'
        THEN printf('%d.%d.%x@mx.vendor.example', id, q, (mid_row * 40503) % 4294967296)
        ELSE printf('h%d.%d.%s@mail.shop%d.example', id, q,
            (mid_row * 2246822519) % 4294967296, cust % 1500) END AS message_id,
    CASE WHEN what IN ('ack', 'answer')
        THEN printf('support+%d-%s@desk.test', id, tok_b)
        WHEN what = 'staff'
        THEN printf('engineer%d@vendor.example', 1 + t % 7)
        ELSE email END AS env,
    CASE WHEN what = 'req' THEN 'support@desk.test'
        WHEN what = 'staff' THEN printf('support+%d-%s@desk.test', id, tok_s)
        WHEN what IN ('ack', 'answer') THEN email
        ELSE printf('support+%d-%s@desk.test', id, tok_c) END AS rcpt,
    CASE WHEN what = 'req' THEN NULL
        ELSE printf('[#%d] %s', id, subj_line) END AS tsubj,
    CASE WHEN lang = 'ru' THEN
        (SELECT group_concat(line, char(10)) FROM lines_ru
         WHERE lines_ru.i BETWEEN 1 + (t + q) % 10 AND 3 + (t + q) % 10)
    ELSE (SELECT group_concat(line, char(10)) FROM lines_en
         WHERE lines_en.i BETWEEN 1 + (t + q) % 14 AND 4 + (t + q) % 14)
    END AS body
FROM (SELECT b.*, q.i - 1 AS q, (SELECT o FROM p) + b.start + q.i AS mid_row,
    b.created + (q.i - 1) * (1800 + b.t % 7200) AS at,
    CASE WHEN q.i = 1 THEN 'req' WHEN q.i = 2 THEN 'ack'
        WHEN (q.i - 3) % 4 = 0 THEN 'staff'
        WHEN (q.i - 3) % 4 = 1 THEN 'answer'
        WHEN (q.i - 3) % 4 = 2 OR (b.t + q.i) % 3 <> 0 THEN 'reply'
        ELSE 'robot' END AS what
    FROM btc b JOIN nums q ON q.i <= b.n) bm) m0) mm;
DROP TABLE bt;
DROP TABLE btc;

INSERT INTO messages (id, ticket_id, direction, author, message_id,
    dedup_key, envelope_from, recipient, from_addr, subject, class, flags,
    text, reply_text, language, size, fingerprint, created)
SELECT mid_row, id,
    CASE WHEN what IN ('ack', 'answer') THEN 'out' ELSE 'in' END,
    CASE what WHEN 'req' THEN 'customer' WHEN 'reply' THEN 'customer'
        WHEN 'robot' THEN 'robot' WHEN 'staff' THEN 'staff'
        ELSE 'system' END,
    message_id,
    CASE WHEN what IN ('ack', 'answer') THEN NULL
        ELSE lower(hex(randomblob(32))) END,
    env, rcpt,
    CASE WHEN what IN ('ack', 'answer') THEN 'support@desk.test'
        ELSE env END,
    CASE what WHEN 'req' THEN subj_line WHEN 'robot' THEN
        'Automatic reply: ' || tsubj WHEN 'reply' THEN 'Re: ' || tsubj
        WHEN 'staff' THEN 'Re: ' || tsubj ELSE tsubj END,
    CASE WHEN what = 'robot' THEN 'autoreply' ELSE 'human' END,
    CASE WHEN what = 'robot' THEN 'suppressed' ELSE '' END,
    CASE what
        WHEN 'robot' THEN 'I am out of the office until Monday and will answer then.'
        WHEN 'ack' THEN printf('Dear %s,%sThank you for writing to the Test ' ||
            'Help Desk. Your request has been registered as ticket #%d.%s' ||
            'To add anything to this request, simply reply to this message.' ||
            ' Replies go to support+%d-%s@desk.test.%s--%sTest Help Desk',
            name, char(10, 10), id, char(10, 10), id, tok_c, char(10, 10), char(10))
        WHEN 'answer' THEN printf('Dear %s,%s%s%s--%sTest Help Desk',
            name, char(10, 10), body, char(10, 10), char(10))
        WHEN 'req' THEN body
        ELSE body || char(10, 10) || 'On ' || date(at - 3600, 'unixepoch')
            || ', Help Desk <support@desk.test> wrote:' || char(10) || '> '
            || replace(body, char(10), char(10) || '> ') END,
    CASE WHEN what IN ('ack', 'answer') THEN NULL
        WHEN what = 'robot' THEN 'I am out of the office until Monday and will answer then.'
        ELSE body END,
    CASE WHEN what IN ('ack', 'answer') THEN NULL ELSE lang END,
    0,	-- the length of the raw bytes, set below
    CASE WHEN what IN ('ack', 'answer') THEN NULL
        ELSE lower(hex(randomblob(32))) END,
    at
FROM bmp;

-- the raw bytes of inbound mail: the header as postfix's pipe(8) hands it
-- over, threading to the message before, and a short body
INSERT INTO message_raw (message_row, raw)
SELECT mid_row, CAST(printf('Return-Path: <%s>%sDelivered-To: %s%s' ||
    'Received: from mx.sender.example (mx.sender.example [192.0.2.%d])%s' ||
    '%sby mx.desk.test (Postfix) with ESMTPS id %X%s%sfor <%s>; %s%s' ||
    'From: %s <%s>%sTo: Help Desk <%s>%sSubject: %s%sDate: %s%s' ||
    'Message-ID: <%s>%s%s' ||
    'MIME-Version: 1.0%sContent-Type: text/plain; charset=utf-8%s' ||
    'Content-Transfer-Encoding: 8bit%s%s%s%s',
    env, nl, rcpt, nl, 1 + t % 250, nl, char(9), mid_row, nl, char(9), rcpt,
    date822, nl,
    CASE WHEN what = 'staff' THEN 'Engineer' ELSE name END, env, nl, rcpt, nl,
    CASE what WHEN 'req' THEN subj_line WHEN 'robot' THEN
        'Automatic reply: ' || tsubj ELSE 'Re: ' || tsubj END, nl,
    date822, nl, message_id, nl,
    CASE WHEN parent IS NULL THEN ''
        ELSE printf('In-Reply-To: <%s>%sReferences: <%s>%s', parent, nl,
            parent, nl) END,
    nl, nl, nl, nl, substr(body, 1, 120), nl) AS BLOB)
FROM bmp, (SELECT char(10) AS nl) WHERE what NOT IN ('ack', 'answer');
UPDATE messages SET size = (SELECT length(raw) FROM message_raw
    WHERE message_row = messages.id)
WHERE id > (SELECT o FROM p) AND direction = 'in';

-- the notices, sent: the outbox row has the message row's Message-ID
INSERT INTO outbox (id, ticket_id, kind, env_from, rcpt, subject, reply_to,
    message_id, text, raw, status, attempts, next_attempt, last_error,
    created, sent)
SELECT m.id, m.ticket_id, b.what, m.envelope_from, m.recipient, m.subject,
    printf('support+%d-%s@desk.test', b.id, b.tok_c), m.message_id, m.text,
    CAST(printf('From: Test Help Desk <support@desk.test>%sTo: %s%s' ||
        'Reply-To: support+%d-%s@desk.test%sSubject: %s%sMessage-ID: <%s>%s' ||
        'Auto-Submitted: auto-replied%sMIME-Version: 1.0%s' ||
        'Content-Type: text/plain; charset=utf-8%s%s', nl, m.recipient, nl,
        b.id, b.tok_c, nl, m.subject, nl, m.message_id, nl, nl, nl, nl, nl)
        AS BLOB),
    'sent', 1, m.created, NULL, m.created, m.created + 2
FROM bmp b JOIN main.messages m ON m.id = b.mid_row,
    (SELECT char(10) AS nl)
WHERE b.what IN ('ack', 'answer');
