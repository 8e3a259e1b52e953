//! Typed condition values: numbers, dates, booleans, IP ranges, binary.
//! Each parser returns `None` for text that is not of its type, so a policy
//! value that does not parse matches nothing (the linter warns about it).

use std::net::IpAddr;

/// A decimal number, as the Numeric operators compare them.
pub fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    // Only plain decimal notation: no "inf", "NaN", hex or underscores.
    let valid = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && t.bytes().any(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `true` or `false`, in any case.
pub fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Base64 as BinaryEquals takes it: the standard alphabet with canonical
/// padding (the length a multiple of four, unused bits zero), exactly as the
/// `base64` crate's `STANDARD` engine decodes it (the tests hold it to that).
/// Written out here because the crate's decoder costs the module more than
/// the rest of this file.
pub fn parse_binary(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().as_bytes();
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let quads = text.len() / 4;
    let mut out = Vec::with_capacity(quads * 3);
    for (i, quad) in text.chunks_exact(4).enumerate() {
        // Padding: only at the end, one or two `=`.
        let pads = if i + 1 == quads {
            quad.iter().rev().take_while(|&&b| b == b'=').count()
        } else {
            0
        };
        if pads > 2 {
            return None;
        }
        let mut bits = 0u32;
        for &b in &quad[..4 - pads] {
            bits = bits << 6 | u32::from(sextet(b)?);
        }
        bits <<= 6 * pads;
        let kept = 3 - pads;
        // The bits past the bytes kept must be zero.
        if bits & (0xff_ffff >> (8 * kept)) != 0 {
            return None;
        }
        out.extend_from_slice(&bits.to_be_bytes()[1..=kept]);
    }
    Some(out)
}

/// The value of a symbol of the standard base64 alphabet.
fn sextet(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// An address range: `10.0.0.0/8`, `2001:DB8::/32`, or one address (`/32`, `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = addr.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse::<u8>().ok()?,
            Some(_) => return None,
            None => max,
        };
        (prefix <= max).then_some(Cidr { network, prefix })
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.network, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            // An IPv4 range also holds the IPv4-mapped IPv6 form of its addresses.
            (IpAddr::V4(_), IpAddr::V6(a)) => a.to_ipv4_mapped().is_some_and(|v4| self.contains(IpAddr::V4(v4))),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

/// Parses a request's address (a bare IP; a `/prefix` is tolerated and ignored).
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.split_once('/').map_or(text, |(a, _)| a).parse().ok()
}

