"""Geometry on the shop floor: metres, z = 0 at the floor."""
