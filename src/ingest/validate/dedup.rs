//! The duplicate-id check: every accepted id remembered by hash in buckets as batches arrive,
//! checked when every input is read (first occurrence kept; exact, collisions confirmed by
//! comparing the ids).

use hashbrown::HashTable;
use polars::prelude::*;

use super::reject::{record_reject, Fail};
use super::{FileOut, RejectKind};
use crate::schema::Field;

/// Interaction ids seen so far, across all inputs, for the duplicate-id check.
///
/// The check is deferred: while batches arrive, each accepted row's id hash is appended to one
/// of a fixed set of buckets (by the hash's top bits) as an 8-byte entry — the hash's low 32
/// bits (the tag) and the row's position among the rows accepted so far. When every input is
/// read, [`SeenIds::duplicates`] walks each bucket in position order through a small
/// open-addressing table that stays in the core's cache, so the first occurrence of an id is
/// the one kept. A tag match is confirmed by comparing the ids themselves, so the check is
/// exact; different ids with the same tag take different slots.
///
/// (An earlier design probed one table of all ids as each row arrived: each probe a cache and
/// TLB miss into a 128 MB table at ten million ids, 15 % of a 10M-row run's CPU. Appending
/// to a bucket touches one cache line that is already there; see benches/README.md.)
#[derive(Default)]
pub(crate) struct SeenIds {
    /// The buckets' entries, `tag << 32 | position`, in position order: bucket `b` fills
    /// `slab[b * room..]` up to `lens[b]`, then continues in `overflow[b]`. One allocation, so
    /// its memory goes back to the system when the check is done (thousands of small vectors
    /// would stay in the allocator's heap).
    slab: Vec<u64>,
    room: usize,
    lens: Vec<usize>,
    overflow: Vec<Vec<u64>>,
    /// log2 of the bucket count: a hash's top `bits` bits pick its bucket.
    bits: u32,
    /// The batches positions point into, in order of their first position.
    batches: Vec<SeenBatch>,
    next: u64,
}

struct SeenBatch {
    start: u64,
    ids: StringChunked,
    lines: UInt64Chunked,
    file: u32,
}

/// An accepted row whose id was seen before: its position, and the first occurrence's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Duplicate {
    pos: u64,
    first: u64,
}

/// Ids a bucket is sized for: its probe table (two slots an entry, 8 bytes a slot) then takes
/// about 128 KiB, well inside a core's L2 cache.
const BUCKET_IDS: usize = 8192;

impl SeenIds {
    /// Sizes the buckets for about `n` ids. Called once, before any id is recorded (later
    /// calls change nothing: entries already in buckets cannot move). More ids than `n` are
    /// fine: the buckets get longer.
    pub(crate) fn reserve(&mut self, n: usize) {
        if !self.lens.is_empty() {
            return;
        }
        let count = (n / BUCKET_IDS).clamp(1, 4096).next_power_of_two();
        self.bits = count.trailing_zeros();
        self.room = n / count + n / count / 8;
        self.slab = vec![0; count * self.room];
        self.lens = vec![0; count];
        self.overflow = vec![Vec::new(); count];
    }

    fn bucket(&self, b: usize) -> impl Iterator<Item = &u64> {
        let from = b * self.room;
        let filled = self.lens.get(b).map_or(&[][..], |n| self.slab.get(from..from + n).unwrap_or_default());
        filled.iter().chain(self.overflow.get(b).into_iter().flatten())
    }

    fn bucket_len(&self, b: usize) -> usize {
        self.lens.get(b).copied().unwrap_or(0) + self.overflow.get(b).map_or(0, Vec::len)
    }

    /// Records the accepted rows of one batch (ids and source lines, in input order, with
    /// each id's hash) at the next positions.
    pub(super) fn record(
        &mut self,
        hashes: &[u64],
        ids: StringChunked,
        lines: UInt64Chunked,
        file: u32,
    ) -> PolarsResult<()> {
        let start = self.next;
        let end = start + hashes.len() as u64;
        if end >= u64::from(u32::MAX) {
            polars_bail!(ComputeError: "more than 4 billion contacts in one run; split the input");
        }
        if self.lens.is_empty() {
            self.reserve(0);
        }
        let shift = 64 - self.bits;
        for (k, h) in hashes.iter().enumerate() {
            // `bits` is 0 for one bucket: a shift by 64 is not defined, so test it.
            let b = if self.bits == 0 { 0 } else { (h >> shift) as usize };
            let entry = (h & 0xffff_ffff) << 32 | (start + k as u64);
            let Some(len) = self.lens.get_mut(b) else { continue };
            match self.slab.get_mut(b * self.room + *len) {
                Some(slot) if *len < self.room => {
                    *slot = entry;
                    *len += 1;
                }
                _ => {
                    if let Some(more) = self.overflow.get_mut(b) {
                        more.push(entry);
                    }
                }
            }
        }
        self.batches.push(SeenBatch { start, ids, lines, file });
        self.next = end;
        Ok(())
    }

