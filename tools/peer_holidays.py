#!/usr/bin/env python3
"""Prints the Vietnamese public-sector calendar of a widely used peer, the `holidays`
package (PyPI, vacanza/holidays), for a range of years, as JSON: every day whose status
differs from the plain rule "Monday to Friday are working days" (a weekday off or a
weekend day worked), with the peer's name for it.

Used by crates/dondoc-core/tests/peer_calendar.rs, which compares it with dondoc's
calendar and fails on any disagreement not explained in tests/data/peer-holidays-allow.toml.

    python3 tools/peer_holidays.py 2020 2040
"""

import datetime as dt
import json
import sys

import holidays


def main() -> None:
    first, last = int(sys.argv[1]), int(sys.argv[2])
    vn = holidays.country_holidays("VN", years=range(first, last + 1), language="vi")
    days = []
    day = dt.date(first, 1, 1)
    while day.year <= last:
        working = vn.is_working_day(day)
        weekend = day.weekday() >= 5
        if working == weekend:
            days.append({"date": day.isoformat(), "working": working, "name": vn.get(day) or ""})
        day += dt.timedelta(days=1)
    json.dump({"version": holidays.__version__, "days": days}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
