#!/usr/bin/env python3
"""A FastCGI client that can stop halfway through a request (standard library only).

cgi-fcgi sends a whole request at once; tests/integration/signals.sh needs a request the web
server has begun and not finished, to signal the worker while it is in the middle of it. This
client speaks the FastCGI protocol (version 1, the responder role) over a Unix socket:

  FCGI_GET_VALUES     (--sync) sent first, and its FCGI_GET_VALUES_RESULT awaited: a worker
                      answers it only once it has accepted this connection, so when the answer
                      is in, the request is in a worker's hands, not in the socket's backlog.
  FCGI_BEGIN_REQUEST  then FCGI_PARAMS (the CGI variables, ended by an empty record), then
  FCGI_STDIN          the body, ended by an empty record.
  FCGI_STDOUT         collected and written to standard output (what cgi-fcgi prints: the
                      CGI response, "Status: ..." headers, a blank line, the body);
  FCGI_STDERR         written to standard error;
  FCGI_END_REQUEST    ends the request; the exit status says whether it came (below).

--pause params|body stops in the middle of the PARAMS stream or of the body (its first half sent,
the declared CONTENT_LENGTH being the whole), creates the file --ready and waits for the file
--go before sending the rest. --count N sends N whole requests instead, --parallel at a time,
and prints one line per request: its status line, or "CUT ..." for a request that got no
FCGI_END_REQUEST.

Exit status: 0 every request ended with FCGI_END_REQUEST (FCGI_REQUEST_COMPLETE); 1 one of them
did not: the connection was closed first, or the worker did not answer within --timeout
seconds; 2 usage.

  fcgi_client.py --socket SOCK [--sync] [--pause params|body --ready F --go F]
                 [--content-type T] [--body TEXT] [--param NAME=VALUE]... METHOD URI
  fcgi_client.py --socket SOCK --count N [--parallel P] [...] METHOD URI
"""

import argparse
import os
import socket
import struct
import sys
import threading
import time

VERSION = 1
BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 2, 3, 4, 5, 6, 7
GET_VALUES, GET_VALUES_RESULT = 9, 10
RESPONDER = 1
REQUEST_COMPLETE = 0
HEADER = struct.Struct(">BBHHBx")       # version, type, request id, content length, padding
MAX_CONTENT = 65535
REQUEST_ID = 1


class Cut(Exception):
    """The worker closed the connection, or went quiet, before FCGI_END_REQUEST."""


def record(rtype, content, request_id=REQUEST_ID):
    """One record (content up to MAX_CONTENT bytes), padded to a multiple of 8 as the spec
    recommends."""
    pad = -len(content) % 8
    return HEADER.pack(VERSION, rtype, request_id, len(content), pad) + content + b"\0" * pad


def stream(rtype, data):
    """The records carrying data as stream rtype, and the empty record that ends the stream."""
    out = b""
    for i in range(0, len(data), MAX_CONTENT):
        out += record(rtype, data[i:i + MAX_CONTENT])
    return out + record(rtype, b"")


def name_value(name, value):
    """A name-value pair: each length in 1 byte below 128, else in 4 with the top bit set."""
    def length(n):
        return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
    return length(len(name)) + length(len(value)) + name + value


def begin_request():
    return record(BEGIN_REQUEST, struct.pack(">HB5x", RESPONDER, 0))


def get_values():
    """FCGI_GET_VALUES (request id 0, a management record) asking for FCGI_MPXS_CONNS."""
    return record(GET_VALUES, name_value(b"FCGI_MPXS_CONNS", b""), request_id=0)


class Conn:
    """One connection to the worker; every wait on it is bounded by deadline."""

    def __init__(self, path, timeout):
        self.deadline = time.monotonic() + timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.pending = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _read(self, n):
        while len(self.pending) < n:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise Cut("no answer in time (%d bytes of a record read)" % len(self.pending))
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise Cut("no answer in time") from None
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Cut("connection closed by the worker")
            self.pending += chunk
        data, self.pending = self.pending[:n], self.pending[n:]
        return data

    def read_record(self):
        """(type, request id, content) of the next record."""
        version, rtype, rid, clen, pad = HEADER.unpack(self._read(HEADER.size))
        if version != VERSION:
            raise Cut("bad record version %d" % version)
        content = self._read(clen)
        self._read(pad)
        return rtype, rid, content

    def sync(self):
        """Sends FCGI_GET_VALUES and waits for the answer: a worker has accepted us then."""
        self.send(get_values())
        rtype, rid, _ = self.read_record()
        if rtype != GET_VALUES_RESULT or rid != 0:
            raise Cut("answer to FCGI_GET_VALUES is record type %d, id %d" % (rtype, rid))

    def response(self):
        """(stdout bytes, stderr bytes) once FCGI_END_REQUEST has come; Cut otherwise."""
        out, err = b"", b""
        while True:
            rtype, rid, content = self.read_record()
            if rid != REQUEST_ID:
                raise Cut("record type %d for request id %d" % (rtype, rid))
            if rtype == STDOUT:
                out += content
            elif rtype == STDERR:
                err += content
            elif rtype == END_REQUEST:
                app_status, protocol_status = struct.unpack(">IB3x", content)
                if protocol_status != REQUEST_COMPLETE:
                    raise Cut("FCGI_END_REQUEST with protocol status %d" % protocol_status)
                return out, err
            else:
                raise Cut("unexpected record type %d" % rtype)


