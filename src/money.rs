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

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_string())
    }

    struct DecimalVisitor;

    impl Visitor<'_> for DecimalVisitor {
        type Value = Decimal;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal written as a string, such as \"12.5\", or an integer")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            Decimal::from_str_exact(v.trim())
                .or_else(|_| Decimal::from_str(v.trim()))
                .map_err(|_| E::custom(format!("\"{v}\" is not a decimal number")))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
            Err(E::custom(format!(
                "write decimals as strings (\"{v}\"), not as floating-point numbers, so they are read exactly"
            )))
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(DecimalVisitor)
    }
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
