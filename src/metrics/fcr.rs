//! The repeat-contact search behind FCR (`method = "repeat_contact"`), on narrow keys, in
//! bounded memory.
//!
//! For every inbound contact with a customer id: is the same customer's next contact (within
//! the scope: any channel, the same channel or the same queue), in (arrived_at, interaction_id)
//! order, at most `window` after this one? That is SQL's
//! `LEAD(arrived_at) OVER (PARTITION BY scope, customer ORDER BY arrived_at, interaction_id)`.
//!
//! Instead of sorting the whole canonical frame, each contact becomes a 32-byte entry (the
//! customer key as a 128-bit hash, the arrival, the row number), sorted and scanned once.
//! Entries are made one partition at a time: a first pass gives every contact one byte, the
//! partition of its customer key (128 partitions by the hash's top bits, so a customer's
//! contacts are all in one); partitions are then grouped, in order, into groups of about
//! [`GROUP_ENTRIES`] entries, and two groups a round are built (one read of the key columns a
//! round, each thread taking half the rows and filling both groups in place), then sorted and
//! scanned (one group per thread). The search's own memory is then one byte a contact plus two
//! groups of entries — about 2 × 128 MiB however many contacts there are (a group can exceed
//! its share by one partition, 1/128 of the contacts: past about 500 million contacts a
//! partition alone is more than a group) — and its time is one read of the key columns a
//! round. Equal keys mean the same customer and scope with the probability docs/metrics.md
//! gives (a false match needs a 128-bit collision, about 1e-25 for ten million customers).
//! Contacts of one customer arriving at the same instant are ordered by `interaction_id`, as in
//! the SQL.

use polars::prelude::*;

use super::definition::RepeatScope;
use crate::schema::text_values;
use crate::util::{hash64, on_two_threads};

/// How errors name this step.
const SEARCH: &str = "the repeat-contact search";

#[derive(Clone, Copy, Default)]
struct Entry {
    h1: u64,
    h2: u64,
    arrived: i64,
    row: u32,
}

const SEED1: u64 = 0x4528_21e6_38d0_1377;
const SEED2: u64 = 0xbe54_66cf_34e9_0c6c;

/// The scope value and customer id as one key, `scope \x1f customer`, in `buf`.
fn key<'b>(scope: &str, customer: &str, buf: &'b mut Vec<u8>) -> &'b [u8] {
    buf.clear();
    buf.extend_from_slice(scope.as_bytes());
    buf.push(0x1f);
    buf.extend_from_slice(customer.as_bytes());
    buf
}

/// The key's two hashes.
fn key_hash(scope: &str, customer: &str, buf: &mut Vec<u8>) -> (u64, u64) {
    let k = key(scope, customer, buf);
    (hash64(k, SEED1), hash64(k, SEED2))
}

/// Partitions of the customer keys (the hash's top 7 bits); [`NOT_SEARCHED`] marks a contact
/// that is not searched.
const PARTITIONS: usize = 128;
const NOT_SEARCHED: u8 = u8::MAX;

/// The entries one thread builds at once (128 MiB of 32-byte entries; a group can exceed it
/// by one partition). Up to twice as many contacts are searched in one round (two groups, two
/// threads), so a month of up to 8 Mi searched contacts is one round.
const GROUP_ENTRIES: usize = 4 << 20;

/// The repeat flag of every row of the canonical frame `rows` (in its row order): `true` when
/// the customer's next contact in scope is within `window_us`, `false` when not, null for
/// contacts without a customer id, for outbound contacts and for contacts outside `judged`
/// (which are not searched at all: as if they were not in the frame).
pub(crate) fn repeat_flags(
    rows: &DataFrame,
    judged: Option<&BooleanChunked>,
    scope: RepeatScope,
    window_us: i64,
) -> PolarsResult<Vec<Option<bool>>> {
    repeat_flags_in_groups(rows, judged, scope, window_us, GROUP_ENTRIES)
}

