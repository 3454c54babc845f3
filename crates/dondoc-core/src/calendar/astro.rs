//! The astronomy behind the lunar calendar: true new moons, the Sun's apparent longitude
//! and ΔT.
//!
//! Conventions: `jde` is a Julian Ephemeris Day (Terrestrial Time), `jd` a Julian Day in
//! Universal Time. Angles are in degrees unless a name says otherwise.
//!
//! Sources:
//! - New moons: J. Meeus, *Astronomical Algorithms* (2nd ed., 1998), ch. 49, in full (mean
//!   phase, the 25 periodic terms for the new moon with their E factors, and the 14
//!   planetary arguments A1–A14). Meeus gives a mean error of a few seconds against
//!   ELP-2000/82 for modern dates.
//! - The Sun: VSOP87D (heliocentric ecliptic of date, via the `vsop87` crate), reduced to an
//!   apparent geocentric longitude as in Meeus ch. 25 ("higher accuracy"): +180°, the FK5
//!   correction, nutation in longitude (Meeus ch. 22, the largest 26 terms of the IAU 1980
//!   series, good to a few thousandths of an arcsecond) and aberration.
//! - ΔT = TT − UT: the Espenak–Meeus polynomials of NASA's eclipse web site
//!   (<https://eclipse.gsfc.nasa.gov/SEhelp/deltatpoly2004.html>, "Polynomial Expressions
//!   for Delta T"). They are fits to observations up to 2005 and extrapolations after it;
//!   the future values are uncertain by tens of seconds by 2050 and minutes by 2150.
//!   The lunar-acceleration correction (−0.000012932 (y − 1955)²) is not applied: it
//!   concerns eclipse work with a different lunar ephemeris and is below a second for
//!   1800–2100.

use std::f64::consts::PI;

/// Julian Day of the J2000.0 epoch (2000-01-01 12:00 TT).
const J2000: f64 = 2_451_545.0;
/// Days per Julian century.
const JULIAN_CENTURY: f64 = 36_525.0;
/// Seconds per day.
const SECONDS_PER_DAY: f64 = 86_400.0;
/// Mean synodic month in days (Meeus eq. 49.1).
pub(crate) const SYNODIC_MONTH: f64 = 29.530_588_861;
/// Mean motion of the Sun in longitude, degrees per day.
const SUN_DEGREES_PER_DAY: f64 = 360.0 / 365.242_19;

fn sin_deg(x: f64) -> f64 {
    x.to_radians().sin()
}

/// Reduces an angle to [0, 360).
pub(crate) fn normalize_degrees(x: f64) -> f64 {
    let r = x.rem_euclid(360.0);
    // `rem_euclid` can round up to exactly 360.0 for tiny negative inputs.
    if r >= 360.0 { 0.0 } else { r }
}

/// Reduces an angle to (−180, 180].
fn signed_degrees(x: f64) -> f64 {
    let r = normalize_degrees(x);
    if r > 180.0 { r - 360.0 } else { r }
}

/// Evaluates `c[0] + c[1] t + c[2] t² + …` (Horner).
fn poly(t: f64, c: &[f64]) -> f64 {
    c.iter().rev().fold(0.0, |acc, &k| acc * t + k)
}

// ---------------------------------------------------------------------------------------
// ΔT
// ---------------------------------------------------------------------------------------

