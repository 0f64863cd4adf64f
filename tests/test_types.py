"""SampleBlock invariants."""

import numpy as np
import pytest

from sensor.errors import SampleBlockError
from sensor.types import Event, SampleBlock


def _block(n: int = 10, gyro: bool = True) -> SampleBlock:
    t = np.arange(n) * 0.01
    acc = np.tile([0.0, 0.0, 9.81], (n, 1)) + np.arange(n)[:, None]
    return SampleBlock(t, acc, acc * 2 if gyro else None)


def test_arrays_are_readonly_copies() -> None:
    t = np.arange(3.0)
    block = SampleBlock(t, np.zeros((3, 3)))
    t[0] = 99.0
    assert block.t[0] == 0.0
    with pytest.raises(ValueError):
        block.acc[0, 0] = 1.0


@pytest.mark.parametrize(
    "t, acc, gyro, message",
    [
        ([0, 1, 1], np.zeros((3, 3)), None, "not strictly increasing at sample 2"),
        ([0, 1, 2], np.zeros((3, 2)), None, "acc: expected shape (3, 3)"),
        ([0, 1, 2], np.zeros((3, 3)), np.zeros((2, 3)), "gyro: expected shape (3, 3)"),
        ([0, 1, np.nan], np.zeros((3, 3)), None, "t: non-finite value at sample 2"),
        ([0, 1, 2], [[0, 0, 0], [0, np.inf, 0], [0, 0, 0]], None, "acc: non-finite value at sample 1"),
        ([[0, 1]], np.zeros((1, 3)), None, "t: expected 1-D"),
    ],
)
def test_invalid_blocks_are_rejected_with_a_clear_message(t, acc, gyro, message) -> None:
    with pytest.raises(SampleBlockError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SampleBlock(t, acc, gyro)


def test_split_and_concat_round_trip() -> None:
    block = _block(23)
    pieces = list(block.split([1, 5, 10]))
    assert [len(p) for p in pieces] == [1, 5, 10, 1, 5, 1]
    joined = SampleBlock.concat(pieces)
    np.testing.assert_array_equal(joined.t, block.t)
    np.testing.assert_array_equal(joined.acc, block.acc)
    np.testing.assert_array_equal(joined.gyro, block.gyro)


def test_concat_refuses_mixed_gyro_and_out_of_order() -> None:
    with pytest.raises(SampleBlockError, match="with and without gyro"):
        SampleBlock.concat([_block(3, gyro=True), _block(3, gyro=False)])
    with pytest.raises(SampleBlockError, match="not strictly increasing"):
        SampleBlock.concat([_block(3), _block(3)])


def test_between_selects_half_open_time_range() -> None:
    block = _block(10)
    part = block.between(0.02, 0.05)
    np.testing.assert_allclose(part.t, [0.02, 0.03, 0.04])
    assert len(block.between(5.0, 6.0)) == 0
    assert np.isnan(SampleBlock.empty().start_s)


def test_event_json_round_trip() -> None:
    event = Event(41.2, "battery", {"percent": 80})
    assert Event.from_json_dict(event.to_json_dict()) == event
