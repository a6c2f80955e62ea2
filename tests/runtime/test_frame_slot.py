"""The capture-to-processing hand-over: newest frame wins when live, nothing lost when not."""

from __future__ import annotations

import threading
import time

import numpy as np

from agent.runtime.frame_slot import FrameSlot
from agent.types import Frame, FrameMeta


def _frame(index: int) -> Frame:
    return Frame(FrameMeta(index, index / 10.0, 4, 3), np.zeros((3, 4), np.uint8))


def test_live_slot_keeps_the_newest_frame_and_counts_the_dropped() -> None:
    slot = FrameSlot(threading.Event(), lossless=False)
    for index in range(5):
        slot.put(_frame(index))
    taken = slot.take(0.1)
    assert taken is not None and taken.meta.index == 4
    assert (slot.frames_in, slot.frames_dropped) == (5, 4)
    assert slot.take(0.05) is None and not slot.ended


def test_lossless_slot_makes_a_fast_producer_wait_for_a_slow_consumer() -> None:
    slot = FrameSlot(threading.Event(), lossless=True)

    def produce() -> None:
        for index in range(40):
            slot.put(_frame(index))
        slot.end()

    producer = threading.Thread(target=produce)
    producer.start()
    received = []
    while not slot.ended:
        frame = slot.take(1.0)
        if frame is not None:
            received.append(frame.meta.index)
            time.sleep(0.005)  # slower than the producer
    producer.join(5)
    assert received == list(range(40))
    assert (slot.frames_in, slot.frames_dropped) == (40, 0)


def test_stop_releases_a_waiting_lossless_producer() -> None:
    stop = threading.Event()
    slot = FrameSlot(stop, lossless=True)
    slot.put(_frame(0))
    producer = threading.Thread(target=slot.put, args=(_frame(1),))
    producer.start()
    time.sleep(0.2)
    assert producer.is_alive(), "waits while the slot is full"
    stop.set()
    producer.join(2)
    assert not producer.is_alive()
    assert slot.frames_in == 1


def test_end_is_seen_only_after_the_last_frame_is_taken() -> None:
    slot = FrameSlot(threading.Event(), lossless=False)
    slot.put(_frame(0))
    slot.end()
    assert not slot.ended
    assert slot.take(0.1) is not None
    assert slot.ended and slot.take(5.0) is None
