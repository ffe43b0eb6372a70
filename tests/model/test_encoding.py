"""Encodings of the files users bring (issue 9, defect 25): byte-order marks, UTF-8,
Windows-1252 when it reads as a Norwegian table, and a clear refusal of everything else."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import load_policy, read_pabulib, read_problem, read_table
from allocator.exceptions import InputError, PolicyError
from allocator.model.encoding import decode

TABLE = "Søknadsnr;Søknadsbeløp;Grønn omstilling;Tittel\nVT-1;150 000;5;Vannrensing på Ørje\nVT-2;90 000;4;Åsgårdstrand – nettverk\n"


def reference() -> pd.DataFrame:
    return read_table(_write(Path("/tmp"), "utf-8", TABLE.encode("utf-8"), "ref.csv"))


def _write(folder: Path, tag: str, data: bytes, name: str | None = None) -> Path:
    path = folder / (name or f"{tag}.csv")
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("codec", "mark"),
    [
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
        ("utf-32-be", codecs.BOM_UTF32_BE),
        ("utf-8", b""),
        ("cp1252", b""),
    ],
)
def test_a_table_reads_the_same_in_every_encoding_with_a_mark_utf8_or_windows_1252(
    codec: str, mark: bytes, tmp_path: Path
) -> None:
    path = _write(tmp_path, codec, mark + TABLE.encode(codec))
    df = read_table(path)
    pd.testing.assert_frame_equal(df, read_table(_write(tmp_path, "plain", TABLE.encode("utf-8"), "plain.csv")))
    assert list(df.columns)[:2] == ["Søknadsnr", "Søknadsbeløp"]
    p = read_problem(path, frame=200_000, weights={"green": 1}, scales=(1, 7))
    assert [a.requested for a in p.applications] == [150_000, 90_000]


def test_utf16_was_refused_with_a_misleading_message_and_is_read_now(tmp_path: Path) -> None:
    # defect 25: "12 cells under a header of 11 columns"
    path = _write(tmp_path, "u16", TABLE.encode("utf-16"))
    assert read_table(path)["Søknadsnr"].tolist() == ["VT-1", "VT-2"]


def test_mac_roman_is_refused_naming_the_garbage_and_what_it_would_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "mac", TABLE.replace("Åsgårdstrand", "Asgardstrand").encode("mac_roman"))
    with pytest.raises(InputError) as info:
        read_table(path)
    msg = str(info.value)
    assert "'S¿knadsnr'" in msg and "line 1" in msg and "'Søknadsnr'" in msg
    assert "Mac Roman" in msg and "encoding='mac_roman'" in msg and "save the file as UTF-8" in msg
    df = read_table(path, encoding="mac_roman")  # the escape: say the encoding
    assert df.columns[0] == "Søknadsnr"


@pytest.mark.parametrize(
    "word", ["Grønn", "Ærlig", "Åsgård", "Øst", "Café", "Bär", "Söderberg", "Müller", "Asunción", "Muñoz", "Noël"]
)
def test_every_norwegian_or_common_letter_in_mac_roman_is_caught(word: str, tmp_path: Path) -> None:
    text = f"id,title\nA,Prosjekt {word}\n"
    with pytest.raises(InputError, match="not UTF-8"):
        read_table(_write(tmp_path, "m", text.encode("mac_roman")))


@pytest.mark.parametrize(
    "title",
    [
        "Kr. 2 300 000 – «grønn» omstilling",
        "Bjørn’s nettverk • 50 %",
        "m² og m³ · 5 °C",
        "€ 1 200 … § 3",
        "Ærlig og ÅPEN øvd",
    ],
)
def test_ordinary_windows_1252_text_is_accepted(title: str, tmp_path: Path) -> None:
    path = _write(tmp_path, "w", f"id,title\nA,{title}\n".encode("cp1252"))
    assert read_table(path)["title"].tolist() == [title]


@given(st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzæøåÆØÅéü 0123456789-;"), max_size=40))
def test_norwegian_text_in_windows_1252_reads_back(text: str) -> None:
    assert decode(("id\n" + text).encode("cp1252"), "x.csv") == "id\n" + text


@given(
    st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz ;æøåÆØÅ"), min_size=1, max_size=40).filter(
        lambda t: any(c in t for c in "æøåÆØÅ")
    )
)
def test_norwegian_text_in_mac_roman_is_never_read_as_windows_1252(text: str) -> None:
    with pytest.raises(InputError):
        decode(text.encode("mac_roman"), "x.csv")


def test_utf16_without_a_mark_and_binary_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="UTF-16 or UTF-32 text without a byte-order mark"):
        read_table(_write(tmp_path, "n", TABLE.encode("utf-16-le")))
    with pytest.raises(InputError, match="does not look like a text file"):
        read_table(_write(tmp_path, "b", b"\x00\x01\x02\x03garbage"))


def test_json_toml_and_pabulib_accept_a_mark_and_refuse_what_is_not_utf8(tmp_path: Path) -> None:
    js = tmp_path / "a.json"
    js.write_bytes('[{"id": "Å", "requested": 5, "g": 1}]'.encode("utf-16"))
    assert read_problem(js, frame=5, weights={"g": 1}).applications[0].id == "Å"
    toml = tmp_path / "p.toml"
    toml.write_bytes(codecs.BOM_UTF8 + 'name = "Vårrunde"\nframe = 100\n'.encode())
    assert load_policy(toml).name == "Vårrunde"
    toml.write_bytes('name = "Vårrunde"\n'.encode("cp1252"))
    with pytest.raises(PolicyError, match="line 1, column 10"):
        load_policy(toml)
    pb = tmp_path / "a.pb"
    pb.write_bytes(
        "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost;name\n1;60;Bålplass\nVOTES\nvoter_id;vote\nv;1\n".encode(
            "utf-16"
        )
    )
    assert read_pabulib(pb).applications[0].title == "Bålplass"
