//! The repeat-contact search behind FCR (`method = "repeat_contact"`), on narrow keys.
//!
//! For every inbound contact with a customer id: is the same customer's next contact (within
//! the scope: any channel, the same channel or the same queue), in (arrived_at, interaction_id)
//! order, at most `window` after this one? That is SQL's
//! `LEAD(arrived_at) OVER (PARTITION BY scope, customer ORDER BY arrived_at, interaction_id)`.
//!
//! Instead of sorting the whole canonical frame, each contact becomes a 32-byte entry (the
//! customer key as a 128-bit hash, the arrival, the row number); the entries are split by the
//! key's top bit (a customer's contacts all land in one half), each half sorted on its own
//! thread, and scanned once. Equal keys mean the same customer and scope with the same
//! probability as the duplicate-id check (docs/metrics.md: a false match needs a 128-bit
//! collision, about 1e-25 for ten million customers). Contacts of one customer arriving at the
//! same instant are ordered by `interaction_id`, as in the SQL.

use polars::prelude::*;

use super::definition::RepeatScope;
use crate::schema::text_values;
use crate::util::hash64;

#[derive(Clone, Copy)]
struct Entry {
    h1: u64,
    h2: u64,
    arrived: i64,
    row: u32,
}

const SEED1: u64 = 0x4528_21e6_38d0_1377;
const SEED2: u64 = 0xbe54_66cf_34e9_0c6c;

/// The scope value and customer id as one key: `scope \x1f customer`.
fn key_hash(scope: &str, customer: &str, buf: &mut Vec<u8>) -> (u64, u64) {
    buf.clear();
    buf.extend_from_slice(scope.as_bytes());
    buf.push(0x1f);
    buf.extend_from_slice(customer.as_bytes());
    (hash64(buf, SEED1), hash64(buf, SEED2))
}

/// The repeat flag of every row of the canonical frame `rows` (in its row order): `true` when
/// the customer's next contact in scope is within `window_us`, `false` when not, null for
/// contacts without a customer id, for outbound contacts and for contacts outside `judged`
/// (which are not searched at all: as if they were not in the frame).
pub fn repeat_flags(
    rows: &DataFrame,
    judged: Option<&BooleanChunked>,
    scope: RepeatScope,
    window_us: i64,
) -> PolarsResult<Vec<Option<bool>>> {
    let n = rows.height();
    if n >= REPEAT as usize {
        polars_bail!(ComputeError: "more than 2^31 contacts in one run; split the input by month");
    }
    let direction = rows.column("direction")?.as_materialized_series().rechunk();
    let customer = rows.column("customer_id")?.str()?;
    let arrived = rows.column("arrived_at")?.datetime()?.phys.clone();
    let scope_col = match scope {
        RepeatScope::AnyChannel => None,
        RepeatScope::SameChannel => Some(rows.column("channel")?.as_materialized_series().clone()),
        RepeatScope::SameQueue => Some(rows.column("queue")?.as_materialized_series().clone()),
    };
    // Entries built on two threads (each over half the rows), already split on the key's top
    // bit: a customer's contacts all land in one half.
    let half = n / 2;
    let build = |offset: usize, len: usize| -> PolarsResult<(Vec<Entry>, Vec<Entry>)> {
        // Room for every row in each half: pages are only taken as entries are written, and
        // the second thread's entries then fit behind the first's without a copy.
        let (mut lo, mut hi) = (Vec::with_capacity(len), Vec::with_capacity(len));
        let mut buf = Vec::with_capacity(64);
        let dir = Column::from(direction.slice(offset as i64, len));
        let cust = customer.slice(offset as i64, len);
        let arr = arrived.slice(offset as i64, len);
        let sc = scope_col.as_ref().map(|c| Column::from(c.slice(offset as i64, len)));
        let mut scope_iter = match &sc {
            Some(c) => Some(text_values(c)?),
            None => None,
        };
        let jd = judged.map(|c| c.slice(offset as i64, len));
        let mut judged_iter = jd.as_ref().map(|c| c.iter());
        for (k, ((d, c), a)) in text_values(&dir)?.zip(cust.iter()).zip(arr.iter()).enumerate() {
            let scope = match scope_iter.as_mut() {
                Some(it) => it.next().flatten().unwrap_or(""),
                None => "",
            };
            let measured = match judged_iter.as_mut() {
                Some(it) => it.next().flatten().unwrap_or(false),
                None => true,
            };
            if let (true, Some("inbound"), Some(c), Some(a)) = (measured, d, c, a) {
                let (h1, h2) = key_hash(scope, c, &mut buf);
                let e = Entry { h1, h2, arrived: a, row: (offset + k) as u32 };
                if h1 >> 63 == 0 {
                    lo.push(e);
                } else {
                    hi.push(e);
                }
            }
        }
        Ok((lo, hi))
    };
    let (first, second) = std::thread::scope(|s| {
        let t = s.spawn(|| build(half, n - half));
        (build(0, half), t.join())
    });
    let (mut left, mut right) = first?;
    let (l2, r2) =
        second.map_err(|_| polars_err!(ComputeError: "the repeat-contact search stopped unexpectedly"))??;
    left.extend(l2);
    right.extend(r2);
    let ids = rows.column("interaction_id")?.str()?;
    std::thread::scope(|s| {
        let t = s.spawn(|| scan(&mut left, ids, window_us));
        scan(&mut right, ids, window_us);
        t.join()
    })
    .map_err(|_| polars_err!(ComputeError: "the repeat-contact search stopped unexpectedly"))?;
    let mut flags: Vec<Option<bool>> = vec![None; n];
    for e in left.iter().chain(&right) {
        if let Some(f) = flags.get_mut((e.row & !REPEAT) as usize) {
            *f = Some(e.row & REPEAT != 0);
        }
    }
    Ok(flags)
}

/// The bit of [`Entry::row`] that [`scan`] sets on a contact with a repeat (rows are below it).
const REPEAT: u32 = 1 << 31;

/// Sorts one half by (key, arrival, interaction_id) and marks each entry whose customer's next
/// contact in scope is within the window (the [`REPEAT`] bit of its row).
fn scan(entries: &mut [Entry], ids: &StringChunked, window_us: i64) {
    entries.sort_unstable_by_key(|x| (x.h1, x.h2, x.arrived, x.row));
    // Contacts of one customer at the same instant: order by interaction_id (rare; the row
    // number above only makes the first sort deterministic).
    for run in entries.chunk_by_mut(same_instant).filter(|run| run.len() > 1) {
        run.sort_by(|x, y| ids.get(x.row as usize).cmp(&ids.get(y.row as usize)).then(x.row.cmp(&y.row)));
    }
    for k in 1..entries.len() {
        let (e, next) = (entries[k - 1], entries[k]);
        if next.h1 == e.h1 && next.h2 == e.h2 && next.arrived - e.arrived <= window_us {
            entries[k - 1].row |= REPEAT;
        }
    }
}

fn same_instant(a: &Entry, b: &Entry) -> bool {
    a.h1 == b.h1 && a.h2 == b.h2 && a.arrived == b.arrived
}
