//! Reading a Prometheus / OpenMetrics text exposition: its samples, and the quantiles
//! of a histogram estimated from its buckets.

use std::collections::BTreeMap;

/// One sample line: `name{label="value",…} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The sample's name (`waf_requests_total`, `…_bucket`).
    pub name: String,
    /// Its labels, by name.
    pub labels: BTreeMap<String, String>,
    /// Its value.
    pub value: f64,
}

impl Sample {
    /// The value of label `name`, or "" if it has none.
    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).map_or("", String::as_str)
    }
}

/// The samples of `text`; comment lines and lines that are not samples are skipped
/// (an exposition from another exporter may hold shapes this reader does not know).
pub fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(sample)
        .collect()
}

/// One sample line, or `None` if it is not one.
fn sample(line: &str) -> Option<Sample> {
    let line = line.trim();
    let name_end = line.find(['{', ' '])?;
    let name = &line[..name_end];
    if name.is_empty() {
        return None;
    }
    let (labels, rest) = if line[name_end..].starts_with('{') {
        labels(&line[name_end + 1..])?
    } else {
        (BTreeMap::new(), &line[name_end..])
    };
    // The value, then an optional timestamp.
    let value = number(rest.split_whitespace().next()?)?;
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// The labels after a `{`, up to its `}`, and the rest of the line.
fn labels(mut text: &str) -> Option<(BTreeMap<String, String>, &str)> {
    let mut labels = BTreeMap::new();
    loop {
        text = text.trim_start_matches([',', ' ']);
        if let Some(rest) = text.strip_prefix('}') {
            return Some((labels, rest));
        }
        let (key, rest) = text.split_once('=')?;
        let mut chars = rest.strip_prefix('"')?.char_indices();
        let mut value = String::new();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                (_, c) => value.push(c),
            }
        };
        labels.insert(key.trim().to_owned(), value);
        text = &rest[1 + end + 1..];
    }
}

/// A sample value or `le` bound: a number, `+Inf`, `-Inf` or `NaN`.
pub fn number(text: &str) -> Option<f64> {
    text.parse().ok()
}

/// The `q` quantile (0 < q < 1) of the histogram whose buckets are the samples named
/// `bucket_name`, summed over their other labels: interpolated linearly inside the
/// bucket the rank falls in, as Prometheus' `histogram_quantile` does. `None` when the
/// histogram is empty; the largest finite bound when the rank falls in the `+Inf`
/// bucket (the estimate can say no more).
pub fn quantile(samples: &[Sample], bucket_name: &str, q: f64) -> Option<f64> {
    let mut buckets: Vec<(f64, f64)> = Vec::new();
    for sample in samples.iter().filter(|s| s.name == bucket_name) {
        let Some(bound) = number(sample.label("le")) else {
            continue;
        };
        match buckets.iter_mut().find(|(b, _)| *b == bound) {
            Some((_, count)) => *count += sample.value,
            None => buckets.push((bound, sample.value)),
        }
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = buckets.last().map(|(_, count)| *count)?;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let (mut lower, mut below) = (0.0, 0.0);
    for &(upper, count) in &buckets {
        if count >= rank {
            if upper.is_infinite() {
                return Some(lower);
            }
            if count == below {
                return Some(upper);
            }
            return Some(lower + (upper - lower) * (rank - below) / (count - below));
        }
        (lower, below) = (upper, count);
    }
    Some(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_lines() {
        // (line, expected: name, labels, value)
        type Expected = Option<(&'static str, &'static [(&'static str, &'static str)], f64)>;
        let cases: [(&str, Expected); 7] = [
            ("waf_bans_active 3", Some(("waf_bans_active", &[], 3.0))),
            (
                r#"waf_requests_total{action="deny"} 12"#,
                Some(("waf_requests_total", &[("action", "deny")], 12.0)),
            ),
            (
                r#"x_bucket{le="+Inf",job="a b"} 5 1700000000"#,
                Some(("x_bucket", &[("job", "a b"), ("le", "+Inf")], 5.0)),
            ),
            (
                r#"m{v="a\"b\\c,d}"} 1.5e-3"#,
                Some(("m", &[("v", "a\"b\\c,d}")], 0.0015)),
            ),
            ("# EOF", None),
            (r#"broken{action="deny" 1"#, None),
            ("no_value", None),
        ];
        for (line, expected) in cases {
            let expected = expected.map(|(name, labels, value)| Sample {
                name: name.to_owned(),
                labels: labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                value,
            });
            assert_eq!(samples(line).into_iter().next(), expected, "{line}");
        }
    }

    #[test]
    fn quantiles_from_buckets() {
        let histogram = "h_bucket{le=\"0.001\"} 50\nh_bucket{le=\"0.002\"} 90\nh_bucket{le=\"0.004\"} 100\nh_bucket{le=\"+Inf\"} 100\n";
        let tail = "h_bucket{le=\"0.001\"} 1\nh_bucket{le=\"+Inf\"} 10\n";
        // (exposition, q, estimate)
        let cases = [
            (histogram, 0.5, Some(0.001)),
            (histogram, 0.25, Some(0.0005)),
            (histogram, 0.7, Some(0.0015)),
            (histogram, 0.95, Some(0.003)),
            (tail, 0.99, Some(0.001)),
            ("h_bucket{le=\"+Inf\"} 0\n", 0.5, None),
            ("", 0.5, None),
        ];
        for (text, q, expected) in cases {
            let got = quantile(&samples(text), "h_bucket", q);
            match (got, expected) {
                (Some(got), Some(expected)) => {
                    assert!((got - expected).abs() < 1e-12, "{text} q{q}: {got}")
                }
                _ => assert_eq!(got, expected, "{text} q{q}"),
            }
        }
    }
}
