#!/usr/bin/env python3
"""What bounds any copier of SRC on this device: reading SRC alone, writing a new file alone,
and both at once on two threads, with direct I/O in blocks of BS, one system call at a time
as dd makes them (pread/pwrite; the GIL is released during each). The data written is the
first block of SRC, repeated: as incompressible to zram as the copy's own data. Prints
"read R write W both B" in seconds, each timed inside this process (no interpreter
start-up).

    scripts/dd-bound.py SRC OUT BS        # BS in bytes; OUT is created and removed
"""
import mmap
import os
import sys
import threading
import time


def aligned(n):
    return mmap.mmap(-1, n)  # page-aligned, as O_DIRECT wants


def read_all(src, bs, size):
    fd = os.open(src, os.O_RDONLY | os.O_DIRECT)
    buf = aligned(bs)
    try:
        off = 0
        while off < size:
            n = os.preadv(fd, [buf], off)
            if n <= 0:
                break
            off += n
    finally:
        os.close(fd)


def write_all(out, block, bs, size):
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o644)
    try:
        off = 0
        while off < size:
            off += os.pwritev(fd, [block], off)
    finally:
        os.close(fd)


def timed(fn):
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0


def main():
    src, out, bs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    size = os.path.getsize(src) // bs * bs
    block = aligned(bs)
    fd = os.open(src, os.O_RDONLY | os.O_DIRECT)
    os.preadv(fd, [block], 0)
    os.close(fd)
    r = timed(lambda: read_all(src, bs, size))
    w = timed(lambda: write_all(out, block, bs, size))
    os.unlink(out)

    def both():
        t = threading.Thread(target=write_all, args=(out, block, bs, size))
        t.start()
        read_all(src, bs, size)
        t.join()

    b = timed(both)
    os.unlink(out)
    print("read %.4f write %.4f both %.4f" % (r, w, b))


if __name__ == "__main__":
    main()
