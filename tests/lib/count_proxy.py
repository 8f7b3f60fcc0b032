#!/usr/bin/python3
"""A counting HTTP reverse proxy for the benchmarks: forwards every request to UPSTREAM as it
is (path, query, headers, body: SigV4 signatures stay valid because the Host header is passed
on unchanged) and counts requests by kind.

  count_proxy.py UPSTREAM_HOST:PORT COUNTS_FILE [FLIP_MATCH FLIP_COUNT]

Prints `port=N` on stdout once it listens; on SIGTERM writes the counts as JSON to
COUNTS_FILE ({"LIST": n, "DELETE_OBJECTS": n, ...}) and exits. GET_BYTES counts the bytes of
GET answer bodies handed to clients (written in 1 MiB pieces, so a client killed mid-answer is
charged with what reached its socket).

With FLIP_MATCH and FLIP_COUNT it also damages answers, as a faulty middlebox, NIC or disk
cache would: one byte in the middle of the body of the first FLIP_COUNT (-1: every) GET
answers with a body whose path contains FLIP_MATCH is flipped; status and headers stay."""
import http.client
import http.server
import json
import signal
import socketserver
import sys
import threading
from collections import Counter

UPSTREAM = sys.argv[1]
COUNTS_FILE = sys.argv[2]
CHUNK = 1024 * 1024
FLIP_MATCH = sys.argv[3] if len(sys.argv) > 4 else None
flips_left = int(sys.argv[4]) if len(sys.argv) > 4 else 0
counts = Counter()
lock = threading.Lock()


def damaged(method, path, status, data):
    """The answer's body, with one byte flipped when this answer is one to damage."""
    global flips_left
    if FLIP_MATCH is None or method != "GET" or status not in (200, 206) or not data:
        return data
    if FLIP_MATCH not in path:
        return data
    with lock:
        if flips_left == 0:
            return data
        flips_left -= 1
        counts["FLIPPED"] += 1
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]


def kind(method, path):
    query = path.partition("?")[2]
    names = {part.partition("=")[0] for part in query.split("&") if part}
    if method == "GET" and ("list-type" in names or "delimiter" in names or "prefix" in names):
        return "LIST"
    if method == "POST" and "delete" in names:
        return "DELETE_OBJECTS"
    if method == "DELETE":
        return "DELETE_OBJECT"
    return method


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        with lock:
            counts[kind(self.command, self.path)] += 1
        upstream = http.client.HTTPConnection(UPSTREAM, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = damaged(self.command, self.path, answer.status, answer.read())
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        # A HEAD answer has no body but announces the object's length: pass that on.
        length = answer.getheader("Content-Length") if self.command == "HEAD" else None
        self.send_header("Content-Length", length or str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            for start in range(0, len(data), CHUNK):
                piece = data[start:start + CHUNK]
                try:
                    self.wfile.write(piece)
                except OSError:
                    break
                if self.command == "GET":
                    with lock:
                        counts["GET_BYTES"] += len(piece)
        upstream.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client killed mid-answer (the crash benchmark) is expected, not news


def main():
    server = Server(("127.0.0.1", 0), Proxy)

    def stop(*_):
        with open(COUNTS_FILE, "w") as out:
            json.dump(dict(counts), out)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    print("port=%d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
