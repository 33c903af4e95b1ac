/*
 * lmtp-drive.c - deliver messages over LMTP on parallel connections, as
 * postfix's lmtp(8) would, and time each.
 *
 *	lmtp-drive [-j CONNECTIONS] [-o OUT] -s SOCKET LIST
 *
 * LIST has one message a line: "FILE<TAB>SENDER<TAB>RECIPIENT" (drive.c's
 * format). CONNECTIONS (1) threads each open one connection to the UNIX
 * socket SOCKET and take the next message of LIST until none is left:
 * MAIL, RCPT and DATA pipelined, the message (CRLF, dot-stuffed, framed
 * before the clock starts), the reply after it. OUT (default stdout) gets
 * "MICROSECONDS REPLY_CODE" a message, in LIST's order; the last line on
 * stderr is "total SECONDS messages N failed F" (failed: no 250).
 *
 * Bench tool only (bench/run.sh builds it); it is not installed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct msg {
	char *env;		/* MAIL, RCPT, DATA */
	char *data;		/* framed message with the final "." */
	size_t env_len, data_len;
	long usec;
	int code;
};

static struct msg *msgs;
static size_t n_msgs, next_msg;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *sock_path;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

/* FILE as DATA content: CRLF line ends, dot-stuffed, "." at the end. */
static char *
frame(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);
	int c, bol = 1;

	if (f == NULL || out == NULL)
		die(path);
	while ((c = getc(f)) != EOF) {
		if (len + 4 > cap && (out = realloc(out, cap *= 2)) == NULL)
			die("realloc");
		if (bol && c == '.')
			out[len++] = '.';
		if (c == '\n' && (len == 0 || out[len - 1] != '\r'))
			out[len++] = '\r';
		out[len++] = (char)c;
		bol = c == '\n';
	}
	fclose(f);
	if (len + 8 > cap && (out = realloc(out, cap + 8)) == NULL)
		die("realloc");
	if (!bol) {
		out[len++] = '\r';
		out[len++] = '\n';
	}
	memcpy(out + len, ".\r\n", 3);
	*len_r = len + 3;
	return out;
}

/* Read one reply (all its lines); its code, or -1 at EOF. */
static int
reply(int fd, char *buf, size_t *have)
{
	for (;;) {
		char *nl = memchr(buf, '\n', *have);
		ssize_t n;

		if (nl != NULL) {
			size_t used = (size_t)(nl - buf) + 1;
			int code = atoi(buf), more = used > 3 && buf[3] == '-';

			memmove(buf, nl + 1, *have - used);
			*have -= used;
			if (!more)
				return code;
			continue;
		}
		if (*have >= 4096)
			*have = 0;
		n = read(fd, buf + *have, 4096 - *have);
		if (n <= 0)
			return -1;
		*have += (size_t)n;
	}
}

static int
send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *
worker(void *arg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[4096];
	size_t have = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	(void)arg;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die("connect");
	if (reply(fd, buf, &have) != 220 ||
	    send_all(fd, "LHLO drive\r\n", 12) < 0 ||
	    reply(fd, buf, &have) != 250)
		die("LHLO");
	for (;;) {
		struct msg *m;
		double t0;

		pthread_mutex_lock(&lock);
		m = next_msg < n_msgs ? &msgs[next_msg++] : NULL;
		pthread_mutex_unlock(&lock);
		if (m == NULL)
			break;
		t0 = now();
		if (send_all(fd, m->env, m->env_len) < 0 ||
		    reply(fd, buf, &have) != 250 ||
		    reply(fd, buf, &have) != 250 ||
		    reply(fd, buf, &have) != 354 ||
		    send_all(fd, m->data, m->data_len) < 0) {
			m->code = -1;
			break;
		}
		m->code = reply(fd, buf, &have);
		m->usec = (long)((now() - t0) * 1e6);
	}
	(void)send_all(fd, "QUIT\r\n", 6);
	close(fd);
	return NULL;
}

int
main(int argc, char **argv)
{
	const char *out_path = NULL;
	FILE *list, *out = stdout;
	char line[8192];
	pthread_t *threads;
	size_t cap = 1024, i, failed = 0;
	int ch, jobs = 1, j;
	double t0, total;

	while ((ch = getopt(argc, argv, "j:o:s:")) != -1) {
		switch (ch) {
		case 'j':
			jobs = atoi(optarg);
			break;
		case 'o':
			out_path = optarg;
			break;
		case 's':
			sock_path = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || sock_path == NULL || jobs < 1)
		goto usage;
	if ((list = fopen(argv[optind], "r")) == NULL)
		die(argv[optind]);
	if ((msgs = calloc(cap, sizeof(*msgs))) == NULL)
		die("calloc");
	while (fgets(line, sizeof(line), list) != NULL) {
		char *file = strtok(line, "\t\n"), *from = strtok(NULL, "\t\n");
		char *rcpt = strtok(NULL, "\t\n");

		if (file == NULL || rcpt == NULL)
			continue;
		if (from != NULL && strcmp(from, "<>") == 0)
			from = "";
		if (n_msgs == cap &&
		    (msgs = realloc(msgs, (cap *= 2) * sizeof(*msgs))) == NULL)
			die("realloc");
		memset(&msgs[n_msgs], 0, sizeof(*msgs));
		msgs[n_msgs].data = frame(file, &msgs[n_msgs].data_len);
		if (asprintf(&msgs[n_msgs].env, "MAIL FROM:<%s>\r\n"
		    "RCPT TO:<%s>\r\nDATA\r\n", from ? from : "", rcpt) < 0)
			die("asprintf");
		msgs[n_msgs].env_len = strlen(msgs[n_msgs].env);
		n_msgs++;
	}
	fclose(list);
	if (out_path != NULL && (out = fopen(out_path, "w")) == NULL)
		die(out_path);
	if ((threads = calloc((size_t)jobs, sizeof(*threads))) == NULL)
		die("calloc");
	t0 = now();
	for (j = 0; j < jobs; j++)
		if (pthread_create(&threads[j], NULL, worker, NULL) != 0)
			die("pthread_create");
	for (j = 0; j < jobs; j++)
		pthread_join(threads[j], NULL);
	total = now() - t0;
	for (i = 0; i < n_msgs; i++) {
		fprintf(out, "%ld %d\n", msgs[i].usec, msgs[i].code);
		failed += msgs[i].code != 250;
		free(msgs[i].env);
		free(msgs[i].data);
	}
	if (out != stdout)
		fclose(out);
	fprintf(stderr, "total %.6f messages %zu failed %zu\n", total, n_msgs,
	    failed);
	free(msgs);
	free(threads);
	return failed > 0;
usage:
	fprintf(stderr, "usage: lmtp-drive [-j CONNECTIONS] [-o OUT] -s SOCKET "
	    "LIST\n");
	return 2;
}