/// A point in time as milliseconds since the Unix epoch.
///
/// Accepts the W3C profile of ISO 8601 that IAM documents — `YYYY`, `YYYY-MM`,
/// `YYYY-MM-DD`, `YYYY-MM-DDThh:mm`, `…:ss`, `…:ss.s…`, each time with a zone
/// designator (`Z`, `+hh:mm`, `-hh:mm`, `+hhmm`; none means UTC) — and epoch
/// seconds (`1700000000`, also with a fraction).
pub fn parse_date(text: &str) -> Option<i64> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') && (t.len() != 4 || t.contains('.')) {
        let secs: f64 = t.parse().ok()?;
        return (secs.is_finite() && secs.abs() < 1e14).then(|| (secs * 1000.0).round() as i64);
    }
    let b = t.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        // At most four digits: summed directly, cheaper than `str::parse`,
        // in a u32 (an overflow-checked i64 product is a 128-bit one on wasm32).
        let s = t.get(range)?;
        let n = s
            .bytes()
            .try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))?;
        Some(i64::from(n))
    };
    let year = num(0..4)?;
    let (mut month, mut day) = (1, 1);
    let mut rest = 4;
    if b.get(4) == Some(&b'-') {
        month = num(5..7)?;
        rest = 7;
        if b.get(7) == Some(&b'-') {
            day = num(8..10)?;
            rest = 10;
        }
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut millis = days_from_civil(year, month, day) * 86_400_000;
    if rest == t.len() {
        return Some(millis);
    }
    // A time needs a full date before it.
    if rest != 10 || !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = num(11..13)?;
    if b.get(13) != Some(&b':') {
        return None;
    }
    let minute = num(14..16)?;
    let mut at = 16;
    let mut second = 0;
    let mut fraction_ms = 0i64;
    if b.get(16) == Some(&b':') {
        second = num(17..19)?;
        at = 19;
        if b.get(19) == Some(&b'.') {
            let digits = t[20..].bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let frac = &t[20..20 + digits];
            let padded = format!("{:0<3}", &frac[..frac.len().min(3)]);
            fraction_ms = padded.parse().ok()?;
            at = 20 + digits;
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset_minutes = match &t[at..] {
        "" | "Z" | "z" => 0,
        zone => {
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4
                || !digits.bytes().all(|c| c.is_ascii_digit())
                || (zone.len() == 6 && zone.as_bytes()[3] != b':')
            {
                return None;
            }
            let h: i64 = digits[..2].parse().ok()?;
            let m: i64 = digits[2..].parse().ok()?;
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 60 + m)
        }
    };
    millis += ((hour * 60 + minute - offset_minutes) * 60 + second) * 1000 + fraction_ms;
    Some(millis)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("2019-07-16T12:00:00Z"), Some(1_563_278_400_000));
        assert_eq!(parse_date("2019-07-16T14:00:00+02:00"), Some(1_563_278_400_000));
        assert_eq!(parse_date("2019-07-16T12:00Z"), Some(1_563_278_400_000));
        assert_eq!(parse_date("1563278400"), Some(1_563_278_400_000));
        assert_eq!(parse_date("2019"), parse_date("2019-01-01T00:00:00Z"));
        assert_eq!(parse_date("2019-07"), parse_date("2019-07-01"));
        assert_eq!(parse_date("2020-01-01T00:00:00.5Z"), Some(1_577_836_800_500));
        for bad in [
            "2019-13-01",
            "2019-02-30",
            "yesterday",
            "2019-07-16T25:00Z",
            "2019-07-16T12",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn cidrs() {
        let net = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(net.contains(parse_ip("203.0.113.9").unwrap()));
        assert!(!net.contains(parse_ip("203.0.114.9").unwrap()));
        let v6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap();
        assert!(v6.contains(parse_ip("2001:db8:1234:5678:ffff::1").unwrap()));
        assert!(!v6.contains(parse_ip("2001:db8:1234:5679::1").unwrap()));
        assert!(Cidr::parse("10.0.0.1").unwrap().contains(parse_ip("10.0.0.1").unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(parse_ip("8.8.8.8").unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0/8").is_none());
    }

    proptest::proptest! {
        #[test]
        fn binary_is_read_as_the_base64_crate_reads_it(
            text in "[ A-Da-d0-2+/=\\-_.\t]{0,14}",
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..12),
        ) {
            use base64::Engine as _;
            let standard = base64::engine::general_purpose::STANDARD;
            proptest::prop_assert_eq!(parse_binary(&text), standard.decode(text.trim()).ok());
            let encoded = standard.encode(&bytes);
            proptest::prop_assert_eq!(parse_binary(&encoded), Some(bytes));
            // Every one-symbol change of a valid encoding.
            for at in 0..encoded.len() {
                for c in ['A', 'B', 'Q', 'g', 'w', '/', '=', '*'] {
                    let mut changed = encoded.clone().into_bytes();
                    changed[at] = c as u8;
                    let changed = String::from_utf8(changed).unwrap_or_default();
                    proptest::prop_assert_eq!(parse_binary(&changed), standard.decode(&changed).ok(), "{}", changed);
                }
            }
        }
    }

    #[test]
    fn numbers_and_bools() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(parse_binary("QmluYXJ5"), Some(b"Binary".to_vec()));
    }
}