/// [`repeat_flags`] with at most `group_entries` entries a group (tests use small groups).
fn repeat_flags_in_groups(
    rows: &DataFrame,
    judged: Option<&BooleanChunked>,
    scope: RepeatScope,
    window_us: i64,
    group_entries: usize,
) -> PolarsResult<Vec<Option<bool>>> {
    let n = rows.height();
    if n >= REPEAT as usize {
        polars_bail!(ComputeError: "more than 2^31 contacts in one run; split the input by month");
    }
    let keys = Keys::of(rows, scope)?;
    // First pass, on two threads over half the rows each: each contact's partition.
    let half = n / 2;
    let (first, second) =
        on_two_threads(SEARCH, || keys.partitions(judged, 0, half), || keys.partitions(judged, half, n - half))?;
    let ((mut parts, counts1), (parts2, counts2)) = (first?, second?);
    parts.extend(parts2);
    let mut counts = counts1;
    for (c, c2) in counts.iter_mut().zip(counts2) {
        *c += c2;
    }
    // Consecutive partitions in two groups a round, each about an even share of the contacts:
    // a partition joins the group its first contact falls in (so a group can exceed the share
    // by at most one partition), and both threads have the same work in every round.
    let total: usize = counts.iter().sum();
    let rounds = total.div_ceil(group_entries.max(1).saturating_mul(2)).max(1);
    let shares = 2 * rounds;
    let mut groups: Vec<(u8, u8, usize)> = Vec::new(); // (first partition, last, entries)
    let mut share_of_last = usize::MAX;
    let mut before = 0usize;
    for (p, &c) in counts.iter().enumerate() {
        let share = (before.saturating_mul(shares) / total.max(1)).min(shares - 1);
        before += c;
        match groups.last_mut() {
            Some(g) if share == share_of_last => {
                g.1 = p as u8;
                g.2 += c;
            }
            _ => groups.push((p as u8, p as u8, c)),
        }
        share_of_last = share;
    }
    groups.retain(|g| g.2 > 0);
    let ids = rows.column("interaction_id")?.str()?;
    let mut flags: Vec<Option<bool>> = vec![None; n];
    let mut mark = |entries: &[Entry]| {
        for e in entries {
            if let Some(f) = flags.get_mut((e.row & !REPEAT) as usize) {
                *f = Some(e.row & REPEAT != 0);
            }
        }
    };
    // Each round reads the key columns once, on two threads over half the rows each (the
    // halves of the first pass, whose counts say where each half's entries go), filling both
    // groups' entries in place; then each thread sorts and scans one group.
    let in_group = |counts: &[usize; PARTITIONS], g: Option<&(u8, u8, usize)>| -> usize {
        g.map_or(0, |g| (g.0..=g.1).filter_map(|p| counts.get(p as usize)).sum())
    };
    let total: usize = groups.iter().map(|g| g.2).sum();
    let mut searched = 0usize;
    for pair in groups.chunks(2) {
        let (ga, gb) = (pair.first(), pair.get(1));
        searched += pair.iter().map(|g| g.2).sum::<usize>();
        let (a1, b1) = (in_group(&counts1, ga), in_group(&counts1, gb));
        let mut a = vec![Entry::default(); a1 + in_group(&counts2, ga)];
        let mut b = vec![Entry::default(); b1 + in_group(&counts2, gb)];
        let range = |g: Option<&(u8, u8, usize)>| g.map(|g| g.0..=g.1);
        let (ra, rb) = (range(ga), range(gb));
        {
            let ((a_first, a_second), (b_first, b_second)) = (a.split_at_mut(a1), b.split_at_mut(b1));
            let (first, second) = on_two_threads(
                SEARCH,
                || keys.fill(&parts, 0, half, [(ra.clone(), a_first), (rb.clone(), b_first)]),
                || keys.fill(&parts, half, n - half, [(ra.clone(), a_second), (rb.clone(), b_second)]),
            )?;
            first?;
            second?;
        }
        on_two_threads(SEARCH, || scan(&mut a, ids, window_us), || scan(&mut b, ids, window_us))?;
        mark(&a);
        mark(&b);
        crate::util::work("searching for repeat contacts", searched as u64, total as u64);
    }
    Ok(flags)
}

