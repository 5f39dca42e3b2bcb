"""The format registry: one record per format, found the same way by name, media type and file
name; every file the build writes has a known format, and a file of an unknown one stops the
build with its name."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketamine_kg import formats
from ketamine_kg.exports.metadata import Release, describe_release
from ketamine_kg.iri_space import FILE_TYPES, release_media
from ketamine_kg.release.writer import Written


def test_every_release_file_has_a_known_format(release_dir: Path) -> None:
    files = [p.relative_to(release_dir).as_posix() for p in release_dir.rglob("*") if p.is_file()]
    unknown = [name for name in files if formats.for_file(name) is None]
    assert files and not unknown
    assert "application/octet-stream" not in {release_media(name) for name in files}


def test_metadata_refuses_a_file_of_an_unknown_format(store) -> None:
    files = {"ketamine-kg.ttl": Written("0" * 64, 0), "notes.xyz": Written("1" * 64, 1)}
    with pytest.raises(formats.UnknownFormat, match=r"^notes\.xyz: no format is known"):
        describe_release(Release("1.0.0", "2026-01-01"), store, 0, files, [], "urn:x:creator")


@pytest.mark.parametrize("fmt", formats.ALL, ids=lambda f: f.name)
def test_a_record_is_found_by_its_name_and_aliases(fmt: formats.Format) -> None:
    for name in (fmt.name, *fmt.aliases, fmt.name.upper()):
        assert formats.by_name(name) is fmt


@pytest.mark.parametrize("fmt", formats.FILE_FORMATS, ids=lambda f: f.name)
def test_a_file_record_is_found_by_its_extension(fmt: formats.Format) -> None:
    assert formats.for_file(f"some/dir/file.{fmt.extension}") is fmt
    assert FILE_TYPES[f".{fmt.extension}"] == fmt.served_type


@pytest.mark.parametrize(
    "among",
    [formats.NEGOTIATED_FORMATS, formats.RESULT_FORMATS, formats.GRAPH_FORMATS],
    ids=["negotiated", "results", "graphs"],
)
def test_media_types_round_trip_within_each_negotiation(among: tuple) -> None:
    for fmt in among:
        for media in (fmt.media_type, *fmt.media_aliases, fmt.served_type):
            assert formats.by_media_type(media, among) is fmt


def test_extensions_are_unique_among_release_files() -> None:
    extensions = [f.extension for f in formats.FILE_FORMATS]
    assert len(extensions) == len(set(extensions))


def test_only_turtle_and_rdfxml_writers_take_prefixes() -> None:
    prefixes = {"ex": "http://example.org/"}
    taking = {f.name for f in formats.ALL if f.writer_prefixes(prefixes) is not None}
    assert taking == {"turtle", "rdfxml", "owl"}


def test_text_formats_are_served_with_a_charset() -> None:
    assert formats.HTML.served_type == "text/html; charset=utf-8"
    assert formats.TURTLE.served_type == "text/turtle"  # charset is UTF-8 by definition
    assert formats.for_file("SHA256SUMS") is formats.TEXT


def test_unknown_names_and_media_types_are_key_errors() -> None:
    with pytest.raises(KeyError):
        formats.by_name("trig-star")
    with pytest.raises(KeyError):
        formats.by_media_type("image/png")
