"""per_process and per_event_loop: one thing per process (and per loop), anew after a fork."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
import weakref

from descent.live.process_local import per_event_loop, per_process


def test_threads_asking_at_once_get_one_thing_made_once():
    made = []

    @per_process
    def thing() -> object:
        time.sleep(0.05)  # long enough for every thread to arrive while it is being made
        made.append(object())
        return made[-1]

    got, start = [], threading.Barrier(8)

    def ask() -> None:
        start.wait()
        got.append(thing())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and all(each is made[0] for each in got) and thing() is made[0]


def test_a_forked_child_makes_its_own_and_the_parent_keeps_its():
    @per_process
    def owner() -> int:
        return os.getpid()

    assert owner() == os.getpid()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: report what it got, and leave without running pytest's exit
        try:
            os.write(write, str(owner()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        got_in_child = int(pipe.read())
    os.waitpid(child, 0)
    assert got_in_child == child and owner() == os.getpid()


def test_each_event_loop_gets_its_own_and_a_closed_loop_is_forgotten():
    made = []

    @per_event_loop
    def thing() -> object:
        made.append(object())
        return made[-1]

    async def twice() -> tuple[object, object]:
        return thing(), thing()

    first_loop = asyncio.new_event_loop()
    first = first_loop.run_until_complete(twice())
    second = asyncio.run(twice())  # a new loop meanwhile: its own thing
    first_loop.close()
    gone = weakref.ref(first_loop)
    del first_loop
    third = asyncio.run(twice())  # a new loop after the first closed: the first is let go
    gc.collect()
    assert first[0] is first[1] and second[0] is second[1] and third[0] is third[1]
    assert len({id(first[0]), id(second[0]), id(third[0])}) == 3 and len(made) == 3
    assert gone() is None
