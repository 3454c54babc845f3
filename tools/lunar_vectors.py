#!/usr/bin/env python3
"""Generate test vectors for the Vietnamese lunar calendar (âm lịch, UTC+7) with PyEphem.

Dev tool, not part of the build. It regenerates
`crates/dondoc-core/tests/data/lunar_months_1900_2100.csv`, which
`crates/dondoc-core/tests/lunar.rs` compares with `dondoc_core::calendar::lunar`.

The astronomy is PyEphem's (libastro: VSOP87 for the Sun, ELP 2000-82 based lunar
theory, its own ΔT), independent of the Rust code (Meeus ch. 49 new moons, the `vsop87`
crate, Espenak–Meeus ΔT). The calendar rules (Hồ Ngọc Đức's, at meridian 105° E):

1. A month begins on the local (UTC+7) civil day containing the true new moon.
2. The December solstice (apparent solar longitude 270°) falls in month 11: the month whose
   first day begins (00:00 UTC+7) at or before the solstice, the next month after it.
3. If there are 13 months from one month 11 to the next, the first month after month 11
   with no principal term (apparent solar longitude a multiple of 30°) between the
   midnight starting it and the midnight starting the next month is the leap month; it
   repeats the number of the month before it.

Output columns: lunar_year, month, leap (0/1), first_day (YYYY-MM-DD), days.
Close calls (a new moon or a principal term within --warn seconds of a local midnight
that decides a month) are reported on stderr.

`--de421-close-calls SECONDS` instead lists, from JPL's DE421 ephemeris with observed ΔT
(Skyfield), the new moons and principal terms of 1900–2025 within SECONDS of a UTC+7
midnight (terms only next to a month start). Those new moons are the
`DE421_MONTH_STARTS` table of `crates/dondoc-core/src/calendar/lunar.rs`: Meeus's
new-moon series (error up to ~17 s) cannot decide their day.

Usage:
    pip install ephem        # tested with ephem 4.2.1
    python3 tools/lunar_vectors.py [--first 1900] [--last 2100] [--out PATH]
    pip install skyfield skyfield-data   # tested with 1.55 and 7.0.0 (ships de421.bsp)
    python3 tools/lunar_vectors.py --de421-close-calls 60
"""

import argparse
import bisect
import csv
import datetime
import math
import sys
from pathlib import Path

import ephem

ZONE = 7.0 / 24.0  # UTC+7, in days
DEFAULT_OUT = (
    Path(__file__).resolve().parent.parent
    / "crates/dondoc-core/tests/data/lunar_months_1900_2100.csv"
)

_sun = ephem.Sun()


def sun_longitude(d):
    """Apparent geocentric ecliptic longitude of the Sun (radians, equinox of date)."""
    _sun.compute(d)
    equatorial = ephem.Equatorial(_sun.g_ra, _sun.g_dec, epoch=d)
    return float(ephem.Ecliptic(equatorial, epoch=d).lon)


def local_date(d):
    """The UTC+7 civil date containing instant `d` (an ephem.Date in UT)."""
    return ephem.Date(d + ZONE).datetime().date()


def local_midnight(day):
    """The instant (ephem.Date, UT) at which UTC+7 civil date `day` begins."""
    return ephem.Date(ephem.Date(datetime.datetime(day.year, day.month, day.day)) - ZONE)


def new_moons(start, end):
    """All new moon instants (UT) from `start` to `end`."""
    out = []
    d = ephem.next_new_moon(start)
    while d < end:
        out.append(d)
        d = ephem.next_new_moon(d + 1)
    return out


def term_instants(start, end):
    """All instants (UT) from `start` to `end` when the Sun's longitude is a multiple of 30°,
    as (instant, longitude in whole degrees). Bisection to well under a millisecond."""
    step = math.radians(30.0)
    out = []
    d = ephem.Date(start)
    while d < end:
        lon = sun_longitude(d)
        target = (math.floor(lon / step) + 1) * step
        # Bracket: the Sun moves 0.95°–1.02° a day, so the crossing is within 33 days.
        lo, hi = float(d), float(d) + 33.0

        def ahead(t):
            # Signed angle from the target, in (−π, π].
            x = (sun_longitude(t) - target) % (2 * math.pi)
            return x - 2 * math.pi if x > math.pi else x

        for _ in range(60):
            mid = (lo + hi) / 2
            if ahead(mid) >= 0:
                hi = mid
            else:
                lo = mid
        out.append((ephem.Date(hi), round(math.degrees(target)) % 360))
        d = ephem.Date(hi + 20.0)
    return out


