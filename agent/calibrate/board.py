"""The printable checkerboard used by ``footfall calibrate lens``.

The board is generated, never photographed: a vector PDF (exact size on any
printer, printed at 100 %) or a PNG carrying its resolution so that it prints
at the stated physical size.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from agent.geometry.errors import CalibrationError

MM_PER_INCH = 25.4
_POINTS_PER_MM = 72.0 / MM_PER_INCH

#: Paper sizes (width, height) in millimetres, portrait.
PAPER_MM: dict[str, tuple[float, float]] = {
    "a4": (210.0, 297.0),
    "a3": (297.0, 420.0),
    "letter": (215.9, 279.4),
}
# Printers cannot print to the edge; keep the board this far inside the paper.
_MARGIN_MM = 12.0


@dataclass(frozen=True)
class Checkerboard:
    """A checkerboard by its inner corners (what OpenCV finds) and its square size.

    Attributes:
        inner_cols: inner corners along a row (squares across minus one), >= 3.
        inner_rows: inner corners along a column (squares down minus one), >= 3.
        square_mm: side of one square in millimetres, > 0.

    Raises:
        ValueError: naming the field and value when out of range, or when
            rows == cols (a square board is ambiguous under 90 degree rotation).
    """

    inner_cols: int = 9
    inner_rows: int = 6
    square_mm: float = 25.0

    def __post_init__(self) -> None:
        for name in ("inner_cols", "inner_rows"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 3:
                raise ValueError(f"checkerboard {name} is {value!r}, should be an integer >= 3")
        if self.inner_cols == self.inner_rows:
            raise ValueError(
                f"checkerboard has {self.inner_cols} x {self.inner_rows} inner corners; "
                "use different counts so its orientation is unambiguous (e.g. 9 x 6)"
            )
        if not self.square_mm > 0:
            raise ValueError(f"checkerboard square_mm is {self.square_mm!r}, should be > 0 millimetres")

    @property
    def size_mm(self) -> tuple[float, float]:
        """Width and height of the squares area in millimetres."""
        return ((self.inner_cols + 1) * self.square_mm, (self.inner_rows + 1) * self.square_mm)

    def object_points_m(self) -> npt.NDArray[np.float64]:
        """Inner corners on the board plane (z = 0), metres, in OpenCV's detection order, shape (N, 3)."""
        cols, rows = np.meshgrid(np.arange(self.inner_cols), np.arange(self.inner_rows))
        points = np.zeros((self.inner_cols * self.inner_rows, 3))
        points[:, 0] = cols.ravel() * self.square_mm / 1000.0
        points[:, 1] = rows.ravel() * self.square_mm / 1000.0
        return points

    def is_dark(self, x_mm: npt.NDArray[np.float64], y_mm: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Whether board positions (mm from the top-left square's corner) fall on a dark square.

        Positions outside the squares area are light (the white border).
        """
        col = np.floor(x_mm / self.square_mm)
        row = np.floor(y_mm / self.square_mm)
        inside = (col >= 0) & (col <= self.inner_cols) & (row >= 0) & (row <= self.inner_rows)
        return np.asarray(inside & ((col + row) % 2 == 0), dtype=np.bool_)

    def caption(self) -> str:
        """The line printed under the board, so an installer can check the print."""
        width_mm, _ = self.size_mm
        return (
            f"footfall checkerboard: {self.inner_cols} x {self.inner_rows} inner corners, "
            f"squares {self.square_mm:g} mm (row = {width_mm:g} mm). Print at 100 %, no fit to page; "
            "measure a row and pass the square size to 'footfall calibrate lens'."
        )


def write_board(board: Checkerboard, path: Path, paper: str = "a4", dpi: int = 300) -> tuple[float, float]:
    """Write the board to ``path`` as PDF or PNG (by suffix) and return the paper size in mm.

    The paper is turned to landscape when the board is wider than tall.

    Raises:
        CalibrationError: the suffix is not .pdf or .png, the paper name is
            unknown, ``dpi`` is out of range, or the board does not fit on the paper.
        OSError: the file cannot be written.
    """
    if paper not in PAPER_MM:
        raise CalibrationError(f"paper {paper!r} is unknown, expected one of {', '.join(PAPER_MM)}")
    paper_mm = _orient(PAPER_MM[paper], board.size_mm)
    board_w, board_h = board.size_mm
    if board_w > paper_mm[0] - 2 * _MARGIN_MM or board_h > paper_mm[1] - 2 * _MARGIN_MM:
        raise CalibrationError(
            f"a {board_w:g} x {board_h:g} mm board does not fit on {paper} paper "
            f"({paper_mm[0]:g} x {paper_mm[1]:g} mm with {_MARGIN_MM:g} mm margins); "
            "use smaller squares, fewer corners or larger paper"
        )
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        path.write_bytes(_pdf(board, paper_mm))
    elif suffix == ".png":
        if not 72 <= dpi <= 1200:
            raise CalibrationError(f"dpi is {dpi}, expected 72..1200 dots per inch")
        path.write_bytes(_png(board, paper_mm, dpi))
    else:
        raise CalibrationError(f"board file {str(path)!r} has suffix {path.suffix!r}, expected .pdf or .png")
    return paper_mm


def _orient(paper_mm: tuple[float, float], board_mm: tuple[float, float]) -> tuple[float, float]:
    short, long = sorted(paper_mm)
    return (long, short) if board_mm[0] > board_mm[1] else (short, long)


def _board_origin_mm(board: Checkerboard, paper_mm: tuple[float, float]) -> tuple[float, float]:
    """Top-left corner of the squares area, mm from the paper's top-left corner (centred)."""
    return ((paper_mm[0] - board.size_mm[0]) / 2.0, (paper_mm[1] - board.size_mm[1]) / 2.0)


def _pdf(board: Checkerboard, paper_mm: tuple[float, float]) -> bytes:
    """A one-page vector PDF: each dark square a filled rectangle, sizes in points (1/72 inch)."""
    page_w, page_h = (v * _POINTS_PER_MM for v in paper_mm)
    left_mm, top_mm = _board_origin_mm(board, paper_mm)
    side = board.square_mm * _POINTS_PER_MM
    commands = ["0 g"]
    for row in range(board.inner_rows + 1):
        for col in range(board.inner_cols + 1):
            if (row + col) % 2 == 0:
                x = (left_mm + col * board.square_mm) * _POINTS_PER_MM
                y = page_h - (top_mm + (row + 1) * board.square_mm) * _POINTS_PER_MM
                commands.append(f"{x:.3f} {y:.3f} {side:.3f} {side:.3f} re f")
    text_y = page_h - (top_mm + board.size_mm[1] + 8.0) * _POINTS_PER_MM
    caption = board.caption().replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    commands.append(f"BT /F1 7 Tf {left_mm * _POINTS_PER_MM:.3f} {text_y:.3f} Td ({caption}) Tj ET")
    content = "\n".join(commands).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page_w:.3f} {page_h:.3f}] "
            "/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
        ).encode("ascii"),
        b"<< /Length " + str(len(content)).encode("ascii") + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += b"".join(f"{offset:010d} 00000 n \n".encode("ascii") for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)


