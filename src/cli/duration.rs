//! Durations on the command line: `90s`, `10m`, `2h`, `7d` (a number and a unit), and
//! back to the same shape for output.

use std::time::Duration;

/// Parses `N` followed by `ms`, `s`, `m`, `h` or `d`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 90s, 10m, 2h or 7d"))?;
    let seconds = match unit {
        "ms" => return Ok(Duration::from_millis(number)),
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?} has no unit: write ms, s, m, h or d after the number (e.g. 10m)"
            ));
        }
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

/// The duration in days, hours, minutes and seconds, the way `parse` reads units:
/// 90 seconds show as `1m30s` (under a second, as milliseconds).
pub fn show(duration: Duration) -> String {
    let mut left = duration.as_secs();
    if left == 0 {
        return format!("{}ms", duration.as_millis());
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if left >= size {
            out.push_str(&format!("{}{unit}", left / size));
            left %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_shows() {
        // (text, seconds or error, shown back)
        let cases = [
            ("90s", Some(90), "1m30s"),
            ("10m", Some(600), "10m"),
            ("2h", Some(7200), "2h"),
            ("7d", Some(604_800), "7d"),
            ("0s", Some(0), "0ms"),
            ("10", None, ""),
            ("m", None, ""),
            ("-5s", None, ""),
            ("5 s", None, ""),
            ("99999999999999999999d", None, ""),
            ("999999999999999999d", None, ""),
        ];
        for (text, seconds, shown) in cases {
            let parsed = parse(text);
            assert_eq!(
                parsed.as_ref().ok().map(Duration::as_secs),
                seconds,
                "{text}"
            );
            if let Ok(d) = parsed {
                assert_eq!(show(d), shown, "{text}");
            }
        }
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
    }
}