def wait_file(path, deadline):
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise Cut("no %s in time" % path)
        time.sleep(0.01)


def request_parts(args):
    """The request's bytes as (before the pause, after it)."""
    body = args.body.encode()
    env = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "REQUEST_METHOD": args.method,
        "REQUEST_URI": args.uri,
        "SCRIPT_NAME": "",
        "QUERY_STRING": args.uri.partition("?")[2],
        "CONTENT_LENGTH": str(len(body)),
    }
    if args.content_type:
        env["CONTENT_TYPE"] = args.content_type
    for p in args.param:
        name, sep, value = p.partition("=")
        if not sep:
            raise SystemExit("fcgi_client: --param wants NAME=VALUE, got %r" % p)
        env[name] = value
    params = b"".join(name_value(k.encode(), v.encode()) for k, v in env.items())
    head = begin_request()
    if args.pause == "params":
        half = len(params) // 2
        return head + record(PARAMS, params[:half]), \
            record(PARAMS, params[half:]) + record(PARAMS, b"") + stream(STDIN, body)
    head += stream(PARAMS, params)
    if args.pause == "body":
        half = len(body) // 2
        return head + record(STDIN, body[:half]), record(STDIN, body[half:]) + record(STDIN, b"")
    return head + stream(STDIN, body), b""


def one(args):
    """One request, paused if asked; its FCGI_STDOUT on standard output."""
    deadline = time.monotonic() + args.timeout
    first, rest = request_parts(args)
    conn = Conn(args.socket, args.timeout)
    try:
        if args.sync:
            conn.sync()
        conn.send(first)
        if args.pause:
            with open(args.ready, "w"):
                pass
            wait_file(args.go, deadline)
            conn.send(rest)
        out, err = conn.response()
    finally:
        conn.close()
    sys.stdout.buffer.write(out)
    sys.stderr.buffer.write(err)


def many(args):
    """args.count whole requests, args.parallel at a time; one line each on standard output."""
    first, _ = request_parts(args)
    lines = [None] * args.count
    next_i = [0]
    lock = threading.Lock()

    def run():
        while True:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= args.count:
                return
            try:
                conn = Conn(args.socket, args.timeout)
                try:
                    conn.send(first)
                    out, _ = conn.response()
                finally:
                    conn.close()
                lines[i] = out.split(b"\r\n", 1)[0].decode(errors="replace")
            except (Cut, OSError) as e:
                lines[i] = "CUT %s" % e

    threads = [threading.Thread(target=run) for _ in range(args.parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("\n".join(lines))
    return 1 if any(line.startswith("CUT") for line in lines) else 0


def main():
    ap = argparse.ArgumentParser(description="A FastCGI client that can pause mid-request.")
    ap.add_argument("--socket", required=True, help="the worker's Unix socket")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds, for the whole request")
    ap.add_argument("--content-type", default="")
    ap.add_argument("--body", default="")
    ap.add_argument("--param", action="append", default=[], help="NAME=VALUE, another variable")
    ap.add_argument("--sync", action="store_true", help="wait until a worker has accepted")
    ap.add_argument("--pause", choices=("params", "body"))
    ap.add_argument("--ready", help="file created once paused")
    ap.add_argument("--go", help="file whose appearance ends the pause")
    ap.add_argument("--count", type=int, default=0, help="send this many whole requests")
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("method")
    ap.add_argument("uri")
    args = ap.parse_args()
    if args.pause and not (args.ready and args.go):
        ap.error("--pause needs --ready and --go")
    if args.pause and args.count:
        ap.error("--pause and --count exclude each other")
    if args.pause == "body" and len(args.body) < 2:
        ap.error("--pause body needs a body of 2 bytes or more")
    try:
        if args.count:
            return many(args)
        one(args)
    except (Cut, OSError) as e:
        print("fcgi_client: request cut: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
