"""Band registry: advertisement matching, lookup by name, the bands table."""

from __future__ import annotations

import pytest

from sensor.bands import Advert, band_by_name, bands_table, match_advert
from sensor.bands.polar_pmd import H10, OH1, PMD_SERVICE_UUID, POLAR_COMPANY_ID, VERITY_SENSE_SDK_MODE, PolarPmd, verity_sense_advert
from sensor.errors import BandNotFoundError


def test_verity_sense_advert_matches_polar() -> None:
    advert = verity_sense_advert("0a1b2c3d")
    assert advert.name == "Polar Sense 0A1B2C3D"
    assert POLAR_COMPANY_ID in advert.manufacturer_data
    assert advert.service_uuids == ("0000180d-0000-1000-8000-00805f9b34fb",)
    protocol = match_advert(advert)
    assert isinstance(protocol, PolarPmd)
    assert protocol.model(advert) == "Verity Sense"
    assert protocol.capabilities(advert) == VERITY_SENSE_SDK_MODE


@pytest.mark.parametrize(
    ("name", "model", "caps"),
    [("Polar H10 12345678", "H10", H10), ("Polar OH1 ABCDEF01", "OH1", OH1)],
)
def test_other_polar_models(name: str, model: str, caps) -> None:
    advert = Advert(name=name, address="A0:9E:1A:00:00:01")
    protocol = match_advert(advert)
    assert protocol is not None and protocol.model(advert) == model and protocol.capabilities(advert) == caps


@pytest.mark.parametrize(
    "advert",
    [
        Advert(name="Polar Vantage V 12345678", address="x"),
        Advert(name="Movesense 204730000081", address="x"),
        Advert(name=None, address="x", manufacturer_data={POLAR_COMPANY_ID: b"\x00"}),
        Advert(name="Polar H10", address="x"),
    ],
)
def test_non_pmd_adverts_do_not_match(advert: Advert) -> None:
    assert match_advert(advert) is None


def test_nameless_advert_with_pmd_service_matches() -> None:
    advert = Advert(name=None, address="x", service_uuids=(PMD_SERVICE_UUID.upper(),))
    assert match_advert(advert) is not None


def test_band_by_name_and_table() -> None:
    assert band_by_name(" Polar-PMD ").name == "polar-pmd"
    with pytest.raises(BandNotFoundError, match="polar-pmd"):
        band_by_name("fitbit")
    rows = bands_table()
    assert [r.name for r in rows] == ["polar-pmd"] and rows[0].has_gyro
    assert "gyroscope" in rows[0].streams


def test_protocol_describes_the_gatt_layout() -> None:
    protocol = band_by_name("polar-pmd")
    assert protocol.notify_characteristics == (
        "fb005c81-02e7-f387-1cad-8acd2d8df0c8",
        "fb005c82-02e7-f387-1cad-8acd2d8df0c8",
    )
    assert protocol.read_characteristics == ("fb005c81-02e7-f387-1cad-8acd2d8df0c8",)
    session = protocol.session(rate_hz=52, range_g=8, gyro=False, t0_s=1.0)
    assert [w.data for w in session.start()] == [b"\x01\x02"]