    /// The recorded batch holding a position, and the row's index in it.
    fn locate(&self, pos: u64) -> Option<(usize, usize)> {
        let b = self.batches.partition_point(|b| b.start <= pos).checked_sub(1)?;
        Some((b, usize::try_from(pos - self.batches.get(b)?.start).ok()?))
    }

    /// The id, file and line of row `k` of recorded batch `b`.
    fn row(&self, (b, k): (usize, usize)) -> Option<(&str, u32, u64)> {
        let batch = self.batches.get(b)?;
        Some((batch.ids.get(k)?, batch.file, batch.lines.get(k)?))
    }

    /// The id, file and line at a position.
    fn at(&self, pos: u64) -> Option<(&str, u32, u64)> {
        self.row(self.locate(pos)?)
    }

    /// Every recorded row whose id an earlier position already has, in position order, with
    /// the position of that first occurrence. The buckets are independent: two threads share
    /// them.
    fn duplicates(&self) -> PolarsResult<Vec<Duplicate>> {
        let half = |parity: usize| -> PolarsResult<Vec<Duplicate>> {
            let mut found = Vec::new();
            let mut table = HashTable::new();
            for b in (parity..self.lens.len()).step_by(2) {
                self.bucket_duplicates(b, &mut table, &mut found)?;
            }
            Ok(found)
        };
        let (a, b) = crate::util::on_two_threads("the duplicate-id check", || half(0), || half(1))?;
        let mut all = a?;
        all.extend(b?);
        all.sort_unstable_by_key(|d| d.pos);
        Ok(all)
    }

    /// One bucket through a hash table of its entries by tag (hashbrown's `HashTable`: measured
    /// as fast as the hand-written open-addressing table it replaced; benches/README.md). A tag
    /// match is confirmed by comparing the ids.
    fn bucket_duplicates(&self, b: usize, table: &mut HashTable<u64>, found: &mut Vec<Duplicate>) -> PolarsResult<()> {
        let spread = |tag: u64| tag.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let lost = std::cell::Cell::new(None);
        table.clear();
        table.reserve(self.bucket_len(b), |&e| spread(e >> 32));
        for &entry in self.bucket(b) {
            let (tag, pos) = (entry >> 32, entry & 0xffff_ffff);
            let same_id = |&e: &u64| {
                e >> 32 == tag
                    && match (self.at(e & 0xffff_ffff), self.at(pos)) {
                        (Some((a, ..)), Some((b, ..))) => a == b,
                        _ => {
                            lost.set(Some((e & 0xffff_ffff, pos)));
                            false
                        }
                    }
            };
            match table.find(spread(tag), same_id) {
                Some(&first) => found.push(Duplicate { pos, first: first & 0xffff_ffff }),
                None => {
                    table.insert_unique(spread(tag), entry, |&e| spread(e >> 32));
                }
            }
            if let Some((first, pos)) = lost.get() {
                polars_bail!(ComputeError: "internal error: no id recorded at position {first} or {pos}");
            }
        }
        Ok(())
    }