/// ΔT = TT − UT in seconds for a decimal year, by the Espenak–Meeus polynomials (NASA).
pub(crate) fn delta_t_seconds(year: f64) -> f64 {
    let y = year;
    if y < -500.0 {
        let u = (y - 1820.0) / 100.0;
        -20.0 + 32.0 * u * u
    } else if y < 500.0 {
        let u = y / 100.0;
        poly(u, &[10583.6, -1014.41, 33.78311, -5.952053, -0.1798452, 0.022174192, 0.0090316521])
    } else if y < 1600.0 {
        let u = (y - 1000.0) / 100.0;
        poly(u, &[1574.2, -556.01, 71.23472, 0.319781, -0.8503463, -0.005050998, 0.0083572073])
    } else if y < 1700.0 {
        let t = y - 1600.0;
        poly(t, &[120.0, -0.9808, -0.01532, 1.0 / 7129.0])
    } else if y < 1800.0 {
        let t = y - 1700.0;
        poly(t, &[8.83, 0.1603, -0.0059285, 0.00013336, -1.0 / 1_174_000.0])
    } else if y < 1860.0 {
        let t = y - 1800.0;
        poly(t, &[13.72, -0.332447, 0.0068612, 0.0041116, -0.00037436, 0.0000121272, -0.0000001699, 0.000000000875])
    } else if y < 1900.0 {
        let t = y - 1860.0;
        poly(t, &[7.62, 0.5737, -0.251754, 0.01680668, -0.0004473624, 1.0 / 233_174.0])
    } else if y < 1920.0 {
        let t = y - 1900.0;
        poly(t, &[-2.79, 1.494119, -0.0598939, 0.0061966, -0.000197])
    } else if y < 1941.0 {
        let t = y - 1920.0;
        poly(t, &[21.20, 0.84493, -0.076100, 0.0020936])
    } else if y < 1961.0 {
        let t = y - 1950.0;
        poly(t, &[29.07, 0.407, -1.0 / 233.0, 1.0 / 2547.0])
    } else if y < 1986.0 {
        let t = y - 1975.0;
        poly(t, &[45.45, 1.067, -1.0 / 260.0, -1.0 / 718.0])
    } else if y < 2005.0 {
        let t = y - 2000.0;
        poly(t, &[63.86, 0.3345, -0.060374, 0.0017275, 0.000651814, 0.00002373599])
    } else if y < 2050.0 {
        let t = y - 2000.0;
        poly(t, &[62.92, 0.32217, 0.005589])
    } else if y < 2150.0 {
        let u = (y - 1820.0) / 100.0;
        -20.0 + 32.0 * u * u - 0.5628 * (2150.0 - y)
    } else {
        let u = (y - 1820.0) / 100.0;
        -20.0 + 32.0 * u * u
    }
}

/// The decimal year of a Julian Day (precise enough for ΔT, which changes slowly).
fn decimal_year(jd: f64) -> f64 {
    2000.0 + (jd - 2_451_544.5) / 365.2425
}

/// Converts a Julian Ephemeris Day (TT) to a Julian Day (UT).
pub(crate) fn tt_to_ut(jde: f64) -> f64 {
    jde - delta_t_seconds(decimal_year(jde)) / SECONDS_PER_DAY
}

/// Converts a Julian Day (UT) to a Julian Ephemeris Day (TT).
pub(crate) fn ut_to_tt(jd: f64) -> f64 {
    jd + delta_t_seconds(decimal_year(jd)) / SECONDS_PER_DAY
}

// ---------------------------------------------------------------------------------------
// New moons (Meeus ch. 49)
// ---------------------------------------------------------------------------------------

/// The lunation number `k` (Meeus ch. 49: k = 0 is the new moon of 2000-01-06) of the
/// mean new moon nearest before `jd`.
pub(crate) fn lunation_before(jd: f64) -> i64 {
    // Saturating float-to-int cast: never panics.
    ((jd - 2_451_550.097_66) / SYNODIC_MONTH).floor() as i64
}

/// Periodic terms for the true new moon (Meeus table 49.A), as
/// (coefficient in days, power of E, multiple of M, of M', of F, of Ω).
#[rustfmt::skip]
const NEW_MOON_TERMS: [(f64, i32, f64, f64, f64, f64); 25] = [
    (-0.40720, 0, 0.0, 1.0, 0.0, 0.0),
    ( 0.17241, 1, 1.0, 0.0, 0.0, 0.0),
    ( 0.01608, 0, 0.0, 2.0, 0.0, 0.0),
    ( 0.01039, 0, 0.0, 0.0, 2.0, 0.0),
    ( 0.00739, 1, -1.0, 1.0, 0.0, 0.0),
    (-0.00514, 1, 1.0, 1.0, 0.0, 0.0),
    ( 0.00208, 2, 2.0, 0.0, 0.0, 0.0),
    (-0.00111, 0, 0.0, 1.0, -2.0, 0.0),
    (-0.00057, 0, 0.0, 1.0, 2.0, 0.0),
    ( 0.00056, 1, 1.0, 2.0, 0.0, 0.0),
    (-0.00042, 0, 0.0, 3.0, 0.0, 0.0),
    ( 0.00042, 1, 1.0, 0.0, 2.0, 0.0),
    ( 0.00038, 1, 1.0, 0.0, -2.0, 0.0),
    (-0.00024, 1, -1.0, 2.0, 0.0, 0.0),
    (-0.00017, 0, 0.0, 0.0, 0.0, 1.0),
    (-0.00007, 0, 2.0, 1.0, 0.0, 0.0),
    ( 0.00004, 0, 0.0, 2.0, -2.0, 0.0),
    ( 0.00004, 0, 3.0, 0.0, 0.0, 0.0),
    ( 0.00003, 0, 1.0, 1.0, -2.0, 0.0),
    ( 0.00003, 0, 0.0, 2.0, 2.0, 0.0),
    (-0.00003, 0, 1.0, 1.0, 2.0, 0.0),
    ( 0.00003, 0, -1.0, 1.0, 2.0, 0.0),
    (-0.00002, 0, -1.0, 1.0, -2.0, 0.0),
    (-0.00002, 0, 1.0, 3.0, 0.0, 0.0),
    ( 0.00002, 0, 0.0, 4.0, 0.0, 0.0),
];

