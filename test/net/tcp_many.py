#!/usr/bin/python3
"""test/net/tcp_many.py: many concurrent TCP connections to the echo appliance (asyncio).

    tcp_many.py HOST PORT COUNT [--connecting N] [--timeout S]

1. Opens COUNT connections, at most N connection attempts in progress at once (the rest wait, as
   a burst of browsers would), and keeps every one of them open.
2. Once all COUNT are established, each sends its own 100-byte message (its index and random
   bytes) and must read exactly that message back: all COUNT connections are open and served at
   the same moment.
3. Each half-closes and must see the appliance close in turn (EOF), then closes.
Exit status 0 when all COUNT succeed within --timeout seconds, 1 otherwise (with a count of each
kind of failure and the first few reasons).
"""
import argparse
import asyncio
import collections
import os
import resource
import sys
import time

MESSAGE = 100


async def one(i, host, port, gate, all_open, opened, failures):
    writer = None
    try:
        async with gate:
            reader, writer = await asyncio.open_connection(host, port)
        opened.append(i)
        await all_open.wait()
        msg = f"{i:06d}".encode() + os.urandom(MESSAGE - 6)
        writer.write(msg)
        await writer.drain()
        back = await reader.readexactly(MESSAGE)
        if back != msg:
            raise ValueError(f"connection {i}: echo differs")
        writer.write_eof()
        rest = await reader.read()
        if rest:
            raise ValueError(f"connection {i}: {len(rest)} unexpected bytes before EOF")
        return True
    except (OSError, asyncio.IncompleteReadError, ValueError) as e:
        failures.append(f"{type(e).__name__}: {e}")
        return False
    finally:
        if writer is not None:
            writer.close()


async def run(host, port, count, connecting, timeout):
    gate = asyncio.Semaphore(connecting)
    all_open = asyncio.Event()
    opened, failures = [], []
    tasks = [asyncio.create_task(one(i, host, port, gate, all_open, opened, failures))
             for i in range(count)]
    start = time.monotonic()
    deadline = start + timeout
    # Release the exchange once every connection is open, or as soon as one has failed.
    while len(opened) < count and not failures and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    open_s = time.monotonic() - start
    all_open.set()
    done, pending = await asyncio.wait(tasks, timeout=max(1.0, deadline - time.monotonic()))
    for t in pending:
        t.cancel()
    ok = sum(1 for t in done if t.result())
    total_s = time.monotonic() - start
    if ok == count and len(opened) == count:
        print(f"{count} connections open at once after {open_s:.1f} s, every echo correct, "
              f"all closed cleanly; {total_s:.1f} s in all")
        return 0
    print(f"{ok} of {count} succeeded ({len(opened)} opened in {open_s:.1f} s, "
          f"{len(pending)} still pending at the timeout)")
    for reason, n in collections.Counter(failures).most_common(5):
        print(f"  {n} x {reason}")
    return 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("count", type=int)
    p.add_argument("--connecting", type=int, default=100)
    p.add_argument("--timeout", type=float, default=60.0)
    a = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.count + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard > 0 else want, hard))
    return asyncio.run(run(a.host, a.port, a.count, a.connecting, a.timeout))


if __name__ == "__main__":
    sys.exit(main())
