#!/usr/bin/env python3
"""lmtp-client.py - a small LMTP client for the tests (RFC 2033).

  lmtp-client.py -s SOCKET|-i HOST:PORT -f SENDER -t RCPT [-t RCPT...]
                 [-n TRANSACTIONS] [--blast] [--pause READY GO] FILE...

Sends each FILE (LF or CRLF lines; CRLF and dot-stuffing are done here) to
each RCPT, one transaction each, the list N times on one connection, and prints every reply line the server
sends, greeting included, one per line; "EOF" when the server closed the
connection before the replies the client waited for. With -q only the
replies after each message (one per recipient) and "EOF".

  --blast          write everything (LHLO, every transaction with its
                   message, QUIT) in one go without waiting for any reply
                   (RFC 2920 at its most), then read until the server closes
  --pause R G      after half the first message, create the file R and wait
                   until the file G exists, then send the rest
"""
import argparse
import os
import socket
import sys
import time


def frame(path):
    with open(path, 'rb') as f:
        data = f.read()
    lines = data.split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    out = []
    for line in lines:
        if line.endswith(b'\r'):
            line = line[:-1]
        if line.startswith(b'.'):
            line = b'.' + line
        out.append(line + b'\r\n')
    return b''.join(out)


class Conn:
    def __init__(self, args):
        self.quiet = args.quiet
        if args.socket:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.connect(args.socket)
        else:
            host, port = args.inet.rsplit(':', 1)
            self.s = socket.create_connection((host, int(port)))
        self.s.settimeout(60)
        self.buf = b''
        self.eof = False

    def send(self, data):
        try:
            self.s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def line(self):
        while b'\n' not in self.buf:
            try:
                more = self.s.recv(65536)
            except ConnectionResetError:
                more = b''
            if not more:
                self.eof = True
                return None
            self.buf += more
        line, self.buf = self.buf.split(b'\n', 1)
        return line.rstrip(b'\r').decode('utf-8', 'replace')

    def reply(self, show=True):
        """One reply, all its lines printed; its code, or None at EOF."""
        while True:
            line = self.line()
            if line is None:
                print('EOF', flush=True)
                return None
            if show or not self.quiet:
                print(line, flush=True)
            if len(line) < 4 or line[3] != '-':
                return line[:3]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('-s', '--socket')
    p.add_argument('-i', '--inet')
    p.add_argument('-f', '--sender', default='')
    p.add_argument('-t', '--to', action='append', required=True)
    p.add_argument('-n', '--transactions', type=int, default=1)
    p.add_argument('--blast', action='store_true')
    p.add_argument('-q', '--quiet', action='store_true')
    p.add_argument('--pause', nargs=2)
    p.add_argument('files', nargs='+')
    args = p.parse_args()
    messages = [frame(f) for f in args.files] * args.transactions

    def envelope(message):
        e = ('MAIL FROM:<%s> SIZE=%d BODY=8BITMIME\r\n'
             % (args.sender, len(message))).encode()
        for r in args.to:
            e += ('RCPT TO:<%s>\r\n' % r).encode()
        return e + b'DATA\r\n'
    c = Conn(args)
    if args.blast:
        c.send(b'LHLO client.test\r\n' +
               b''.join(envelope(m) + m + b'.\r\n' for m in messages) +
               b'QUIT\r\n')
        while c.reply() is not None:
            pass
        return 0
    if c.reply(False) != '220':
        return 1
    c.send(b'LHLO client.test\r\n')
    if c.reply(False) != '250':
        return 1
    for n, message in enumerate(messages):
        c.send(envelope(message))
        codes = [c.reply(False) for _ in range(1 + len(args.to) + 1)]
        if None in codes:
            return 1
        if codes[-1] != '354':
            continue
        if args.pause and n == 0:
            half = len(message) // 2
            c.send(message[:half])
            open(args.pause[0], 'w').close()
            deadline = time.time() + 60
            while not os.path.exists(args.pause[1]):
                if time.time() > deadline:
                    return 1
                time.sleep(0.01)
            c.send(message[half:] + b'.\r\n')
        else:
            c.send(message + b'.\r\n')
        for _ in args.to:
            if c.reply() is None:
                return 1
    c.send(b'QUIT\r\n')
    c.reply(False)
    return 0


if __name__ == '__main__':
    sys.exit(main())