/// Planetary arguments A2–A14 (Meeus ch. 49, p. 351) as (coefficient in days,
/// constant in degrees, degrees per lunation). A1 has a T² term and is handled apart.
#[rustfmt::skip]
const PLANETARY_TERMS: [(f64, f64, f64); 13] = [
    (0.000165, 251.88, 0.016321),
    (0.000164, 251.83, 26.651886),
    (0.000126, 349.42, 36.412478),
    (0.000110, 84.66, 18.206239),
    (0.000062, 141.74, 53.303771),
    (0.000060, 207.14, 2.453732),
    (0.000056, 154.84, 7.306860),
    (0.000047, 34.52, 27.261239),
    (0.000042, 207.19, 0.121824),
    (0.000040, 291.34, 1.844379),
    (0.000037, 161.72, 24.198154),
    (0.000035, 239.56, 25.513099),
    (0.000023, 331.55, 3.592518),
];

/// The instant (JDE, TT) of the true new moon of lunation `k` (Meeus ch. 49).
pub(crate) fn new_moon_jde(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let (t2, t3, t4) = (t * t, t * t * t, t * t * t * t);

    // Mean phase (49.1).
    let mean = 2_451_550.097_66 + SYNODIC_MONTH * k + 0.000_154_37 * t2 - 0.000_000_150 * t3 + 0.000_000_000_73 * t4;

    // Eccentricity factor (47.6) and the fundamental arguments (49.4–49.7).
    let e = 1.0 - 0.002_516 * t - 0.000_007_4 * t2;
    let m = 2.5534 + 29.105_356_70 * k - 0.000_001_4 * t2 - 0.000_000_11 * t3;
    let mp = 201.5643 + 385.816_935_28 * k + 0.010_758_2 * t2 + 0.000_012_38 * t3 - 0.000_000_058 * t4;
    let f = 160.7108 + 390.670_502_84 * k - 0.001_611_8 * t2 - 0.000_002_27 * t3 + 0.000_000_011 * t4;
    let omega = 124.7746 - 1.563_755_88 * k + 0.002_067_2 * t2 + 0.000_002_15 * t3;

    let periodic: f64 = NEW_MOON_TERMS
        .iter()
        .map(|&(c, e_pow, cm, cmp, cf, co)| c * e.powi(e_pow) * sin_deg(cm * m + cmp * mp + cf * f + co * omega))
        .sum();

    let a1 = 299.77 + 0.107_408 * k - 0.009_173 * t2;
    let planetary: f64 =
        0.000_325 * sin_deg(a1) + PLANETARY_TERMS.iter().map(|&(c, a0, rate)| c * sin_deg(a0 + rate * k)).sum::<f64>();

    mean + periodic + planetary
}

// ---------------------------------------------------------------------------------------
// The Sun (VSOP87D + Meeus ch. 25 and 22)
// ---------------------------------------------------------------------------------------

