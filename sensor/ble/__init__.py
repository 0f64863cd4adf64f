"""Bluetooth LE input/output: the only package that imports bleak and bumble.

``sensor.ble.virtual`` holds the emulated radio (a bleak backend over bumble's
in-process link) and the virtual bands that live on it.
"""
