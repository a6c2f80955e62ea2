"""``footfall calibrate serve``: the installer's calibration page, served by the device itself.

A small local web server (off by default, started only by this command) with
a live view from RAM, floor calibration by clicking marks, counting lines and
zones drawn on the image or the floor plan, and a tally to validate the
counts. Modules, one idea each:

- ``auth``: the one-time token every request must carry.
- ``live``: the counting stages run on the live source, and what the page overlays.
- ``overlay``: floor metres to pixel polylines (grid, lines, zones, footprint).
- ``preview``: the only place frames are encoded (JPEG, in memory, for the MJPEG stream).
- ``config_writer``: lines, zones and calibration written back, validated, with backups.
- ``tally``: the installer's in/out tally and the validation record (counts only).
- ``api``: the JSON endpoints; ``server``: HTTP, routing, idle stop.
"""