def build(first, last, warn_seconds):
    """The months of lunar years `first`..=`last` as CSV rows."""
    start = ephem.Date(f"{first - 2}/10/1")
    end = ephem.Date(f"{last + 2}/3/1")
    moons = new_moons(start, end)
    starts = [local_date(m) for m in moons]
    midnights = [float(local_midnight(s)) for s in starts]
    terms = term_instants(start, end)
    term_times = [float(t) for t, _ in terms]

    def contains_term(i):
        """Whether month i (midnight i to midnight i+1) contains a principal term."""
        j = bisect.bisect_left(term_times, midnights[i])
        return j < len(term_times) and term_times[j] < midnights[i + 1]

    def month11(year):
        """Index of the month holding the December solstice of `year`."""
        solstice = next(float(t) for t, lon in terms
                        if lon == 270 and ephem.Date(t).datetime().year == year)
        return bisect.bisect_right(midnights, solstice) - 1

    # Number the months of each span month 11 .. next month 11.
    numbers = {}  # month index -> (number, leap)
    for year in range(first - 1, last + 1):
        a, b = month11(year), month11(year + 1)
        count = b - a
        assert count in (12, 13), (year, count)
        leap = None
        if count == 13:
            leap = next(i for i in range(a + 1, b) if not contains_term(i))
        number = 10
        for i in range(a, b):
            if i == leap:
                numbers[i] = (number, True)
            else:
                number = number % 12 + 1
                numbers[i] = (number, False)

    # Close calls: new moons near a local midnight, terms near a month boundary.
    for m in moons:
        frac = (float(m) + ZONE + 0.5) % 1.0
        margin = min(frac, 1.0 - frac) * 86400
        if margin < warn_seconds and first - 1 <= local_date(m).year <= last + 1:
            side = "after" if frac < 0.5 else "before"
            print(f"close new moon: {m} UT, {margin:.0f} s {side} local midnight",
                  file=sys.stderr)
    for t, lon in terms:
        j = bisect.bisect_left(midnights, float(t))
        for k in (j - 1, j):
            if 0 <= k < len(midnights):
                margin = abs(float(t) - midnights[k]) * 86400
                if margin < warn_seconds:
                    print(f"close term {lon}°: {t} UT, {margin:.0f} s from the start of the "
                          f"month {starts[k]}", file=sys.stderr)

    rows = []
    lunar_year = None
    for i in sorted(numbers):
        number, leap = numbers[i]
        if number == 1 and not leap:
            lunar_year = starts[i].year
        if lunar_year is None or not first <= lunar_year <= last:
            continue
        days = (starts[i + 1] - starts[i]).days
        rows.append((lunar_year, number, int(leap), starts[i].isoformat(), days))
    return rows


def de421_close_calls(seconds):
    """Print DE421 new moons and principal terms of 1900–2025 near a UTC+7 midnight."""
    import warnings

    from skyfield import almanac
    from skyfield.api import Loader
    from skyfield.framelib import ecliptic_frame
    from skyfield_data import get_skyfield_data_path

    warnings.filterwarnings("ignore", message=".*has expired.*")
    loader = Loader(get_skyfield_data_path(), expire=False)
    ts = loader.timescale(builtin=True)
    eph = loader("de421.bsp")
    earth, sun = eph["earth"], eph["sun"]
    t0, t1 = ts.utc(1899, 12, 1), ts.utc(2026, 1, 1)

    def term(t):
        lon = earth.at(t).observe(sun).apparent().frame_latlon(ecliptic_frame)[1].degrees
        return (lon // 30).astype(int) % 12

    term.step_days = 10
    found = [(t, "new moon") for t, p in zip(*almanac.find_discrete(
        t0, t1, almanac.moon_phases(eph), epsilon=0.01 / 86400)) if p == 0]
    found += [(t, f"term {30 * int(p)}°") for t, p in zip(*almanac.find_discrete(
        t0, t1, term, epsilon=0.01 / 86400))]

    def local_day(t):
        return ephem.Date(t.ut1 - 2415020.0 + ZONE).datetime().date()

    month_starts = {local_day(t) for t, what in found if what == "new moon"}
    for t, what in sorted(found, key=lambda x: x[0].tt):
        frac = (t.ut1 + ZONE + 0.5) % 1.0
        margin = min(frac, 1.0 - frac) * 86400
        if margin >= seconds:
            continue
        y, mo, d, h, mi, s = t.ut1_calendar()
        side = "after" if frac < 0.5 else "before"
        day = local_day(t)
        line = (f"{what}: {y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:05.2f} UT1, {margin:.1f} s "
                f"{side} local midnight, local day {day}")
        if what == "new moon":
            k = round((t.tt - 2451550.09766) / 29.530588861)
            print(f"{line}; lunation k = {k}")
        elif day in month_starts or day + datetime.timedelta(days=1) in month_starts:
            # A term near the midnight that starts a month decides which month holds it.
            print(f"{line}; next to a month start")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--first", type=int, default=1900)
    parser.add_argument("--last", type=int, default=2100)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--warn", type=float, default=120.0,
                        help="report close calls within this many seconds (default 120)")
    parser.add_argument("--de421-close-calls", type=float, metavar="SECONDS",
                        help="list DE421 close calls of 1900-2025 instead (needs skyfield)")
    args = parser.parse_args()
    if args.de421_close_calls is not None:
        de421_close_calls(args.de421_close_calls)
        return
    rows = build(args.first, args.last, args.warn)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["lunar_year", "month", "leap", "first_day", "days"])
        writer.writerows(rows)
    print(f"ephem {ephem.__version__}: wrote {len(rows)} months to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
