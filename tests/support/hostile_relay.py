#!/usr/bin/env python3
"""Whoever holds the TLS path to the platform, for integration tests: an HTTPS
server on 127.0.0.1 with the platform's own certificate and key that forwards
every request to the real platform at 127.0.0.1:UPSTREAM_PORT and, as a
control file says (read again at every request), changes what the agent gets:

  {"offer": {"version": "0.2.0", "metadata": "<signed envelope>"},
       the check-in answer's "upgrade" offer replaced (null: removed)
   "packages": {"0.2.0": "/path/file"},
       GET .../v1/releases/0.2.0/package answered 200 with that file, whole,
       whatever Range was asked for
   "checkin_status": 503}
       every check-in answered with that status and an HTML page, as a load
       balancer in front of a failing platform answers

Each request is logged to LOG as "METHOD PATH STATUS", with " cut" when the
client closed the connection before the whole answer was sent. Prints the port it
listens on, then serves until killed.

Usage: hostile_relay.py UPSTREAM_PORT CERT KEY CONTROL LOG
"""
import http.client
import http.server
import json
import re
import ssl
import sys
import threading

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te",
              "trailer", "upgrade", "proxy-connection"}
PACKAGE = re.compile(r"/v1/releases/([0-9.]+)/package$")


def main():
    upstream, cert, key, control_file, log_file = sys.argv[1:6]
    log_lock = threading.Lock()

    def control():
        try:
            with open(control_file) as f:
                return json.load(f) or {}
        except (OSError, ValueError):
            return {}

    class Relay(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, headers, body):
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            outcome = ""
            try:
                self.wfile.write(body)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                outcome = " cut"  # the client stopped reading before the end
                self.close_connection = True
            with log_lock, open(log_file, "a") as log:
                log.write(f"{self.command} {self.path} {status}{outcome}\n")

        def relay(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            rules = control()
            path = self.path.split("?")[0]
            checkin = self.command == "POST" and path.endswith("/v1/checkin")
            if checkin and rules.get("checkin_status"):
                self.answer(int(rules["checkin_status"]), [("Content-Type", "text/html")],
                            b"<html><body>Service Unavailable</body></html>")
                return
            package = PACKAGE.search(path)
            served = rules.get("packages", {})
            if self.command == "GET" and package and package.group(1) in served:
                with open(served[package.group(1)], "rb") as f:
                    self.answer(200, [("Content-Type", "application/octet-stream")], f.read())
                return
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            connection = http.client.HTTPSConnection("127.0.0.1", int(upstream), context=context,
                                                     timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            connection.close()
            if checkin and response.status == 200 and "offer" in rules:
                doc = json.loads(answer)
                if rules["offer"] is None:
                    doc.pop("upgrade", None)
                else:
                    doc["upgrade"] = rules["offer"]
                answer = json.dumps(doc).encode()
            self.answer(response.status, response.getheaders(), answer)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = relay

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Relay)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