/// The columns a customer key and an entry are made of.
struct Keys<'a> {
    direction: &'a Column,
    customer: &'a StringChunked,
    arrived: Int64Chunked,
    scope: Option<Column>,
}

impl<'a> Keys<'a> {
    fn of(rows: &'a DataFrame, scope: RepeatScope) -> PolarsResult<Keys<'a>> {
        Ok(Keys {
            direction: rows.column("direction")?,
            customer: rows.column("customer_id")?.str()?,
            arrived: rows.column("arrived_at")?.datetime()?.phys.clone(),
            scope: match scope {
                RepeatScope::AnyChannel => None,
                RepeatScope::SameChannel => Some(rows.column("channel")?.clone()),
                RepeatScope::SameQueue => Some(rows.column("queue")?.clone()),
            },
        })
    }

    /// The partition of every contact of rows `offset..offset + len` ([`NOT_SEARCHED`] unless
    /// it is inbound, with a customer and an arrival, inside `judged`), and how many contacts
    /// each partition has.
    fn partitions(
        &self,
        judged: Option<&BooleanChunked>,
        offset: usize,
        len: usize,
    ) -> PolarsResult<(Vec<u8>, [usize; PARTITIONS])> {
        let mut parts = Vec::with_capacity(len);
        let mut counts = [0usize; PARTITIONS];
        let mut buf = Vec::with_capacity(64);
        let dir = self.direction.slice(offset as i64, len);
        let cust = self.customer.slice(offset as i64, len);
        let arr = self.arrived.slice(offset as i64, len);
        let sc = self.scope.as_ref().map(|c| c.slice(offset as i64, len));
        let jd = judged.map(|c| c.slice(offset as i64, len));
        let measured: Box<dyn Iterator<Item = bool>> = match &jd {
            Some(j) => Box::new(j.iter().map(|v| v == Some(true))),
            None => Box::new(std::iter::repeat(true)),
        };
        let rows = text_values(&dir)?.zip(cust.iter()).zip(arr.iter()).zip(scope_values(sc.as_ref())?).zip(measured);
        for ((((d, c), a), scope), measured) in rows {
            match (measured, d, c, a) {
                (true, Some("inbound"), Some(c), Some(_)) => {
                    let p = partition(hash64(key(scope, c, &mut buf), SEED1));
                    parts.push(p as u8);
                    if let Some(n) = counts.get_mut(p) {
                        *n += 1;
                    }
                }
                _ => parts.push(NOT_SEARCHED),
            }
        }
        Ok((parts, counts))
    }

    /// Fills the entries of rows `offset..offset + len` into two groups: each row whose
    /// partition is in a group's range goes into that group's slice, in row order. The slices
    /// are exactly as long as the first pass counted; anything else is an internal error.
    fn fill(
        &self,
        parts: &[u8],
        offset: usize,
        len: usize,
        groups: [(Option<std::ops::RangeInclusive<u8>>, &mut [Entry]); 2],
    ) -> PolarsResult<()> {
        let [(ra, a), (rb, b)] = groups;
        let (mut ia, mut ib) = (0usize, 0usize);
        let mut buf = Vec::with_capacity(64);
        let cust = self.customer.slice(offset as i64, len);
        let arr = self.arrived.slice(offset as i64, len);
        let sc = self.scope.as_ref().map(|c| c.slice(offset as i64, len));
        let our_parts = parts.get(offset..offset + len).unwrap_or_default();
        // Searched contacts were marked by the first pass: only the key columns are read here.
        let rows = our_parts.iter().zip(cust.iter()).zip(arr.iter()).zip(scope_values(sc.as_ref())?);
        for (i, (((p, c), a_us), scope)) in rows.enumerate() {
            let (slot, at) = match (&ra, &rb) {
                (Some(r), _) if r.contains(p) => (a.get_mut(ia), &mut ia),
                (_, Some(r)) if r.contains(p) => (b.get_mut(ib), &mut ib),
                _ => continue,
            };
            let (Some(slot), Some(c), Some(arrived)) = (slot, c, a_us) else {
                polars_bail!(ComputeError: "internal error: the repeat-contact search miscounted its entries");
            };
            let (h1, h2) = key_hash(scope, c, &mut buf);
            *slot = Entry { h1, h2, arrived, row: (offset + i) as u32 };
            *at += 1;
        }
        if ia != a.len() || ib != b.len() {
            polars_bail!(ComputeError: "internal error: the repeat-contact search miscounted its entries");
        }
        Ok(())
    }
}

/// Each row's scope value ("" for every row when the scope is any channel).
fn scope_values(scope: Option<&Column>) -> PolarsResult<Box<dyn Iterator<Item = &str> + '_>> {
    Ok(match scope {
        Some(c) => Box::new(text_values(c)?.map(Option::unwrap_or_default)),
        None => Box::new(std::iter::repeat("")),
    })
}

