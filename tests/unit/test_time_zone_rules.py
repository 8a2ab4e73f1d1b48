"""Zone rules come from the pinned tzdata package, whatever the host has."""
import zoneinfo

import tzdata

import chalicelib  # noqa: F401 (importing the package pins the rules)


def test_zone_rules_come_from_the_pinned_package():
    assert zoneinfo.TZPATH == ()
    assert tzdata.IANA_VERSION >= "2026"
