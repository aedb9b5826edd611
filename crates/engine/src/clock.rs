//! Wall-clock times as DynamoDB shows them, and random identifiers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, with millisecond precision (DynamoDB's timestamps).
pub fn now_seconds() -> f64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (since.as_millis() as f64) / 1000.0
}

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Sixteen random bytes (event ids).
pub fn random_bytes16() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&random_u64().to_be_bytes());
    bytes[8..].copy_from_slice(&random_u64().to_be_bytes());
    bytes
}

/// Whether two epoch times fall on the same UTC day.
pub fn same_utc_day(a: f64, b: f64) -> bool {
    (a / 86_400.0).floor() == (b / 86_400.0).floor()
}

/// A stream label: the time in ISO 8601 with milliseconds, e.g. `2026-11-22T06:00:00.000`.
pub fn stream_label(seconds: f64) -> String {
    let millis = (seconds * 1000.0).round() as i64;
    let (days, day_millis) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let (hour, minute) = (day_millis / 3_600_000, day_millis / 60_000 % 60);
    let (second, milli) = (day_millis / 1000 % 60, day_millis % 1000);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}")
}

/// A time in words, as DynamoDB writes times into some error messages:
/// `Friday, October 9, 2026 at 12:00:00 AM Coordinated Universal Time` (whole seconds, UTC).
pub fn long_utc_time(seconds: f64) -> String {
    const WEEKDAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let whole = seconds.floor() as i64;
    let (days, day_seconds) = (whole.div_euclid(86_400), whole.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[(days + 4).rem_euclid(7) as usize];
    let month = MONTHS[month as usize - 1];
    let (hour, minute, second) = (day_seconds / 3600, day_seconds / 60 % 60, day_seconds % 60);
    let (hour12, meridiem) = match hour {
        0 => (12, "AM"),
        1..=11 => (hour, "AM"),
        12 => (12, "PM"),
        _ => (hour - 12, "PM"),
    };
    format!(
        "{weekday}, {month} {day}, {year} at {hour12}:{minute:02}:{second:02} {meridiem} \
         Coordinated Universal Time"
    )
}

/// The first second of the UTC day after the one `seconds` falls on.
pub fn next_utc_midnight(seconds: f64) -> f64 {
    ((seconds / 86_400.0).floor() + 1.0) * 86_400.0
}

/// Year, month, day of the proleptic Gregorian calendar for days since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A random (version 4) UUID in its usual text form.
pub fn uuid_v4() -> String {
    let high = random_u64();
    let low = random_u64();
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high.to_be_bytes());
    bytes[8..].copy_from_slice(&low.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0F) | 0x40;
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Random bits from the standard library's per-process random hasher keys, mixed with a
/// counter and the time (identifiers only need to be unique, not secret).
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_labels_are_iso_times() {
        assert_eq!(stream_label(0.0), "1970-01-01T00:00:00.000");
        assert_eq!(stream_label(1_795_327_200.5), "2026-11-22T06:00:00.500");
    }

    #[test]
    fn long_times_in_words() {
        assert_eq!(
            long_utc_time(0.0),
            "Thursday, January 1, 1970 at 12:00:00 AM Coordinated Universal Time"
        );
        // 2026-10-08T23:20:48Z and the midnight after it.
        assert_eq!(
            long_utc_time(1_791_501_648.25),
            "Thursday, October 8, 2026 at 11:20:48 PM Coordinated Universal Time"
        );
        assert_eq!(next_utc_midnight(1_791_501_648.25), 1_791_504_000.0);
        assert_eq!(
            long_utc_time(1_791_504_000.0),
            "Friday, October 9, 2026 at 12:00:00 AM Coordinated Universal Time"
        );
        // Noon, and a leap day.
        assert_eq!(
            long_utc_time(1_709_208_000.0),
            "Thursday, February 29, 2024 at 12:00:00 PM Coordinated Universal Time"
        );
    }

    #[test]
    fn uuids_have_the_v4_shape() {
        let id = uuid_v4();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_eq!(&id[14..15], "4");
        assert_ne!(uuid_v4(), id);
    }
}
