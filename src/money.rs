//! Exact decimals read from configuration: amounts, rates and percentages are written as
//! strings (`"12.5"`) or integers, never floats, so no value ever passes through f64.

use rust_decimal::Decimal;

/// serde helpers for a [`Decimal`] field: serialise as a string; deserialise from a string or
/// an integer, and refuse a float with a message saying how to write it.
pub mod decimal_string {
    use std::fmt;
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_string())
    }

    /// The largest magnitude a configured decimal may have: a trillion, far above any fee, rate
    /// or percentage, and small enough that products of a few such values and data volumes
    /// stay inside the decimal range (no overflow in billing).
    pub(crate) const MAX_CONFIGURED: i64 = 1_000_000_000_000;

    fn bounded<E: de::Error>(d: Decimal) -> Result<Decimal, E> {
        if d.abs() > Decimal::from(MAX_CONFIGURED) {
            return Err(E::custom(format!(
                "{d} is beyond the largest value callsla accepts ({MAX_CONFIGURED}); amounts, rates and percentages are far smaller"
            )));
        }
        Ok(d)
    }

    struct DecimalVisitor;

    impl Visitor<'_> for DecimalVisitor {
        type Value = Decimal;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal written as a string, such as \"12.5\", or an integer")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            // Exactly as written, or refused: never rounded to fit (issue 22).
            let d = Decimal::from_str_exact(v.trim()).map_err(|_| match Decimal::from_str(v.trim()) {
                Ok(_) => E::custom(format!(
                    "\"{v}\" has more digits than callsla keeps exactly (28); write it with fewer decimal places"
                )),
                Err(_) => E::custom(format!("\"{v}\" is not a decimal number")),
            })?;
            bounded(d)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
            bounded(Decimal::from(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
            bounded(Decimal::from(v))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
            Err(E::custom(format!(
                "write decimals as strings (\"{v}\"), not as floating-point numbers, so they are read exactly"
            )))
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(DecimalVisitor)
    }
}

/// A decimal read from configuration through [`decimal_string`]: a string or an integer.
/// Use it where serde needs a type (`Option<Dec>`, `Vec<Dec>`, `Spanned<Dec>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Dec(pub Decimal);

impl<'de> serde::Deserialize<'de> for Dec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Dec, D::Error> {
        decimal_string::deserialize(d).map(Dec)
    }
}

impl serde::Serialize for Dec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        decimal_string::serialize(&self.0, s)
    }
}

/// How amounts are rounded to the currency's minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingStrategy {
    /// 0.125 → 0.13 (midpoint away from zero).
    HalfUp,
    /// 0.125 → 0.12 (midpoint to the even digit; "banker's rounding").
    HalfEven,
}

impl RoundingStrategy {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RoundingStrategy::HalfUp => "half_up",
            RoundingStrategy::HalfEven => "half_even",
        }
    }
}

/// The contract's rounding rule: minor units and strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rounding {
    pub minor_units: u32,
    pub strategy: RoundingStrategy,
}

impl Rounding {
    /// Rounds an amount to the minor units, keeping exactly that many decimal places.
    pub(crate) fn apply(&self, v: Decimal) -> Decimal {
        let strategy = match self.strategy {
            RoundingStrategy::HalfUp => rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            RoundingStrategy::HalfEven => rust_decimal::RoundingStrategy::MidpointNearestEven,
        };
        let mut r = v.round_dp_with_strategy(self.minor_units, strategy);
        r.rescale(self.minor_units);
        r
    }
}

/// An arithmetic overflow on the money path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("arithmetic overflow computing {what}; the amounts are beyond what callsla can represent exactly")]
pub struct Overflow {
    pub what: &'static str,
}

/// Checked multiply with a named error.
pub(crate) fn mul(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Overflow> {
    a.checked_mul(b).ok_or(Overflow { what })
}

/// Checked add with a named error.
pub(crate) fn add(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Overflow> {
    a.checked_add(b).ok_or(Overflow { what })
}

/// Checked divide with a named error (division by zero is an overflow too).
pub(crate) fn div(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Overflow> {
    a.checked_div(b).ok_or(Overflow { what })
}

/// `num / den` as a decimal rounded half-even to exactly `dp` places (trailing zeros kept, so
/// the text form has a fixed scale), or `None` when `den` is zero.
pub fn ratio(num: Decimal, den: Decimal, dp: u32) -> Option<Decimal> {
    if den.is_zero() {
        return None;
    }
    num.checked_div(den).map(|v| {
        let mut r = v.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointNearestEven);
        r.rescale(dp);
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_up_and_half_even_differ_on_midpoints() {
        let up = Rounding { minor_units: 2, strategy: RoundingStrategy::HalfUp };
        let even = Rounding { minor_units: 2, strategy: RoundingStrategy::HalfEven };
        for (input, half_up, half_even) in [
            ("0.125", "0.13", "0.12"),
            ("0.135", "0.14", "0.14"),
            ("2.5", "2.50", "2.50"),
            ("-0.125", "-0.13", "-0.12"),
            ("1.0049", "1.00", "1.00"),
        ] {
            let v: Decimal = input.parse().unwrap_or_default();
            assert_eq!(up.apply(v).to_string(), half_up, "{input} > {half_up} for HalfUp");
            assert_eq!(even.apply(v).to_string(), half_even, "{input} > {half_even} for HalfEven");
        }
        let yen = Rounding { minor_units: 0, strategy: RoundingStrategy::HalfEven };
        assert_eq!(yen.apply("2.5".parse().unwrap_or_default()).to_string(), "2");
    }

    #[test]
    fn decimals_are_read_from_strings_and_integers_never_floats() {
        #[derive(serde::Deserialize)]
        struct T {
            a: Dec,
        }
        let ok: Result<T, _> = toml::from_str("a = \"12.5\"");
        assert_eq!(ok.map(|t| t.a.0.to_string()).unwrap_or_default(), "12.5");
        let int: Result<T, _> = toml::from_str("a = 12");
        assert_eq!(int.map(|t| t.a.0.to_string()).unwrap_or_default(), "12");
        let float: Result<T, _> = toml::from_str("a = 12.5");
        let msg = float.err().map(|e| e.message().to_string()).unwrap_or_default();
        assert!(msg.contains("write decimals as strings (\"12.5\")"), "{msg}");
    }
}
