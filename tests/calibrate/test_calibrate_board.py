"""The printable checkerboard: physical size, file formats and refusals."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from agent.calibrate.board import Checkerboard, render_board_mm, write_board
from agent.geometry.errors import CalibrationError


def test_pdf_page_and_squares_are_at_physical_size(tmp_path: Path):
    path = tmp_path / "board.pdf"
    paper_mm = write_board(Checkerboard(9, 6, 25.0), path, "a4")
    data = path.read_bytes()
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    assert paper_mm == (297.0, 210.0), "a wide board turns the page to landscape"
    points = 72 / 25.4
    assert f"/MediaBox [0 0 {297 * points:.3f} {210 * points:.3f}]".encode() in data
    assert data.count(b" re f") == 35, "half of the 10 x 7 squares are dark"
    assert f"{25 * points:.3f} {25 * points:.3f} re f".encode() in data


def test_png_carries_its_resolution_and_opencv_finds_the_board(tmp_path: Path):
    path = tmp_path / "board.png"
    write_board(Checkerboard(7, 5, 20.0), path, "a4", dpi=100)
    data = path.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (round(297 / 25.4 * 100), round(210 / 25.4 * 100))
    phys = data.index(b"pHYs")
    assert struct.unpack(">IIB", data[phys + 4 : phys + 13]) == (3937, 3937, 1)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    found, corners = cv2.findChessboardCornersSB(image, (7, 5))
    assert found
    spacing_px = np.linalg.norm(np.diff(corners.reshape(5, 7, 2), axis=1), axis=2).mean()
    assert spacing_px == pytest.approx(20.0 / 25.4 * 100, rel=0.01)
    assert zlib.crc32(b"IEND") == struct.unpack(">I", data[-4:])[0]


def test_the_board_image_is_the_same_as_the_board_geometry():
    board = Checkerboard(3, 4, 10.0)
    image = render_board_mm(board, (100.0, 100.0), dpi=254)  # 10 px per mm
    assert image.shape == (1000, 1000)
    left_mm, top_mm = (100 - 40) / 2, (100 - 50) / 2
    assert image[int(top_mm * 10) + 5, int(left_mm * 10) + 5] == 0, "the first square is dark"
    assert image[int(top_mm * 10) + 5, int(left_mm * 10) + 105] == 255


@pytest.mark.parametrize(
    ("board", "name", "paper", "dpi", "message"),
    [
        (Checkerboard(9, 6, 40.0), "board.pdf", "a4", 300, "a 400 x 280 mm board does not fit on a4 paper"),
        (Checkerboard(9, 6, 25.0), "board.svg", "a4", 300, "has suffix '.svg', expected .pdf or .png"),
        (
            Checkerboard(9, 6, 25.0),
            "board.pdf",
            "a5",
            300,
            "paper 'a5' is unknown, expected one of a4, a3, letter",
        ),
        (Checkerboard(9, 6, 25.0), "board.png", "a4", 20, "dpi is 20, expected 72..1200"),
    ],
)
def test_bad_board_requests_are_refused(tmp_path: Path, board, name, paper, dpi, message):
    with pytest.raises(CalibrationError) as raised:
        write_board(board, tmp_path / name, paper, dpi)
    assert message in str(raised.value)
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((2, 6, 25.0), "inner_cols is 2, should be an integer >= 3"),
        ((9, 6, 0.0), "square_mm is 0.0, should be > 0 millimetres"),
        ((6, 6, 25.0), "use different counts"),
    ],
)
def test_bad_boards_are_refused_by_name(args, message):
    with pytest.raises(ValueError) as raised:
        Checkerboard(*args)
    assert message in str(raised.value)
