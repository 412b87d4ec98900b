//! How a change is framed in a journal segment, and how a segment's bytes read back. Pure: no IO.
//!
//! A record is `len: u32 LE`, `crc: u32 LE` (CRC-32 of the payload), then the payload of `len`
//! bytes: `seq: u64 LE`, `kind: u8` ([`KIND_COMMIT`] or [`KIND_OUTBOX`]) and the change's JSON
//! (`store::change`). Sequence numbers increase by one from record to record, across segments.
//!
//! Reading stops at the first record that is cut short or fails its CRC: what follows it was
//! never acknowledged (an acknowledgement waits for the sync of everything before it), so the
//! segment is valid up to there and the rest is a torn write to cut off. A record that passes
//! its CRC but does not decode, or breaks the sequence, is corruption: never cut off silently.

use crate::store::change::{Change, CommitRecord};
use crate::store::StoreError;

/// The bytes before a record's payload: its length and CRC.
pub(super) const HEADER: usize = 8;
/// The payload's bytes before the JSON body: the sequence number and the kind.
const PREFIX: usize = 9;
/// The largest payload accepted when reading: a length beyond it is a torn or foreign header.
pub(super) const MAX_PAYLOAD: usize = 64 << 20;

/// A commit ([`CommitRecord`]).
const KIND_COMMIT: u8 = 1;
/// An outbox change ([`OutboxChange`](crate::store::change::OutboxChange)).
const KIND_OUTBOX: u8 = 2;

/// Appends the record of `change` numbered `seq` to `out`.
pub(super) fn encode(seq: u64, change: &Change, out: &mut Vec<u8>) -> Result<(), StoreError> {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER]);
    out.extend_from_slice(&seq.to_le_bytes());
    let written = match change {
        Change::Commit(commit) => {
            out.push(KIND_COMMIT);
            serde_json::to_writer(&mut *out, &CommitRecord::of(commit)?)
        }
        Change::Outbox(update) => {
            out.push(KIND_OUTBOX);
            serde_json::to_writer(&mut *out, update)
        }
    };
    if let Err(e) = written {
        out.truncate(start);
        return Err(StoreError::Unavailable(format!("cannot encode a journal record: {e}")));
    }
    let payload = &out[start + HEADER..];
    let Ok(len) = u32::try_from(payload.len()) else {
        out.truncate(start);
        return Err(StoreError::Unavailable("a journal record is larger than 4 GiB".into()));
    };
    let crc = crc32fast::hash(payload);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + HEADER].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// What a segment's bytes hold.
#[derive(Debug)]
pub(super) struct Scanned {
    /// Every whole record, in order, with its sequence number.
    pub(super) records: Vec<(u64, Change)>,
    /// How many bytes the whole records take: the segment's valid length.
    pub(super) valid: usize,
}

/// Reads the records of a segment's `bytes`, expecting the first to be numbered `first` when
/// given (the record after the previous segment's last).
pub(super) fn scan(bytes: &[u8], first: Option<u64>) -> Result<Scanned, StoreError> {
    let mut records = Vec::new();
    let mut at = 0;
    let mut expected = first;
    while let Some((seq, kind, body, next)) = frame(bytes, at) {
        if let Some(expected) = expected {
            if seq != expected {
                return Err(StoreError::Corrupt(format!(
                    "journal record at byte {at} is numbered {seq}, expected {expected}"
                )));
            }
        }
        let body = std::str::from_utf8(body)
            .map_err(|_| StoreError::Corrupt(format!("journal record {seq} is not UTF-8")))?;
        let change = match kind {
            KIND_COMMIT => Change::decode_commit(body),
            KIND_OUTBOX => Change::decode_outbox(body),
            other => Err(StoreError::Corrupt(format!("unknown kind {other}"))),
        }
        .map_err(|e| StoreError::Corrupt(format!("journal record {seq}: {e}")))?;
        records.push((seq, change));
        expected = Some(seq + 1);
        at = next;
    }
    Ok(Scanned { records, valid: at })
}

