#!/usr/bin/env python3
"""Issue 18's "done when": with 1,000 slowloris connections and 10,000 idle keep-alive connections open, a
normal client's requests still get answers with p99 < 100 ms.

Usage: slow_clients.py PORT [--slow 1000] [--idle 10000] [--requests 1000]
The slow connections send a header byte every 5 s (the red team's pace) and are reopened when the server cuts
them off (its header deadline); the idle ones sent one request, read the answer and then wait. The normal client
sends GET /api/health and POST /api/analyze alternately on one keep-alive connection, one at a time, and the
latency of each is measured from the first byte sent to the last byte read.
"""
import argparse
import asyncio
import json
import statistics
import sys
import time

HEALTH = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
BODY = b'{"M":4096,"N":4096,"K":4096,"precision":"FP16"}'
ANALYZE = (b"POST /api/analyze?hardware_key=b10 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length)
    return status, body


class counters:
    slow_open = 0
    slow_reopened = 0
    idle_open = 0
    idle_failed = 0


async def slow_client(port, stop):
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(1)
            continue
        counters.slow_open += 1
        try:
            writer.write(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            await writer.drain()
            while not stop.is_set():
                await asyncio.sleep(5)
                writer.write(b"a")
                await writer.drain()
                if reader.at_eof():
                    break
        except (OSError, ConnectionError):
            pass
        finally:
            counters.slow_open -= 1
            writer.close()
        counters.slow_reopened += 1


async def idle_client(port, opened, stop):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(HEALTH)
        await writer.drain()
        status, _ = await read_response(reader)
        if status != 200:
            counters.idle_failed += 1
            return
        counters.idle_open += 1
        opened.release()
        await stop.wait()
        writer.close()
    except (OSError, ConnectionError, asyncio.IncompleteReadError) as e:
        counters.idle_failed += 1
        opened.release()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--slow", type=int, default=1000)
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--requests", type=int, default=1000)
    a = ap.parse_args()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(slow_client(a.port, stop)) for _ in range(a.slow)]
    opened = asyncio.Semaphore(0)
    t0 = time.monotonic()
    # Open the idle connections 200 at a time (the listen backlog is finite).
    for start in range(0, a.idle, 200):
        n = min(200, a.idle - start)
        tasks += [asyncio.create_task(idle_client(a.port, opened, stop)) for _ in range(n)]
        for _ in range(n):
            await opened.acquire()
    await asyncio.sleep(2)
    setup_s = time.monotonic() - t0
    print(f"open: {counters.slow_open} slow, {counters.idle_open} idle keep-alive "
          f"({counters.idle_failed} idle failed) after {setup_s:.1f} s", flush=True)
    reader, writer = await asyncio.open_connection("127.0.0.1", a.port)
    lat = {"health": [], "analyze": []}
    errors = 0
    for i in range(a.requests):
        kind, req = ("health", HEALTH) if i % 2 == 0 else ("analyze", ANALYZE)
        t = time.perf_counter()
        writer.write(req)
        await writer.drain()
        status, body = await read_response(reader)
        lat[kind].append((time.perf_counter() - t) * 1000)
        if status != 200:
            errors += 1
        if i % 100 == 0:
            await asyncio.sleep(0.05)  # let the slow clients' bytes arrive in between
    allv = sorted(lat["health"] + lat["analyze"])
    p = lambda v, q: sorted(v)[min(len(v) - 1, int(q * len(v)))]
    print(f"still open at the end: {counters.slow_open} slow (reopened {counters.slow_reopened} times after the "
          f"server's header deadline), {counters.idle_open} idle")
    print(f"normal client: {len(allv)} requests, {errors} not 200")
    for k, v in list(lat.items()) + [("all", allv)]:
        print(f"  {k:8s} p50 {p(v, .5):7.2f} ms  p99 {p(v, .99):7.2f} ms  max {max(v):7.2f} ms")
    print(json.dumps({"slow": a.slow, "idle": counters.idle_open, "requests": len(allv), "errors": errors,
                      "p50_ms": round(p(allv, .5), 3), "p99_ms": round(p(allv, .99), 3),
                      "max_ms": round(max(allv), 3)}))
    stop.set()
    writer.close()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return 0 if errors == 0 and p(allv, .99) < 100 else 1


if __name__ == "__main__":
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sys.exit(asyncio.run(main()))
