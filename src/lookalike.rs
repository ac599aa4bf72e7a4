//! Look-alike names, by Unicode Technical Standard #39: two names whose *confusable skeletons*
//! are equal ("billing" with a Latin i and "bіlling" with a Cyrillic і), and names that mix
//! scripts. Queues are matched by exact text, so a look-alike spelling silently moves contacts
//! out of scope; `check` and the run summary warn instead (docs/reliability.md).
//!
//! The tables are unicode-rs's (`unicode-security`, `unicode-script`), not hand-written.

use std::collections::BTreeMap;

use unicode_script::{Script, UnicodeScript};
use unicode_security::MixedScript;

/// The UTS #39 skeleton of `s`: equal skeletons mean the two texts can look the same.
pub fn skeleton(s: &str) -> String {
    unicode_security::skeleton(s).collect()
}

/// Groups of two or more distinct names with one skeleton, each sorted; groups in order.
pub fn groups<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<Vec<&'a str>> {
    let mut by: BTreeMap<String, Vec<&'a str>> = BTreeMap::new();
    for n in names {
        let g = by.entry(skeleton(n)).or_default();
        if !g.contains(&n) {
            g.push(n);
        }
    }
    by.into_values()
        .filter(|g| g.len() > 1)
        .map(|mut g| {
            g.sort_unstable();
            g
        })
        .collect()
}

/// The first of `among` that differs from `name` but looks like it.
pub fn resembles<'a>(name: &str, among: &'a [String]) -> Option<&'a str> {
    let s = skeleton(name);
    among.iter().map(String::as_str).find(|m| *m != name && skeleton(m) == s)
}

/// The scripts `s` mixes (by full name, in order of appearance), or `None` when it is
/// single-script in the UTS #39 sense (Common and Inherited characters such as digits,
/// spaces and punctuation go with any script).
pub fn mixed_scripts(s: &str) -> Option<Vec<&'static str>> {
    if s.is_single_script() {
        return None;
    }
    let mut seen: Vec<&'static str> = Vec::new();
    for c in s.chars() {
        let sc = c.script();
        if sc == Script::Common || sc == Script::Inherited || sc == Script::Unknown {
            continue;
        }
        let name = sc.full_name();
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    Some(seen)
}

/// `name` in quotes with each character outside printable ASCII shown as `U+XXXX` after it,
/// so a reader can see where two look-alikes differ.
pub fn spelled(name: &str) -> String {
    let odd: Vec<String> = name
        .chars()
        .filter(|c| !(c.is_ascii_graphic() || *c == ' '))
        .map(|c| format!("{c} U+{:04X} {}", c as u32, c.script().full_name()))
        .collect();
    if odd.is_empty() {
        format!("\"{name}\"")
    } else {
        format!("\"{name}\" ({})", odd.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cyrillic_letter_makes_a_lookalike_and_a_mixed_script_name() {
        let latin = "billing";
        let cyrillic = "b\u{456}lling";
        assert_ne!(latin, cyrillic);
        assert_eq!(skeleton(latin), skeleton(cyrillic));
        assert_eq!(groups([latin, cyrillic, "sales", latin]), vec![vec![latin, cyrillic]]);
        assert_eq!(resembles(cyrillic, &["sales".to_string(), latin.to_string()]), Some(latin));
        assert_eq!(resembles(latin, &[latin.to_string()]), None, "the same name is not a look-alike");
        assert_eq!(mixed_scripts(cyrillic), Some(vec!["Latin", "Cyrillic"]));
        assert_eq!(mixed_scripts("billing-2 (EU)"), None, "digits and punctuation go with any script");
        assert_eq!(mixed_scripts("поддержка"), None, "one script other than Latin is fine");
        assert_eq!(spelled(cyrillic), "\"b\u{456}lling\" (\u{456} U+0456 Cyrillic)");
        assert_eq!(spelled(latin), "\"billing\"");
    }

    #[test]
    fn lookalikes_within_one_script_are_found_too() {
        // Capital I and small l, digit 0 and capital O: same skeleton.
        assert_eq!(skeleton("bilIing"), skeleton("billing"));
        assert_eq!(skeleton("B0OKINGS"), skeleton("BOOKINGS"));
        assert!(groups(["sales", "support"]).is_empty());
    }
}
