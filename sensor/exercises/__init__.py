"""One streaming counter per exercise, all behind :class:`sensor.exercises.base.Counter`."""