/// A customer key's partition: the top bits of its first hash.
fn partition(h1: u64) -> usize {
    (h1 >> (64 - PARTITIONS.trailing_zeros())) as usize
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{self, IngestOptions, Profile};

    #[test]
    fn partitioned_rounds_give_the_same_flags_as_one_round() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("callsla-fcr-rounds-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let csv = dir.join("log.csv");
        let mut text = Vec::new();
        let opts = crate::generate::GenerateOptions {
            rows: 6_000,
            months: 1,
            seed: 11,
            start: (2026, 10),
            zone: chrono_tz::America::New_York,
            bad_rows_per_kind: 0,
            slow_months: 0,
            outbound_rows: 0,
        };
        crate::generate::generate(&opts, &mut text)?;
        // One customer three times at one instant (ordered by id), outbound and anonymous rows.
        for (id, dir_, cust) in [
            ("Z3", "inbound", "C-TIE"),
            ("Z1", "inbound", "C-TIE"),
            ("Z2", "inbound", "C-TIE"),
            ("Z4", "outbound", "C-TIE"),
            ("Z5", "inbound", ""),
        ] {
            text.extend_from_slice(
                format!("{id},voice,{dir_},billing,{cust},A1,2026-10-05T09:00:00-04:00,,,,,,,,\n").as_bytes(),
            );
        }
        std::fs::write(&csv, &text)?;
        let options = IngestOptions { hash_inputs: false, ..IngestOptions::default() };
        let rows = ingest::ingest(&Profile::canonical(), &[csv], &options)?.accepted;
        let every_third: BooleanChunked = (0..rows.height()).map(|i| Some(i % 3 != 0)).collect();
        let week = 7 * 86_400_000_000;
        for scope in [RepeatScope::AnyChannel, RepeatScope::SameChannel, RepeatScope::SameQueue] {
            for judged in [None, Some(&every_third)] {
                let one = repeat_flags_in_groups(&rows, judged, scope, week, usize::MAX)?;
                let (yes, no) = (
                    one.iter().filter(|f| **f == Some(true)).count(),
                    one.iter().filter(|f| **f == Some(false)).count(),
                );
                assert!(yes > 100 && no > 100, "{scope:?}: {yes} repeats, {no} not");
                for group in [1, 5, 700] {
                    let parts = repeat_flags_in_groups(&rows, judged, scope, week, group)?;
                    assert_eq!(parts, one, "{scope:?}, judged {}, groups of {group}", judged.is_some());
                }
            }
        }
        // The tie: Z1 and Z2 have a repeat (the next by id), Z3 is last; Z4 and Z5 not searched.
        let flags = repeat_flags_in_groups(&rows, None, RepeatScope::AnyChannel, week, 1)?;
        let n = rows.height();
        assert_eq!(flags[n - 5..], [Some(false), Some(true), Some(true), None, None]);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
