"""Random but plausible looks: heights from children to tall adults, clothes, hair, bags.

Colours are drawn from palettes of real clothing and hair rather than
uniformly, so a detector trained on the renders meets the dull greys, blues
and blacks of real shoppers as often as the bright ones.
"""

from __future__ import annotations

import numpy as np

from agent.sim.people import BGR, Appearance, Bag, Role

_CLOTHES: tuple[BGR, ...] = (
    (30, 30, 30),  # black
    (70, 70, 70),
    (120, 120, 120),
    (200, 200, 200),
    (235, 235, 235),  # white
    (110, 60, 30),  # navy
    (150, 100, 50),  # denim
    (60, 80, 120),  # brown
    (40, 90, 40),  # green
    (40, 40, 160),  # red
    (90, 160, 210),  # beige
    (140, 60, 120),  # purple
    (40, 150, 220),  # mustard
    (170, 140, 90),  # light blue
    (90, 90, 200),  # pink
)
_HAIR: tuple[BGR, ...] = (
    (20, 20, 25),
    (30, 35, 50),
    (40, 60, 90),
    (60, 90, 140),
    (100, 150, 190),  # blond
    (170, 170, 175),  # grey
    (30, 40, 110),  # auburn
)
_SKIN: tuple[BGR, ...] = (
    (60, 80, 110),
    (90, 120, 160),
    (120, 150, 190),
    (150, 180, 220),
    (170, 200, 235),
)
_STAFF_TOP: BGR = (40, 120, 30)  # every shop dresses its staff alike
_CLEANER_TOP: BGR = (30, 140, 230)


def _pick(rng: np.random.Generator, palette: tuple[BGR, ...]) -> BGR:
    base = palette[int(rng.integers(len(palette)))]
    jitter = rng.integers(-12, 13, size=3)
    return (
        int(np.clip(base[0] + jitter[0], 0, 255)),
        int(np.clip(base[1] + jitter[1], 0, 255)),
        int(np.clip(base[2] + jitter[2], 0, 255)),
    )


def random_appearance(rng: np.random.Generator, role: Role) -> Appearance:
    """A look for a person of `role`: child 0.95-1.35 m, adults ~N(1.70, 0.09) m clipped to 1.50-2.00 m."""
    if role == "child":
        height = float(rng.uniform(0.95, 1.35))
    else:
        height = float(np.clip(rng.normal(1.70, 0.09), 1.50, 2.00))
    shoulder = float(np.clip(height * rng.uniform(0.23, 0.28), 0.24, 0.55))
    top = _STAFF_TOP if role == "staff" else _CLEANER_TOP if role == "cleaner" else _pick(rng, _CLOTHES)
    bag: Bag = "none"
    if role == "shopper":
        bag = ("none", "none", "hand", "back")[int(rng.integers(4))]
    return Appearance(
        height_m=round(height, 3),
        shoulder_m=round(shoulder, 3),
        skin_bgr=_pick(rng, _SKIN),
        hair_bgr=_pick(rng, _HAIR),
        top_bgr=top,
        bottom_bgr=_pick(rng, _CLOTHES),
        bag=bag,
        bag_bgr=_pick(rng, _CLOTHES),
        long_hair=bool(rng.random() < 0.35),
        hat=bool(rng.random() < 0.08),
    )
