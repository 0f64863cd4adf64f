"""Repband's error tree.

Every failure a user can cause or meet has its own class. Library code raises
these; only ``cli.py`` turns them into a one-line message and an exit code
(1 for bad data or a device problem, 2 for bad usage, 130 for a Ctrl-C stop
that cut a command short).
"""

from __future__ import annotations


class RepbandError(Exception):
    """Base class of all errors Repband raises on purpose.

    Attributes
    ----------
    exit_code : int
        Process exit code the command line uses for this error
        (1: bad data or device, 2: bad usage).
    """

    exit_code: int = 1


class UsageError(RepbandError):
    """An option or argument is out of range or unknown (exit code 2)."""

    exit_code = 2


class SampleBlockError(RepbandError, ValueError):
    """Arrays handed to a SampleBlock break its invariants (shapes, order, finiteness)."""


class RecordingFormatError(RepbandError):
    """A recording file is missing, unreadable or not in a format Repband reads."""


class DecodeError(RepbandError, ValueError):
    """A band payload could not be decoded (malformed, truncated, unknown frame type)."""


class ProtocolError(RepbandError):
    """A band answered a command with an error status or an unexpected message."""


class BandNotFoundError(RepbandError):
    """No supported band matched the requested address or name."""


class UnsupportedSettingError(RepbandError):
    """A band cannot stream at the requested rate, range or channel set."""

    exit_code = 2


class LinkLostError(RepbandError):
    """The BLE link dropped and could not be re-established."""


class RadioUnavailableError(RepbandError):
    """The computer's Bluetooth radio or stack cannot be used (none present, off, or no permission)."""


class StoppedError(RepbandError):
    """The user cut a command short with Ctrl-C (exit code 130, as for SIGINT); the message says what was kept."""

    exit_code = 130


class StoppedAtOnceError(StoppedError):
    """A second Ctrl-C ended a command at once, without waiting for its orderly stop."""
