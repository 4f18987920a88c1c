"""A real SMTP server for the notification tests: Debian's python3-aiosmtpd on 127.0.0.1:PORT,
storing every message it accepts as OUTDIR/<n>.eml (the DATA as received) and OUTDIR/<n>.json
(the envelope: mail_from, rcpt_tos). With --auth USER:PASSWORD it requires AUTH (PLAIN or
LOGIN) with exactly those credentials (allowed without TLS, on loopback only).

Usage: smtp_sink.py PORT OUTDIR [--auth USER:PASSWORD]. Prints "ready" once it accepts
connections, then serves until killed.
"""

import json
import os
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.outdir, "%03d" % n)
        with open(base + ".json.tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "login": getattr(session, "login_data", None) and "yes"}, f)
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".json.tmp", base + ".json")  # the .json appearing marks it complete
        return "250 OK"


def main():
    port, outdir = int(sys.argv[1]), sys.argv[2]
    creds = None
    if len(sys.argv) > 4 and sys.argv[3] == "--auth":
        user, _, password = sys.argv[4].partition(":")
        creds = (user.encode(), password.encode())

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = creds is not None and (auth_data.login, auth_data.password) == creds
        return AuthResult(success=ok)

    kwargs = {}
    if creds:
        kwargs = dict(authenticator=authenticator, auth_required=True,
                      auth_require_tls=False)
    controller = Controller(Sink(outdir), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