/// The record starting at byte `at`: its sequence number, kind, body and where the next
/// starts; `None` when no whole record with a matching CRC starts there.
fn frame(bytes: &[u8], at: usize) -> Option<(u64, u8, &[u8], usize)> {
    let header = bytes.get(at..at + HEADER)?;
    let len = u32::from_le_bytes(header[..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(header[4..].try_into().ok()?);
    if !(PREFIX..=MAX_PAYLOAD).contains(&len) {
        return None;
    }
    let payload = bytes.get(at + HEADER..at + HEADER + len)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    let seq = u64::from_le_bytes(payload[..8].try_into().ok()?);
    Some((seq, payload[8], &payload[PREFIX..], at + HEADER + len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::store::change::OutboxChange;

    fn outbox(id: &str) -> Change {
        Change::Outbox(OutboxChange::Delivered { id: id.into() })
    }

    fn encoded(changes: &[Change], first: u64) -> Vec<u8> {
        let mut bytes = Vec::new();
        for (seq, change) in (first..).zip(changes) {
            encode(seq, change, &mut bytes).unwrap();
        }
        bytes
    }

    #[test]
    fn records_read_back_in_order_with_their_numbers() {
        let changes = [
            outbox("a"),
            Change::Outbox(OutboxChange::Park {
                id: "b".into(),
                attempts: 3,
                at: Timestamp(9),
                reason: "x".into(),
            }),
        ];
        let bytes = encoded(&changes, 7);
        let scanned = scan(&bytes, Some(7)).unwrap();
        assert_eq!(scanned.valid, bytes.len());
        let back: Vec<_> = scanned.records.into_iter().collect();
        assert_eq!(back, vec![(7, changes[0].clone()), (8, changes[1].clone())]);
    }

    #[test]
    fn every_cut_inside_the_last_record_keeps_the_records_before_it() {
        let bytes = encoded(&[outbox("a"), outbox("b"), outbox("c")], 1);
        let last = scan(&bytes, None).unwrap().records.len();
        assert_eq!(last, 3);
        let second_end = encoded(&[outbox("a"), outbox("b")], 1).len();
        for cut in second_end..bytes.len() {
            let scanned = scan(&bytes[..cut], Some(1)).unwrap();
            assert_eq!(scanned.records.len(), 2, "cut at {cut}");
            assert_eq!(scanned.valid, second_end, "cut at {cut}");
        }
    }

    #[test]
    fn a_flipped_bit_ends_the_valid_part_at_its_record() {
        let bytes = encoded(&[outbox("a"), outbox("b")], 1);
        let first_end = encoded(&[outbox("a")], 1).len();
        for at in first_end..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x10;
            let scanned = scan(&damaged, Some(1)).unwrap();
            assert_eq!((scanned.records.len(), scanned.valid), (1, first_end), "flip at {at}");
        }
    }

    #[test]
    fn a_whole_record_out_of_sequence_or_undecodable_is_corruption() {
        let bytes = encoded(&[outbox("a"), outbox("b")], 5);
        assert!(matches!(scan(&bytes, Some(4)), Err(StoreError::Corrupt(_))));
        let mut gap = encoded(&[outbox("a")], 1);
        gap.extend(encoded(&[outbox("b")], 3));
        assert!(matches!(scan(&gap, Some(1)), Err(StoreError::Corrupt(_))));

        // A valid frame around a body that is not a change.
        let mut payload = 1u64.to_le_bytes().to_vec();
        payload.push(KIND_OUTBOX);
        payload.extend_from_slice(b"{\"op\":\"nonsense\"}");
        let mut bad = (payload.len() as u32).to_le_bytes().to_vec();
        bad.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bad.extend_from_slice(&payload);
        assert!(matches!(scan(&bad, Some(1)), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn an_empty_segment_or_zeroed_tail_holds_nothing() {
        assert_eq!(scan(&[], Some(1)).unwrap().valid, 0);
        let mut bytes = encoded(&[outbox("a")], 1);
        let end = bytes.len();
        bytes.extend_from_slice(&[0; 64]);
        let scanned = scan(&bytes, Some(1)).unwrap();
        assert_eq!((scanned.records.len(), scanned.valid), (1, end));
    }
}
