"""Hostile input files (issue 16, items 1-4 and 10): refused with one line, in seconds, in bounded memory.

Over-long paths, devices, FIFOs, ``$GENERATE`` bombs, long YAML lines, a byte-order mark,
a TTL out of range, a TXT record over the wire format's limit, ``offline: true`` with
``--zones=DIR``. In-process through ``load_config`` and the zone loader; the run's exit
code and its one line through a pytest subprocess.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from mailtests.config import MAX_LINE_CHARS, ConfigError, load_config, parse_config
from mailtests.dnslayer import zonebounds
from mailtests.dnslayer.zonefiles import ZoneFileError, ZoneSource

pytest_plugins = ["pytester"]

LAB_ZONES = Path(__file__).parent / "lab" / "zones"
LONG = "a/" * 3000  # ENAMETOOLONG: Path.exists() raises OSError on it
SOA = "$TTL 3600\n@ IN SOA ns1 hostmaster 1 7200 900 1209600 3600\n@ IN NS ns1\nns1 IN A 192.0.2.1\n"


def zone(tmp_path: Path, text: str, name: str = "example.com.zone") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(*paths: Path) -> ZoneFileError:
    with pytest.raises(ZoneFileError) as err:
        ZoneSource(list(paths))
    return err.value


# -- 1. over-long paths ------------------------------------------------------------------------


def test_an_over_long_zones_path_in_the_domains_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(f"zones: [{LONG}]\ndomains: [example.com]\n", tmp_path / "domains.yaml")
    assert err.value.line == 1 and err.value.key == "zones[0]"
    assert "File name too long" in err.value.message and len(str(err.value)) < 200


def test_an_over_long_trust_anchor_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"domains.yaml:1: trust_anchor: .*File name too long"):
        parse_config(f"trust_anchor: {LONG}\ndomains: [example.com]\n", tmp_path / "domains.yaml")


def test_an_over_long_domains_path_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r": cannot read: File name too long$"):
        load_config(LONG + "domains.yaml")


def test_an_over_long_zone_path_is_a_zone_error() -> None:
    assert "File name too long" in str(load_error(Path(LONG + "x.zone")))


def test_a_nul_in_a_zones_path_is_shown_escaped(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config('zones: ["zo\\0nes"]\ndomains: [example.com]\n', tmp_path / "domains.yaml")
    assert "\0" not in str(err.value) and "\\x00" in str(err.value)
    assert "NUL" in err.value.message


# -- 2. devices, FIFOs, huge files -------------------------------------------------------------


def test_dev_zero_as_a_zone_file_is_refused_unread() -> None:
    assert str(load_error(Path("/dev/zero"))) == "/dev/zero:0: not a regular file (a character device)"


def test_dev_zero_in_zones_of_the_domains_file_is_refused_at_load(tmp_path: Path) -> None:
    config = parse_config("zones: [/dev/zero]\ndomains: [example.com]\n", tmp_path / "domains.yaml")
    assert "character device" in str(load_error(*config.zones))


def test_an_include_of_dev_zero_names_the_include_line(tmp_path: Path) -> None:
    path = zone(tmp_path, SOA + "$INCLUDE /dev/zero\n")
    assert str(load_error(path)) == f"{path}:5: /dev/zero: not a regular file (a character device)"


def test_an_include_of_a_fifo_never_blocks(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    path = zone(tmp_path, SOA + "$INCLUDE pipe\n")
    assert str(load_error(path)) == f"{path}:5: pipe: not a regular file (a FIFO (named pipe))"


def test_a_fifo_as_the_domains_file_never_blocks(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "domains.yaml")
    with pytest.raises(ConfigError, match=r"cannot read: not a regular file \(a FIFO"):
        load_config(tmp_path / "domains.yaml")


def test_zone_text_over_the_budget_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "example.com.zone"
    with big.open("wb") as fh:
        fh.truncate(zonebounds.MAX_ZONE_BYTES + 1)  # sparse
    assert "larger than the limit of 16 MiB" in str(load_error(big))


def test_includes_count_against_one_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zonebounds, "MAX_ZONE_BYTES", 4000)
    (tmp_path / "part").write_text("; " + "x" * 1000 + "\n", encoding="utf-8")
    path = zone(tmp_path, SOA + "$INCLUDE part\n" * 5)
    error = load_error(path)
    assert error.line == 8  # 3 includes of 1,003 bytes fit in 4,000 with the file itself, the 4th does not
    assert error.message == "part: the zone's text, its $INCLUDE files counted, is larger than the limit of 4,000 bytes"


# -- 3. $GENERATE and records per zone ---------------------------------------------------------


@pytest.mark.parametrize(("directive", "expected"), [
    ("$GENERATE 1-99999999999999999999999 h$ A 192.0.2.1", "invalid range"),
    ("$GENERATE 1-10000000 h$ A 192.0.2.1", "makes 10,000,000 records: the zone would hold more than 100,000"),
    ("$GENERATE 10-1 h$ A 192.0.2.1", "invalid range"),
    ("$GENERATE 1-10/0 h$ A 192.0.2.1", "invalid range"),
    ("$GENERATE -5-10 h$ A 192.0.2.1", "invalid range"),
])
def test_generate_ranges_are_bounded_before_expansion(tmp_path: Path, directive: str, expected: str) -> None:
    path = zone(tmp_path, SOA + "; the next line\n" + directive + "\n")
    error = load_error(path)
    assert error.line == 6 and expected in error.message, str(error)


def test_a_generate_within_the_bounds_loads(tmp_path: Path) -> None:
    ZoneSource([zone(tmp_path, SOA + "$GENERATE 1-50 h$ A 192.0.2.$\n")])


def test_records_per_zone_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zonebounds, "MAX_ZONE_RECORDS", 10)
    lines = "".join(f"h{i} IN A 192.0.2.{i}\n" for i in range(20))
    error = load_error(zone(tmp_path, SOA + lines))
    assert error.line == 12 and error.message == "more than 10 records in the zone"  # h7, the 11th record


def test_records_per_rrset_are_bounded_as_bind_does(tmp_path: Path) -> None:
    lines = "".join(f"big IN A 192.0.2.{i}\n" for i in range(1, 102))
    error = load_error(zone(tmp_path, SOA + lines))
    assert error.line == 105 and "more than 100 records in one RRset" in error.message


# -- 4. the quadratic YAML comment ---------------------------------------------------------------


def test_a_five_megabyte_comment_line_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text("#" + "x" * 5_000_000 + "\ndomains: [example.com]\n", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert time.monotonic() - started < 30  # refused before parsing; ruamel.yaml took over 90 s on it
    assert str(err.value) == f"{path}:1: the line is 5,000,001 characters long, over the limit of 65,536"


def test_a_line_at_the_limit_still_parses(tmp_path: Path) -> None:
    config = parse_config("#" + "x" * (MAX_LINE_CHARS - 1) + "\ndomains: [example.com]\n", tmp_path / "d.yaml")
    assert [d.name for d in config.domains] == ["example.com"]


# -- 10. small ones ----------------------------------------------------------------------------


def test_a_byte_order_mark_at_the_start_of_a_zone_file_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "example.com.zone"
    path.write_bytes(b"\xef\xbb\xbf$ORIGIN example.com.\n" + SOA.encode())
    assert list(ZoneSource([path]).zones) == [pytest.importorskip("dns.name").from_text("example.com")]


def test_a_ttl_out_of_range_says_so(tmp_path: Path) -> None:
    error = load_error(zone(tmp_path, SOA + "x 4294967296 IN A 192.0.2.2\n"))
    assert error.line == 5
    assert error.message.startswith("TTL 4294967296 is out of range: at most 4294967295")
    assert "RFC 2181 §8" in error.message


def test_a_txt_record_over_the_rdata_limit_is_refused_with_its_line(tmp_path: Path) -> None:
    strings = " ".join(['"' + "a" * 255 + '"'] * 1600)  # 409,600 octets
    error = load_error(zone(tmp_path, SOA + f"big IN TXT {strings}\n"))
    assert error.line == 5 and "409,600 octets, over the 65,535" in error.message


def test_a_timeout_of_five_thousand_digits_is_a_clean_message(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("domains: [example.com]\ntimeout: " + "9" * 5000 + "\n", tmp_path / "domains.yaml")
    assert err.value.line == 2
    assert "set_int_max_str_digits" not in str(err.value) and len(str(err.value)) < 200
    assert err.value.message == "a number of 5,000 digits: no value here is that long"


def test_offline_in_the_file_with_zones_on_the_command_line(pytester: pytest.Pytester) -> None:
    zones = pytester.path / "zones"
    zones.mkdir()
    shutil.copy(LAB_ZONES / "healthy.com.zone", zones)
    pytester.makefile(".yaml", domains="offline: true\ndomains: [healthy.com]\n")
    run = pytester.runpytest_subprocess("--pyargs", "mailtests", "-p", "no:html", "-o", "addopts=",
                                        "--zones=zones", "-k", "mx_present")
    assert run.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), run.stderr.str()
    assert (pytester.path / "reports" / "results.json").exists()
    alone = pytester.runpytest_subprocess("--pyargs", "mailtests", "-p", "no:html", "-o", "addopts=")
    assert alone.ret == pytest.ExitCode.USAGE_ERROR
    alone.stderr.fnmatch_lines(["ERROR: *domains.yaml: offline: true asks only zone files: give --zones PATH*"])


# -- the whole run: exit 4, one line, no traceback ---------------------------------------------


BOMB = "$ORIGIN example.com.\n" + SOA + "$GENERATE 1-99999999999999999999999 h$ A 192.0.2.1\n"


@pytest.mark.parametrize(("option", "files", "expected"), [
    (f"--zones={LONG}", {}, "ERROR: --zones */a/a/a/*: File name too long"),
    ("--zones=/dev/zero", {}, "ERROR: /dev/zero:0: not a regular file (a character device)"),
    (f"--domains={LONG}domains.yaml", {}, "ERROR: *: cannot read: File name too long"),
    ("--zones=bomb.zone", {"bomb.zone": BOMB}, "ERROR: *bomb.zone:6: $GENERATE: invalid range *"),
    ("--domains=long.yaml", {"long.yaml": "#" + "x" * 5_000_000 + "\ndomains: [example.com]\n"},
     "ERROR: long.yaml:1: the line is 5,000,001 characters long, over the limit of 65,536"),
])
def test_the_run_stops_with_exit_4_and_one_line(pytester: pytest.Pytester, option: str, files: dict[str, str],
                                                 expected: str) -> None:
    pytester.makefile(".yaml", domains="domains: [example.com]\n")
    for name, text in files.items():
        (pytester.path / name).write_text(text, encoding="utf-8")
    run = pytester.runpytest_subprocess("--pyargs", "mailtests", "-p", "no:html", "-o", "addopts=", option)
    assert run.ret == pytest.ExitCode.USAGE_ERROR, run.stderr.str()
    errors = [line for line in run.stderr.lines if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("ERROR: "), errors
    run.stderr.fnmatch_lines([expected])
    assert "Traceback" not in run.stdout.str() + run.stderr.str()
