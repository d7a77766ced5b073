#!/usr/bin/env python3
"""Connects to Bochs' COM1 in socket-server mode: logs what the machine writes, and types into it.

usage: serial-relay.py PORT LOG [--interactive | --script FILE] [--echo]
--interactive  the terminal is the serial console (raw mode; Ctrl-] ends the session)
--script FILE  lines 'expect REGEX' (wait, up to 600 s, for REGEX in the output since the last match)
               and 'send TEXT' (TEXT with \\n, \\r, \\t escapes) run in order
--echo         copy the output to stdout as it arrives
It retries the connection for 60 s (Bochs listens once it has started) and ends when Bochs closes it.
"""
import os
import re
import select
import socket
import sys
import time


def connect(port):
    deadline = time.time() + 60
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            if time.time() > deadline:
                sys.exit(f"serial-relay: nothing listens on port {port}")
            time.sleep(0.2)


def unescape(text):
    return text.encode().decode("unicode_escape").encode("latin-1")


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    port, log_path = int(args[0]), args[1]
    interactive = "--interactive" in args
    echo = "--echo" in args or interactive
    script = []
    if "--script" in args:
        with open(args[args.index("--script") + 1]) as f:
            for line in f:
                line = line.rstrip("\n")
                if line.strip():
                    verb, _, rest = line.partition(" ")
                    if verb not in ("expect", "send"):
                        sys.exit(f"serial-relay: bad script line: {line}")
                    script.append((verb, rest))
    sock = connect(port)
    sock.settimeout(None)
    log = open(log_path, "wb")
    seen = b""
    old_tty = None
    stdin_fd = sys.stdin.fileno()
    if interactive and os.isatty(stdin_fd):
        import termios
        import tty
        old_tty = termios.tcgetattr(stdin_fd)
        tty.setraw(stdin_fd)
    step_deadline = time.time() + 600
    try:
        while True:
            while script and script[0][0] == "send":
                sock.sendall(unescape(script.pop(0)[1]))
                step_deadline = time.time() + 600
            fds = [sock] + ([stdin_fd] if interactive else [])
            ready, _, _ = select.select(fds, [], [], 1.0)
            if script and time.time() > step_deadline:
                sys.stderr.write(f"serial-relay: timed out waiting for {script[0][1]!r}\n")
                script = []
            if sock in ready:
                data = sock.recv(4096)
                if not data:
                    break
                log.write(data)
                log.flush()
                if echo:
                    os.write(sys.stdout.fileno(), data.replace(b"\n", b"\r\n") if old_tty else data)
                seen += data
                if script and script[0][0] == "expect":
                    m = re.search(script[0][1].encode(), seen)
                    if m:
                        seen = seen[m.end():]
                        script.pop(0)
                        step_deadline = time.time() + 600
                seen = seen[-65536:]
            if interactive and stdin_fd in ready:
                data = os.read(stdin_fd, 1024)
                if not data or b"\x1d" in data:
                    break
                sock.sendall(data)
    finally:
        if old_tty is not None:
            import termios
            termios.tcsetattr(stdin_fd, termios.TCSADRAIN, old_tty)
        log.close()


main()
