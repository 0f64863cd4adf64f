"""What every band protocol module offers the transport, and nothing about radios.

A band module knows bytes, not GATT connections: it recognises an
advertisement, says which characteristics to subscribe to and read, produces
the :class:`Write` s that start and stop streaming, and turns received payloads
into :class:`~sensor.types.SampleBlock` s and :class:`~sensor.types.Event` s.
The transport (the only code that imports bleak) does the I/O.

How a transport drives a band (sans-I/O)::

    protocol = registry.match_advert(advert)
    session = protocol.session(rate_hz=52.0, range_g=8, gyro=True)
    # connect, then subscribe to protocol.notify_characteristics in order
    for uuid in protocol.read_characteristics:          # GATT reads, once
        session.feed(uuid, read(uuid), host_time_s)
    write_all(session.start())
    # every notification/indication:
    items = session.feed(uuid, payload, host_time_s)   # blocks and events
    write_all(session.take_writes())                   # answers may ask for more writes
    # to finish (before disconnecting):
    write_all(session.stop())

``session.feed`` raises :class:`~sensor.errors.DecodeError` for a malformed
payload (the session state is unchanged, the caller may skip it) and
:class:`~sensor.errors.ProtocolError` or
:class:`~sensor.errors.UnsupportedSettingError` when the band refuses a command.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Union

from sensor.types import Event, SampleBlock

#: What :meth:`BandSession.feed` returns, in time order.
StreamItem = Union[SampleBlock, Event]


def normalize_uuid(uuid: str) -> str:
    """Return a 128-bit UUID string in bleak's lower-case form.

    Parameters
    ----------
    uuid : str
        A 128-bit UUID (any case) or a 16-bit SIG short form such as
        ``"180d"`` / ``"0x180D"``.

    Returns
    -------
    str
        ``xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`` in lower case; short forms are
        expanded on the Bluetooth SIG base UUID.
    """
    text = uuid.strip().lower()
    if text.startswith("0x"):
        text = text[2:]
    if len(text) in (4, 8):
        return f"{int(text, 16):08x}-0000-1000-8000-00805f9b34fb"
    return text


@dataclass(frozen=True)
class Advert:
    """A received advertisement, as plain data (Repband's own copy of bleak's fields).

    Parameters
    ----------
    name : str or None
        Local name, if advertised.
    address : str
        Device address (a MAC on Linux/Windows, a UUID on macOS).
    rssi : int or None
        Received signal strength, dBm.
    manufacturer_data : dict of int to bytes
        Manufacturer-specific data keyed by Bluetooth SIG company id.
    service_uuids : tuple of str
        Advertised service UUIDs (128-bit, lower case).
    service_data : dict of str to bytes
        Service data keyed by service UUID.
    """

    name: str | None
    address: str
    rssi: int | None = None
    manufacturer_data: dict[int, bytes] = field(default_factory=dict)
    service_uuids: tuple[str, ...] = ()
    service_data: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class BandCapabilities:
    """What a band model can stream.

    Parameters
    ----------
    rates_hz : tuple of float
        Accelerometer sample rates, Hz.
    ranges_g : tuple of int
        Accelerometer full-scale ranges, ±g.
    has_gyro : bool
        True when the band streams a gyroscope.
    gyro_ranges_dps : tuple of int
        Gyroscope full-scale ranges, ±deg/s (empty without a gyroscope).
    """

    rates_hz: tuple[float, ...]
    ranges_g: tuple[int, ...]
    has_gyro: bool
    gyro_ranges_dps: tuple[int, ...] = ()


@dataclass(frozen=True)
class Write:
    """One GATT write the transport must perform, in order.

    Parameters
    ----------
    characteristic : str
        UUID of the characteristic to write (lower case).
    data : bytes
        The value to write.
    with_response : bool
        Write with response (ATT Write Request) when True, else Write Command.
    """

    characteristic: str
    data: bytes
    with_response: bool = True


class BandSession(ABC):
    """Per-connection protocol state: negotiation, decoding and timing.

    Attributes
    ----------
    streaming : bool
        True once the band confirmed every stream the session asked for.
    rate_hz : float or None
        Accelerometer rate agreed with the band, Hz (None until known).
    range_g : int or None
        Accelerometer range agreed with the band, ±g (None until known).
    has_gyro : bool
        Whether the blocks carry gyroscope data. Final once ``streaming``.
    """

    streaming: bool
    rate_hz: float | None
    range_g: int | None
    has_gyro: bool

    @abstractmethod
    def start(self) -> list[Write]:
        """Begin (or, after a reconnect, resume) streaming.

        Returns
        -------
        list of Write
            Writes to perform now; answers fed to :meth:`feed` may queue more
            (collect them with :meth:`take_writes`). Session time keeps running
            across restarts.
        """

    @abstractmethod
    def feed(self, characteristic: str, payload: bytes, host_time_s: float) -> list[StreamItem]:
        """Handle one received value (notification, indication or read result).

        Parameters
        ----------
        characteristic : str
            UUID of the characteristic the value came from.
        payload : bytes
            The value.
        host_time_s : float
            Host monotonic clock at arrival, s.

        Returns
        -------
        list of SampleBlock or Event
            Decoded samples (session seconds, m/s², deg/s) and stream events,
            in time order; often empty.
        """

    @abstractmethod
    def take_writes(self) -> list[Write]:
        """Return (and forget) the writes queued by answers fed so far."""

    @abstractmethod
    def stop(self) -> list[Write]:
        """Return the writes that stop streaming; send them before disconnecting."""


class BandProtocol(ABC):
    """Everything the transport needs to know about one family of bands.

    Attributes
    ----------
    name : str
        Stable identifier used in recordings and on the command line
        (e.g. ``"polar-pmd"``).
    display_name : str
        Human-readable family name.
    streams : str
        One line saying what the band streams (for ``repband bands``).
    service_uuid : str
        Primary service carrying the stream.
    notify_characteristics : tuple of str
        Characteristics to subscribe to, in this order (control-point
        indications first, then data).
    read_characteristics : tuple of str
        Characteristics to read once after subscribing; each value goes to
        :meth:`BandSession.feed` before :meth:`BandSession.start`.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    streams: ClassVar[str]
    service_uuid: ClassVar[str]
    notify_characteristics: ClassVar[tuple[str, ...]]
    read_characteristics: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def matches(self, advert: Advert) -> bool:
        """Return True when the advertisement comes from a band of this family."""

    @abstractmethod
    def model(self, advert: Advert) -> str:
        """Return the model name advertised (e.g. ``"Verity Sense"``)."""

    @abstractmethod
    def capabilities(self, advert: Advert | None = None) -> BandCapabilities:
        """Return what the advertised model (or the family's best model) can stream."""

    @abstractmethod
    def session(
        self,
        *,
        rate_hz: float | None = None,
        range_g: int | None = None,
        gyro: bool = True,
        t0_s: float = 0.0,
    ) -> BandSession:
        """Create the state for one connection.

        Parameters
        ----------
        rate_hz : float, optional
            Wanted accelerometer rate, Hz; the closest supported one is used.
        range_g : int, optional
            Wanted accelerometer range, ±g; the closest supported one is used.
        gyro : bool
            Stream the gyroscope too when the band has one.
        t0_s : float
            Session time of the first emitted sample, s.
        """
