"""The one exception the geometry and calibration code raises for bad user input."""


class CalibrationError(ValueError):
    """A calibration input is malformed, or a calibration was refused.

    The message always names what was wrong (the file, the key path, the value
    or the measurement) and what was expected, so that it can be shown to an
    installer as it is. The CLI turns it into one line on stderr and exit code 2.
    """
