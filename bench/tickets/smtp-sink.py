#!/usr/bin/env python3
"""An SMTP server that accepts every message and keeps only when it accepted which ticket's e-mail.

bench/tickets.sh runs it as the service's SMTP server. Each accepted message adds a line to the output file:
the ticket id from the Message-ID (32 hex digits) and the acceptance time in Unix milliseconds.
Usage: smtp-sink.py PORT OUTPUT_FILE
"""
import asyncore
import re
import smtpd
import sys
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)
# The service's Message-ID is <ticket-<the ticket id, 32 hex digits>@concert-ticket>.
MESSAGE_ID = re.compile(rb"^Message-ID:\s*<ticket-([0-9a-f]{32})@", re.IGNORECASE | re.MULTILINE)


class Sink(smtpd.SMTPServer):
    def __init__(self, port, out):
        super().__init__(("127.0.0.1", port), None, decode_data=False)
        self.out = out

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        found = MESSAGE_ID.search(data)
        self.out.write(f"{found.group(1).decode() if found else '-'}\t{int(time.time() * 1000)}\n")
        return None  # 250: accepted


if __name__ == "__main__":
    with open(sys.argv[2], "a", buffering=1) as out:
        Sink(int(sys.argv[1]), out)
        asyncore.loop(timeout=1)