def render_board_mm(board: Checkerboard, paper_mm: tuple[float, float], dpi: int) -> npt.NDArray[np.uint8]:
    """The page as an 8-bit grey image at ``dpi`` dots per inch (0 = dark square, 255 = paper)."""
    width_px = round(paper_mm[0] / MM_PER_INCH * dpi)
    height_px = round(paper_mm[1] / MM_PER_INCH * dpi)
    left_mm, top_mm = _board_origin_mm(board, paper_mm)
    mm_per_px = MM_PER_INCH / dpi
    x_mm = (np.arange(width_px, dtype=np.float64) + 0.5) * mm_per_px - left_mm
    y_mm = (np.arange(height_px, dtype=np.float64) + 0.5) * mm_per_px - top_mm
    dark = board.is_dark(x_mm[None, :], y_mm[:, None])
    return np.where(dark, 0, 255).astype(np.uint8)


def _png(board: Checkerboard, paper_mm: tuple[float, float], dpi: int) -> bytes:
    """A greyscale PNG with a pHYs chunk so printing software knows its physical size."""
    image = render_board_mm(board, paper_mm, dpi)
    height, width = image.shape
    raw = b"".join(b"\x00" + image[row].tobytes() for row in range(height))
    pixels_per_metre = round(dpi / MM_PER_INCH * 1000.0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"pHYs", struct.pack(">IIB", pixels_per_metre, pixels_per_metre, 1))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
