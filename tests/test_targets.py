"""URL rules, the public-address rule and accepted status codes (pure functions)."""

from __future__ import annotations

import pytest

from core.status_codes import (
    StatusCodesError,
    normalize_status_codes,
    parse_status_codes,
    status_accepted,
)
from core.targets import (
    MAX_URL_LENGTH,
    TargetError,
    check_host,
    is_public_address,
    normalize_url,
)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "240.0.0.1", "192.0.0.8",
        "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1",
        "2002:7f00:1::", "not-an-ip", "fe80::1%eth0",
    ],
)  # fmt: skip
def test_non_public_addresses(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8",
     "64:ff9b::808:808"],
)  # fmt: skip
def test_public_addresses(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.com", "https://example.com/"),
        ("HTTP://Example.COM", "http://example.com/"),
        ("  https://example.com/path?q=1#frag ", "https://example.com/path?q=1"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://пример.рф/", "https://xn--e1afmkfd.xn--p1ai/"),
        ("http://[2606:4700::1]:8080/", "http://[2606:4700::1]:8080/"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "url_empty"),
        ("ftp://example.com/", "url_scheme"),
        ("javascript:alert(1)", "url_invalid"),
        ("https://user:pass@example.com/", "url_credentials"),
        ("https://exa mple.com/", "url_invalid"),
        ("https://example.com:99999/", "url_port"),
        ("https://ex<ample.com/", "url_invalid"),
        ("https://" + "a" * MAX_URL_LENGTH, "url_too_long"),
        ("http:///nohost", "url_invalid"),
    ],
)
def test_bad_urls_are_refused_with_a_code(raw: str, code: str) -> None:
    with pytest.raises(TargetError) as caught:
        normalize_url(raw)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        # IPv4 in the forms inet_aton(3) reads but nobody should write: one number,
        # hexadecimal, octal, fewer than four parts, leading zeros, a numeric last label.
        ("http://16843009/", "url_numeric_host"),
        ("http://2130706433:8080/", "url_numeric_host"),
        ("http://0x01010101/", "url_numeric_host"),
        ("http://0X7F000001/", "url_numeric_host"),
        ("http://017700000001/", "url_numeric_host"),
        ("http://0x7f.0.0.1/", "url_numeric_host"),
        ("http://127.1/", "url_numeric_host"),
        ("http://1.1.1/", "url_numeric_host"),
        ("http://01.1.1.1/", "url_numeric_host"),
        ("http://1.2.3.4.5/", "url_numeric_host"),
        ("http://example.0x/", "url_numeric_host"),
        ("http://example.123/", "url_numeric_host"),
        # Ports: 1-65535, ASCII digits.
        ("http://93.184.216.34:0/", "url_port"),
        ("http://[2606:4700::1]:0/", "url_port"),
        ("http://example.com:00/", "url_port"),
        ("http://example.com:65536/", "url_port"),
        ("http://example.com:٨٠/", "url_invalid"),
        ("http://example.com:+80/", "url_invalid"),
        ("http://example.com:8_0/", "url_invalid"),
    ],
)
def test_numeric_hosts_and_bad_ports_are_refused(raw: str, code: str) -> None:
    with pytest.raises(TargetError) as caught:
        normalize_url(raw)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://93.184.216.34:1/", "http://93.184.216.34:1/"),
        ("http://example.com:65535/", "http://example.com:65535/"),
        ("http://example.com:/", "http://example.com/"),
        ("http://1e100.net/", "http://1e100.net/"),  # a name, not a number
        ("http://0x.example/", "http://0x.example/"),
        ("http://123.example/", "http://123.example/"),
        ("http://１２７.０.０.１/", "http://127.0.0.1/"),  # full-width digits: IDNA maps them
    ],
)
def test_names_that_merely_contain_digits_are_fine(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    ("host", "ok"),
    [("93.184.216.34", True), ("::1", True), ("site.test", True), ("16843009", False),
     ("0x7f000001", False), ("127.1", False), ("bad_label!", False)],
)  # fmt: skip
def test_check_host_is_the_rule_of_every_hop(host: str, ok: bool) -> None:
    if ok:
        assert check_host(host) == host
    else:
        with pytest.raises(TargetError):
            check_host(host)


@pytest.mark.parametrize(
    ("text", "ranges"),
    [
        ("200-399", ((200, 399),)),
        ("200-299,301", ((200, 299), (301, 301))),
        (" 301 , 200-299 ", ((200, 299), (301, 301))),
        ("418", ((418, 418),)),
    ],
)
def test_parse_status_codes(text: str, ranges) -> None:
    assert parse_status_codes(text) == ranges


@pytest.mark.parametrize(
    "text",
    ["", "abc", "99", "600", "300-200", "200-", "1,2,3", ",",
     # int() takes these; a status code is three ASCII digits.
     "1_00-2_00", "2_00", "२००", "२००-३९९", "٢٠٠", "２００", "+200", "0200", "200-+399",
     "200.0", "-200"],
)  # fmt: skip
def test_bad_status_codes(text: str) -> None:
    with pytest.raises(StatusCodesError):
        parse_status_codes(text)


def test_status_code_matching_and_normal_form() -> None:
    assert status_accepted(204, "200-299,301")
    assert status_accepted(301, "200-299,301")
    assert not status_accepted(302, "200-299,301")
    assert normalize_status_codes(" 301, 200-299") == "200-299,301"
