"""A virtual Polar Verity Sense: the PMD GATT server, streaming a sample source.

The band advertises like a Verity Sense (``Polar Sense XXXXXXXX``, company id
0x006B, Heart Rate service 0x180D), serves the PMD service (control point and
data), Battery, Heart Rate and Device Information, answers control-point
commands byte for byte and streams delta-compressed ACC and GYRO frames, all
built with the encoders of :mod:`sensor.bands.polar_pmd` (no second encoder
here). Samples come from a :class:`~sensor.ble.virtual.playback.Playback` of
a :class:`~sensor.types.SampleBlock`; every sent frame goes to :attr:`log`.

Behaviour copied from the real band (``firmware_notes/polar-pmd.md``):

* control-point commands get no answer until the client enabled both CCCDs
  (CP indications and data notifications);
* a start answers INVALID_MTU when the link's ATT MTU is below 232 bytes,
  ALREADY_IN_STATE when the stream runs already (streams survive a dropped
  link, as with a stream left running by an earlier connection), and
  INVALID_SAMPLE_RATE / INVALID_RESOLUTION / INVALID_RANGE /
  INVALID_NUMBER_OF_CHANNELS for settings it does not offer; a successful
  start answers ``F0 02 <type> 00 00`` followed by the FACTOR setting;
* frames batch about 1.3 s of samples (~68 at 52 Hz), cut to fit the MTU;
* SDK mode (``02 09`` / ``03 09``) opens 26–416 Hz and the other ranges.

Where the real band's behaviour is unknown the emulator chooses, and says so:
a stop always answers SUCCESS; measurement types it advertises but does not
emulate (PPG, PPI, MAG) answer NOT_SUPPORTED; when the source runs out the
band stops the stream and indicates ONLINE_MEASUREMENT_STOPPED.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from bumble import core, gatt
from bumble.device import Connection
from bumble.profiles.device_information_service import DeviceInformationService

from sensor.bands import polar_pmd as pmd
from sensor.bands.polar_pmd import MeasurementType, OpCode, SettingType, Status
from sensor.ble.virtual.faults import MalformedKind, malform
from sensor.ble.virtual.peripheral import AdvertisingFacts, VirtualPeripheral, read_only_value
from sensor.ble.virtual.playback import Playback, SentFrame, SentLog
from sensor.errors import DecodeError
from sensor.types import SampleBlock

logger = logging.getLogger(__name__)

#: Smallest ATT MTU the band streams on, bytes (polar-ble-sdk issues #222, #287).
MIN_STREAM_MTU: int = 232

#: Band clock at playback start: 2026-01-01T00:00:00Z in ns since 2000-01-01.
DEFAULT_CLOCK_START_NS: int = 820_454_400 * 1_000_000_000

#: Frame type the band sends for ACC and GYRO: delta-compressed TYPE_0 (16-bit × FACTOR).
FRAME_TYPE: int = pmd.FRAME_COMPRESSED | 0

_STREAMED = (MeasurementType.ACC, MeasurementType.GYRO)
_INT16_MAX = 32767
_SDK_RATES = tuple(int(r) for r in pmd.VERITY_SENSE_SDK_MODE.rates_hz)
_SDK_SETTINGS: dict[MeasurementType, pmd.Settings] = {
    MeasurementType.ACC: {
        SettingType.SAMPLE_RATE: _SDK_RATES,
        SettingType.RESOLUTION: (16,),
        SettingType.RANGE: pmd.VERITY_SENSE_SDK_MODE.ranges_g,
        SettingType.CHANNELS: (3,),
    },
    MeasurementType.GYRO: {
        SettingType.SAMPLE_RATE: _SDK_RATES,
        SettingType.RESOLUTION: (16,),
        SettingType.RANGE: pmd.VERITY_SENSE_SDK_MODE.gyro_ranges_dps,
        SettingType.CHANNELS: (3,),
    },
}
_NORMAL_SETTINGS: dict[MeasurementType, pmd.Settings] = {
    MeasurementType.ACC: pmd.VERITY_SENSE_ACC_SETTINGS,
    MeasurementType.GYRO: pmd.VERITY_SENSE_GYRO_SETTINGS,
}
_SETTING_ERRORS = {
    SettingType.SAMPLE_RATE: Status.INVALID_SAMPLE_RATE,
    SettingType.RESOLUTION: Status.INVALID_RESOLUTION,
    SettingType.RANGE: Status.INVALID_RANGE,
    SettingType.CHANNELS: Status.INVALID_NUMBER_OF_CHANNELS,
}


def stream_factor(measurement: MeasurementType, range_: int) -> float:
    """FACTOR the band announces for a stream: physical units per wire step.

    Parameters
    ----------
    measurement : MeasurementType
        ``ACC`` (factor in g per step) or ``GYRO`` (deg/s per step).
    range_ : int
        Full-scale range, ±g or ±deg/s.

    Returns
    -------
    float
        ACC: Polar's 2.44e-4 g at ±8 g, scaled with the range; GYRO:
        ``range / 32768`` (constructed: no capture of a gyro FACTOR).
    """
    if measurement is MeasurementType.ACC:
        return pmd.VERITY_SENSE_ACC_FACTOR * range_ / 8.0
    return range_ / 32768.0


@dataclass
class _Stream:
    """One running online measurement."""

    measurement: MeasurementType
    rate_hz: float
    factor: float
    next_index: int
    task: asyncio.Task[None] | None = None


class VirtualPolarBand(VirtualPeripheral):
    """A virtual Polar Verity Sense streaming a sample source over PMD.

    Parameters
    ----------
    source : SampleBlock
        The motion the band measures (≥ 2 samples; gyro optional: a source
        without gyro makes the band refuse GYRO with NOT_SUPPORTED).
    speed : float
        Playback speed (1.0 = real time; larger is faster, for tests).
    device_id : str
        8 hex digits: the name is ``Polar Sense <device_id>``.
    address : str or None
        Device address; None derives ``A0:9E:1A:xx:xx:xx`` (Polar's OUI)
        from the last 6 digits of ``device_id``.
    battery_percent : int
        Initial battery level, % (0–100).
    batch_s : float
        Samples per frame in seconds of signal (the real band: ~1.2–1.4 s);
        frames are cut shorter to fit the MTU.
    clock_start_ns : int
        Band clock at playback start, ns since 2000-01-01T00:00:00Z.
    keep_streams_on_disconnect : bool
        Streams survive a dropped link (a restart then answers
        ALREADY_IN_STATE), as observed on Polar bands.

    Attributes
    ----------
    log : SentLog
        Every data frame sent, with sample times and values.
    playback : Playback
        The paced source.
    """

    def __init__(
        self,
        *,
        source: SampleBlock,
        speed: float = 1.0,
        device_id: str = "A1B2C3D4",
        address: str | None = None,
        battery_percent: int = 87,
        batch_s: float = 1.3,
        clock_start_ns: int = DEFAULT_CLOCK_START_NS,
        keep_streams_on_disconnect: bool = True,
    ) -> None:
        device_id = device_id.upper()
        if len(device_id) != 8 or any(c not in "0123456789ABCDEF" for c in device_id):
            raise ValueError(f"device_id must be 8 hex digits, got {device_id!r}")
        if address is None:
            address = "A0:9E:1A:" + ":".join(device_id[i : i + 2] for i in (2, 4, 6))
        advert = pmd.verity_sense_advert(device_id=device_id, address=address)
        self.playback = Playback(source, speed)
        self.log = SentLog()
        self.device_id = device_id
        self.batch_s = batch_s
        self.clock_start_ns = clock_start_ns
        self.keep_streams_on_disconnect = keep_streams_on_disconnect
        self.sdk_mode = False
        self._battery = battery_percent
        self._streams: dict[MeasurementType, _Stream] = {}
        self._faults: dict[int, deque[MalformedKind]] = {}
        # CCCD state per connection: (CP indications on, data notifications on).
        self._cccd: dict[Connection, tuple[bool, bool]] = {}
        props = gatt.Characteristic.Properties
        self.cp: gatt.Characteristic[bytes] = gatt.Characteristic(
            pmd.PMD_CP_UUID,
            props.READ | props.WRITE | props.INDICATE,
            gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(read=lambda connection: pmd.VERITY_SENSE_FEATURES, write=self._on_cp_write),
        )
        self.data = gatt.Characteristic(pmd.PMD_DATA_UUID, props.NOTIFY, gatt.Characteristic.READABLE, b"")
        self.battery: gatt.Characteristic[bytes] = gatt.Characteristic(
            pmd.BATTERY_LEVEL_UUID,
            props.READ | props.NOTIFY,
            gatt.Characteristic.READABLE,
            read_only_value(lambda connection: bytes([self._battery])),
        )
        heart_rate = gatt.Characteristic(
            gatt.GATT_HEART_RATE_MEASUREMENT_CHARACTERISTIC, props.NOTIFY, gatt.Characteristic.READABLE, b"\x00\x00"
        )
        self.cp.on(self.cp.EVENT_SUBSCRIPTION, self._on_cp_subscription)
        self.data.on(self.data.EVENT_SUBSCRIPTION, self._on_data_subscription)
        super().__init__(
            address=address,
            advertising=AdvertisingFacts(
                name=advert.name or f"Polar Sense {device_id}",
                manufacturer_data=advert.manufacturer_data,
                service_uuids=advert.service_uuids,
            ),
            services=[
                gatt.Service(gatt.GATT_HEART_RATE_SERVICE, [heart_rate]),
                gatt.Service(pmd.PMD_SERVICE_UUID, [self.cp, self.data]),
                gatt.Service(gatt.GATT_BATTERY_SERVICE, [self.battery]),
                DeviceInformationService(
                    manufacturer_name="Polar Electro Oy",
                    model_number="Polar Sense",
                    serial_number=device_id,
                    firmware_revision="2.1.8",
                ),
            ],
        )

    # -- public controls -----------------------------------------------------------

    @property
    def battery_percent(self) -> int:
        """Battery level, %."""
        return self._battery

    async def set_battery(self, percent: int) -> None:
        """Change the battery level (%) and notify subscribed clients."""
        self._battery = int(percent)
        if self.attached:
            await self.device.notify_subscribers(self.battery, bytes([self._battery]))

    @property
    def streaming(self) -> tuple[MeasurementType, ...]:
        """Measurements currently started."""
        return tuple(self._streams)

    def queue_malformed(self, measurement: int, kind: MalformedKind) -> None:
        """Break the next data frame of ``measurement`` (see :mod:`.faults`)."""
        self._faults.setdefault(int(measurement), deque()).append(kind)

    async def wait_until_done(self) -> None:
        """Wait until every started stream has sent its last sample and stopped."""
        while self._streams:
            await asyncio.gather(*(s.task for s in self._streams.values() if s.task is not None), return_exceptions=True)

    # -- connection bookkeeping ----------------------------------------------------------

    def on_connected(self, connection: Connection) -> None:
        """Track the new link's CCCDs (both off)."""
        self._cccd[connection] = (False, False)

    def on_disconnected(self, connection: Connection, reason: int) -> None:
        """Forget the link; stop the streams unless they survive disconnects."""
        self._cccd.pop(connection, None)
        if not self.keep_streams_on_disconnect and not self.connections:
            for measurement in list(self._streams):
                self._stop_stream(measurement)

    def _on_cp_subscription(self, bearer: Connection, notify: bool, indicate: bool) -> None:
        self._cccd[bearer] = (indicate, self._cccd.get(bearer, (False, False))[1])

    def _on_data_subscription(self, bearer: Connection, notify: bool, indicate: bool) -> None:
        self._cccd[bearer] = (self._cccd.get(bearer, (False, False))[0], notify)

    # -- control point ----------------------------------------------------------------

    def _on_cp_write(self, connection: Connection, value: bytes) -> None:
        if self._cccd.get(connection) != (True, True):
            return  # the real band stays silent until both CCCDs are enabled
        self.spawn(self._indicate(connection, self._answer(connection, bytes(value))))

    async def _indicate(self, connection: Connection, value: bytes) -> None:
        """Indicate on the CP; a link that drops meanwhile just misses it."""
        try:
            await self.device.indicate_subscriber(connection, self.cp, value)
        except core.BaseBumbleError as exc:
            logger.debug("CP indication to a dropped link lost: %s", exc)

    def _answer(self, connection: Connection, command: bytes) -> bytes:
        """Execute one CP command and return the indication that answers it."""
        if len(command) < 2:
            return pmd.build_cp_response(command[0] if command else 0, 0, Status.INVALID_LENGTH)
        op, request = command[0], command[1]
        try:
            op_code = OpCode(op)
        except ValueError:
            return pmd.build_cp_response(op, request, Status.INVALID_OP_CODE)
        if request & pmd.OFFLINE_BIT:
            return pmd.build_cp_response(op, request, Status.NOT_SUPPORTED)  # no offline recording here
        try:
            measurement = MeasurementType(request & 0x3F)
        except ValueError:
            return pmd.build_cp_response(op, request, Status.INVALID_MEASUREMENT_TYPE)
        if measurement is MeasurementType.SDK_MODE and op_code in (OpCode.REQUEST_MEASUREMENT_START, OpCode.STOP_MEASUREMENT):
            return self._sdk_mode_switch(op_code, request)
        if measurement not in _STREAMED or (measurement is MeasurementType.GYRO and not self.playback.has_gyro):
            return pmd.build_cp_response(op, request, Status.NOT_SUPPORTED)
        if op_code is OpCode.GET_MEASUREMENT_SETTINGS:
            return pmd.build_cp_response(op, request, Status.SUCCESS, pmd.encode_settings(self._offered(measurement)))
        if op_code is OpCode.GET_SDK_MODE_MEASUREMENT_SETTINGS:
            return pmd.build_cp_response(op, request, Status.SUCCESS, pmd.encode_settings(_SDK_SETTINGS[measurement]))
        if op_code is OpCode.REQUEST_MEASUREMENT_START:
            return self._start(connection, measurement, request, command[2:])
        if op_code is OpCode.STOP_MEASUREMENT:
            self._stop_stream(measurement)
            return pmd.build_cp_response(op, request, Status.SUCCESS)
        return pmd.build_cp_response(op, request, Status.NOT_SUPPORTED)

    def _offered(self, measurement: MeasurementType) -> pmd.Settings:
        return (_SDK_SETTINGS if self.sdk_mode else _NORMAL_SETTINGS)[measurement]

    def _sdk_mode_switch(self, op_code: OpCode, request: int) -> bytes:
        enable = op_code is OpCode.REQUEST_MEASUREMENT_START
        if enable == self.sdk_mode:
            return pmd.build_cp_response(op_code, request, Status.ALREADY_IN_STATE)
        for measurement in list(self._streams):
            self._stop_stream(measurement)
        self.sdk_mode = enable
        return pmd.build_cp_response(op_code, request, Status.SUCCESS)

    def _start(self, connection: Connection, measurement: MeasurementType, request: int, tlv: bytes) -> bytes:
        op = OpCode.REQUEST_MEASUREMENT_START
        if measurement in self._streams:
            return pmd.build_cp_response(op, request, Status.ALREADY_IN_STATE)
        try:
            wanted = pmd.parse_settings(tlv)
        except DecodeError:
            return pmd.build_cp_response(op, request, Status.INVALID_PARAMETER)
        offered = self._offered(measurement)
        if SettingType.SAMPLE_RATE not in wanted or SettingType.FACTOR in wanted:
            return pmd.build_cp_response(op, request, Status.INVALID_PARAMETER)
        for kind, values in wanted.items():
            if kind in _SETTING_ERRORS and (len(values) != 1 or values[0] not in offered.get(kind, ())):
                return pmd.build_cp_response(op, request, _SETTING_ERRORS[kind])
        if connection.att_mtu < MIN_STREAM_MTU:
            return pmd.build_cp_response(op, request, Status.INVALID_MTU)
        range_ = int(wanted.get(SettingType.RANGE, offered[SettingType.RANGE])[0])
        factor = stream_factor(measurement, range_)
        self._start_stream(measurement, float(wanted[SettingType.SAMPLE_RATE][0]), factor)
        factor_tlv = pmd.encode_settings({SettingType.FACTOR: (factor,)})
        return pmd.build_cp_response(op, request, Status.SUCCESS, factor_tlv)

    # -- streaming ----------------------------------------------------------------------

    def _start_stream(self, measurement: MeasurementType, rate_hz: float, factor: float) -> None:
        now = asyncio.get_running_loop().time()
        self.playback.begin(now)
        stream = _Stream(measurement, rate_hz, factor, self.playback.first_index(now, rate_hz))
        self._streams[measurement] = stream
        stream.task = self.spawn(self._run(stream))

    def _stop_stream(self, measurement: MeasurementType) -> None:
        stream = self._streams.pop(measurement, None)
        if stream is not None and stream.task is not None and stream.task is not asyncio.current_task():
            stream.task.cancel()

    async def _run(self, stream: _Stream) -> None:
        loop = asyncio.get_running_loop()
        batch = max(1, round(stream.rate_hz * self.batch_s))
        last = self.playback.last_index(stream.rate_hz)
        while stream.next_index <= last:
            n = min(batch, last - stream.next_index + 1)
            due = self.playback.loop_time_at((stream.next_index + n - 1) / stream.rate_hz)
            await asyncio.sleep(max(0.0, due - loop.time()))
            receivers = [c for c, (_, data_on) in self._cccd.items() if data_on]
            if not receivers:
                stream.next_index += n  # measured with nobody listening: lost
                continue
            limit = min(c.att_mtu for c in receivers) - 3
            frame = self._frame(stream, n, limit)
            for connection in receivers:
                await self.device.notify_subscriber(connection, self.data, frame.payload)
            self.log.record(frame)
            stream.next_index += len(frame)
        self._stop_stream(stream.measurement)
        stopped = pmd.build_measurement_stopped([stream.measurement])
        for connection, (cp_on, _) in list(self._cccd.items()):
            if cp_on:
                await self._indicate(connection, stopped)

    def _frame(self, stream: _Stream, n: int, limit: int) -> SentFrame:
        """Encode up to ``n`` samples from ``stream.next_index`` into a frame of ≤ ``limit`` bytes."""
        index = stream.next_index + np.arange(n)
        t_s = index / stream.rate_hz
        values = self.playback.sample(t_s, gyro=stream.measurement is MeasurementType.GYRO)
        raw = np.clip(
            pmd.raw_from_physical(stream.measurement, FRAME_TYPE, values, stream.factor), -_INT16_MAX, _INT16_MAX
        )
        while True:
            stamp = self.clock_start_ns + round(t_s[n - 1] * 1e9)
            payload = pmd.encode_frame(stream.measurement, stamp, raw[:n], FRAME_TYPE)
            if len(payload) <= limit or n == 1:
                break
            n = max(1, min(n - 1, math.floor(n * limit / len(payload))))
        faults = self._faults.get(int(stream.measurement))
        kind = faults.popleft() if faults else None
        return SentFrame(
            measurement=int(stream.measurement),
            timestamp_ns=stamp,
            t_s=t_s[:n],
            values=values[:n],
            raw=raw[:n],
            payload=payload if kind is None else malform(payload, kind),
            malformed=kind is not None,
        )