/// Nutation terms (Meeus table 22.A, IAU 1980): multiples of D, M, M', F, Ω and the
/// coefficients of sin in Δψ (0.0001″, constant and per century). Terms below 0.0003″
/// are dropped; their sum stays far under the 0.1″ that matters here.
#[rustfmt::skip]
const NUTATION_TERMS: [(f64, f64, f64, f64, f64, f64, f64); 26] = [
    ( 0.0,  0.0,  0.0, 0.0, 1.0, -171_996.0, -174.2),
    (-2.0,  0.0,  0.0, 2.0, 2.0,  -13_187.0,   -1.6),
    ( 0.0,  0.0,  0.0, 2.0, 2.0,   -2_274.0,   -0.2),
    ( 0.0,  0.0,  0.0, 0.0, 2.0,    2_062.0,    0.2),
    ( 0.0,  1.0,  0.0, 0.0, 0.0,    1_426.0,   -3.4),
    ( 0.0,  0.0,  1.0, 0.0, 0.0,      712.0,    0.1),
    (-2.0,  1.0,  0.0, 2.0, 2.0,     -517.0,    1.2),
    ( 0.0,  0.0,  0.0, 2.0, 1.0,     -386.0,   -0.4),
    ( 0.0,  0.0,  1.0, 2.0, 2.0,     -301.0,    0.0),
    (-2.0, -1.0,  0.0, 2.0, 2.0,      217.0,   -0.5),
    (-2.0,  0.0,  1.0, 0.0, 0.0,     -158.0,    0.0),
    (-2.0,  0.0,  0.0, 2.0, 1.0,      129.0,    0.1),
    ( 0.0,  0.0, -1.0, 2.0, 2.0,      123.0,    0.0),
    ( 2.0,  0.0,  0.0, 0.0, 0.0,       63.0,    0.0),
    ( 0.0,  0.0,  1.0, 0.0, 1.0,       63.0,    0.1),
    ( 2.0,  0.0, -1.0, 2.0, 2.0,      -59.0,    0.0),
    ( 0.0,  0.0, -1.0, 0.0, 1.0,      -58.0,   -0.1),
    ( 0.0,  0.0,  1.0, 2.0, 1.0,      -51.0,    0.0),
    (-2.0,  0.0,  2.0, 0.0, 0.0,       48.0,    0.0),
    ( 0.0,  0.0, -2.0, 2.0, 1.0,       46.0,    0.0),
    ( 2.0,  0.0,  0.0, 2.0, 2.0,      -38.0,    0.0),
    ( 0.0,  0.0,  2.0, 2.0, 2.0,      -31.0,    0.0),
    ( 0.0,  0.0,  2.0, 0.0, 0.0,       29.0,    0.0),
    (-2.0,  0.0,  1.0, 2.0, 2.0,       29.0,    0.0),
    ( 0.0,  0.0,  0.0, 2.0, 0.0,       26.0,    0.0),
    (-2.0,  0.0,  0.0, 2.0, 0.0,      -22.0,    0.0),
];

/// Nutation in longitude Δψ in degrees at `t` Julian centuries from J2000 (TT)
/// (Meeus ch. 22).
fn nutation_in_longitude(t: f64) -> f64 {
    let d = poly(t, &[297.850_36, 445_267.111_480, -0.001_914_2, 1.0 / 189_474.0]);
    let m = poly(t, &[357.527_72, 35_999.050_340, -0.000_160_3, -1.0 / 300_000.0]);
    let mp = poly(t, &[134.962_98, 477_198.867_398, 0.008_697_2, 1.0 / 56_250.0]);
    let f = poly(t, &[93.271_91, 483_202.017_538, -0.003_682_5, 1.0 / 327_270.0]);
    let omega = poly(t, &[125.044_52, -1_934.136_261, 0.002_070_8, 1.0 / 450_000.0]);
    let psi: f64 = NUTATION_TERMS
        .iter()
        .map(|&(cd, cm, cmp, cf, co, s0, s1)| (s0 + s1 * t) * sin_deg(cd * d + cm * m + cmp * mp + cf * f + co * omega))
        .sum();
    psi * 0.0001 / 3600.0
}

/// The Sun's apparent geocentric ecliptic longitude in degrees, [0, 360), at `jde` (TT),
/// referred to the true equinox of date (Meeus ch. 25, "higher accuracy").
pub(crate) fn sun_apparent_longitude(jde: f64) -> f64 {
    let earth = vsop87::vsop87d::earth(jde);
    let t = (jde - J2000) / JULIAN_CENTURY;
    // Geometric geocentric longitude in the VSOP87 dynamical frame.
    let theta = earth.longitude() * 180.0 / PI + 180.0;
    // Conversion to FK5 (Meeus 25.9): ΔΘ = −0.09033″.
    let fk5 = -0.090_33 / 3600.0;
    // Aberration: −20.4898″ / R (Meeus 25.10).
    let aberration = -20.4898 / 3600.0 / earth.distance();
    normalize_degrees(theta + fk5 + nutation_in_longitude(t) + aberration)
}

/// The Sun's apparent longitude at `jd` (UT).
pub(crate) fn sun_longitude_at_ut(jd: f64) -> f64 {
    sun_apparent_longitude(ut_to_tt(jd))
}