    /// Takes the duplicates out of the files' accepted rows and reports each as a rejection
    /// (`duplicate_id`) on its file, with the line of the occurrence kept. `files` are the
    /// files' outputs in input order, whose accepted batches are the recorded batches, in order.
    pub(crate) fn reject_duplicates(&self, files: &mut [FileOut], id_column: &str) -> PolarsResult<()> {
        let dups = self.duplicates()?;
        if dups.is_empty() {
            return Ok(());
        }
        // Recorded batch → (file, index among that file's accepted batches).
        let mut place = Vec::with_capacity(self.batches.len());
        let mut per_file = vec![0usize; files.len()];
        for b in &self.batches {
            let f = b.file as usize;
            let Some(n) = per_file.get_mut(f) else {
                polars_bail!(ComputeError: "internal error: a batch of input file #{} of {}", f + 1, files.len());
            };
            place.push((f, *n));
            *n += 1;
        }
        if per_file.iter().zip(files.iter()).any(|(n, out)| *n != out.accepted.len()) {
            polars_bail!(ComputeError: "internal error: recorded batches do not match the accepted ones");
        }
        let mut taken_out: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for d in &dups {
            let place_of_dup = self.locate(d.pos);
            let (Some((b, k)), Some((id, file, line)), Some((_, first_file, first_line))) =
                (place_of_dup, place_of_dup.and_then(|p| self.row(p)), self.at(d.first))
            else {
                polars_bail!(ComputeError: "internal error: no id recorded at position {} or {}", d.pos, d.first);
            };
            taken_out.entry(b).or_default().push(k);
            let where_ = if first_file == file {
                format!("line {first_line}")
            } else {
                format!("line {first_line} of input file #{}", first_file + 1)
            };
            let Some(out) = files.get_mut(file as usize) else { continue };
            out.reconciliation.accepted -= 1;
            let fail = Fail {
                column: id_column.to_string(),
                field: Field::InteractionId,
                value: id.to_string(),
                kind: RejectKind::DuplicateId,
                message: format!("interaction_id \"{id}\" already seen at {where_}; the first occurrence is kept"),
                source: None,
            };
            record_reject(&mut out.reconciliation, &mut out.rejects, line, fail);
        }
        for (b, rows) in taken_out {
            let (f, k) = place[b];
            let Some(part) = files.get_mut(f).and_then(|out| out.accepted.get_mut(k)) else { continue };
            let mut keep = vec![true; part.height()];
            for r in rows {
                if let Some(x) = keep.get_mut(r) {
                    *x = false;
                }
            }
            *part = part.filter(&BooleanChunked::from_slice("keep".into(), &keep))?;
        }
        for out in files.iter_mut() {
            // Validation failures and duplicates were found in two passes: report them by line.
            out.rejects.sort_by_key(|r| r.line);
        }
        Ok(())
    }
}

pub(super) const ID_SEED: u64 = 0x243f_6a88_85a3_08d3;

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn batch(ids: &[&str], first_line: u64) -> (StringChunked, UInt64Chunked) {
        let lines: Vec<u64> = (0..ids.len() as u64).map(|i| first_line + i).collect();
        (StringChunked::from_slice("id".into(), ids), UInt64Chunked::from_slice("line".into(), &lines))
    }

    #[test]
    pub(super) fn a_hash_collision_between_different_ids_is_not_a_duplicate() -> PolarsResult<()> {
        let mut seen = SeenIds::default();
        // Every id given the same hash: only the ids themselves decide.
        let h = 7 << 32 | 7;
        let (ids, lines) = batch(&["A", "B", "A", "B", "A", "C"], 2);
        seen.record(&[h; 6], ids, lines, 0)?;
        let (ids, lines) = batch(&["C", "D"], 2);
        seen.record(&[h, 8 << 32], ids, lines, 1)?;
        let found: Vec<(u64, u64)> = seen.duplicates()?.iter().map(|d| (d.pos, d.first)).collect();
        assert_eq!(found, [(2, 0), (3, 1), (4, 0), (6, 5)]);
        Ok(())
    }

    #[test]
    pub(super) fn every_duplicate_is_found_across_many_buckets_and_batches() -> PolarsResult<()> {
        let n = 40_000u64;
        let ids: Vec<String> = (0..n).map(|i| format!("I{i}")).collect();
        // Few distinct tags within a bucket (many tag matches to confirm), ids spread over
        // buckets by the top bits; then every 37th id again, in a later batch.
        let hash = |i: u64| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) & !0xffff_ffff | (i % 7);
        let again: Vec<u64> = (0..n).step_by(37).collect();
        // Buckets sized for more ids than come, and for half of them (entries overflow).
        for (reserved, buckets, overflows) in [(100_000, 16, false), (20_000, 2, true)] {
            let mut seen = SeenIds::default();
            seen.reserve(reserved);
            assert_eq!(seen.lens.len(), buckets);
            for (k, chunk) in ids.chunks(7_000).enumerate() {
                let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
                let hashes: Vec<u64> = (0..chunk.len() as u64).map(|i| hash(k as u64 * 7_000 + i)).collect();
                let (a, l) = batch(&refs, 2 + k as u64 * 7_000);
                seen.record(&hashes, a, l, 0)?;
            }
            let refs: Vec<&str> = again.iter().map(|i| ids[*i as usize].as_str()).collect();
            let (a, l) = batch(&refs, n + 2);
            seen.record(&again.iter().map(|i| hash(*i)).collect::<Vec<_>>(), a, l, 0)?;
            let found: Vec<(u64, u64)> = seen.duplicates()?.iter().map(|d| (d.pos, d.first)).collect();
            let expected: Vec<(u64, u64)> = again.iter().enumerate().map(|(k, i)| (n + k as u64, *i)).collect();
            assert_eq!(found, expected, "{buckets} buckets");
            assert!((0..buckets).all(|b| seen.bucket_len(b) > 0), "ids spread over every bucket");
            assert_eq!(seen.overflow.iter().any(|o| !o.is_empty()), overflows);
        }
        Ok(())
    }
}
