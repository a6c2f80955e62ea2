"""The installer's calibration tools behind ``footfall calibrate``; they run on the device."""