/// The instant (JD, UT) nearest `jd_guess` at which the Sun's apparent longitude equals
/// `target` degrees. Newton's method with the mean solar motion as the slope: each step
/// gains about 1.5 digits, and the loop stops below 10⁻⁸ day (1 ms).
pub(crate) fn sun_longitude_instant(target: f64, jd_guess: f64) -> f64 {
    let mut jd = jd_guess;
    for _ in 0..50 {
        let step = signed_degrees(target - sun_longitude_at_ut(jd)) / SUN_DEGREES_PER_DAY;
        if !step.is_finite() {
            break;
        }
        jd += step;
        if step.abs() < 1e-8 {
            break;
        }
    }
    jd
}

/// The December solstice (apparent longitude 270°) of Gregorian year `year`, JD (UT).
pub(crate) fn december_solstice(year: i64) -> f64 {
    // 2000-12-21 13:37 UT, stepped by the mean tropical year.
    let guess = 2_451_900.067 + (year - 2000) as f64 * 365.242_19;
    sun_longitude_instant(270.0, guess)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Julian Day (UT or TT) of a calendar instant (Meeus ch. 7, Gregorian calendar).
    fn jd(y: i32, m: i32, d: f64) -> f64 {
        let (y, m) = if m <= 2 { (y - 1, m + 12) } else { (y, m) };
        let a = (f64::from(y) / 100.0).floor();
        let b = 2.0 - a + (a / 4.0).floor();
        (365.25 * (f64::from(y) + 4716.0)).floor() + (30.6001 * f64::from(m + 1)).floor() + d + b - 1524.5
    }

    #[test]
    fn meeus_example_49a_new_moon_1977() {
        // Meeus example 49.a: the new moon of 1977 February, k = −283,
        // JDE 2443192.65118 (1977-02-18 03:37:42 TD).
        let jde = new_moon_jde(-283);
        assert!((jde - 2_443_192.651_18).abs() < 1e-5, "{jde}");
    }

    #[test]
    fn sun_1992_10_13_against_de421() {
        // The instant of Meeus example 25.b (1992-10-13 0h TT). JPL DE421 (Skyfield, true
        // ecliptic and equinox of date) gives an apparent λ of 199°54′21.59″.
        let lambda = sun_apparent_longitude(2_448_908.5);
        let expected = 199.0 + 54.0 / 60.0 + 21.59 / 3600.0;
        assert!((lambda - expected).abs() * 3600.0 < 0.2, "{lambda} vs {expected}");
    }

    #[test]
    fn meeus_example_22a_nutation() {
        // Meeus example 22.a: 1987-04-10 0h TD, Δψ = −3.788″.
        let t = (2_446_895.5 - J2000) / JULIAN_CENTURY;
        let psi = nutation_in_longitude(t) * 3600.0;
        assert!((psi + 3.788).abs() < 0.01, "{psi}");
    }

    #[test]
    fn delta_t_known_values() {
        // NASA's table: ΔT(1900) = −2.8 s, ΔT(1950) = 29.1 s, ΔT(2000) = 63.9 s.
        assert!((delta_t_seconds(1900.0) + 2.79).abs() < 0.1);
        assert!((delta_t_seconds(1950.0) - 29.07).abs() < 0.1);
        assert!((delta_t_seconds(2000.0) - 63.86).abs() < 0.1);
        // The branches join at 2005, 2050 and 2150 to within a second.
        for y in [1986.0, 2005.0, 2050.0, 2150.0] {
            let step = delta_t_seconds(y) - delta_t_seconds(y - 1e-9);
            assert!(step.abs() < 1.0, "{y}: {step}");
        }
    }

    #[test]
    fn solstice_2000_and_2023() {
        // December solstices: 2000-12-21 13:37 UT, 2023-12-22 03:27 UT (USNO).
        let s = december_solstice(2000);
        assert!((s - jd(2000, 12, 21.0 + (13.0 + 37.0 / 60.0) / 24.0)).abs() < 2.0 / 1440.0);
        let s = december_solstice(2023);
        assert!((s - jd(2023, 12, 22.0 + (3.0 + 27.0 / 60.0) / 24.0)).abs() < 2.0 / 1440.0);
    }

    #[test]
    fn new_moon_2023_03_21() {
        // The 2023-03-21 new moon at 17:23 UT (USNO), which puts 1/2 nhuận on 22/03 (UTC+7).
        let k = lunation_before(jd(2023, 3, 22.0));
        let ut = tt_to_ut(new_moon_jde(k));
        assert!((ut - jd(2023, 3, 21.0 + (17.0 + 23.0 / 60.0) / 24.0)).abs() < 2.0 / 1440.0);
    }
}
