//! The latest message changes of a room, as its hub delivered them, kept so that a connection
//! that fell behind (its queue was full) catches up from memory: the frames are shared with
//! the live deliveries (a refcount each), so a burst that leaves a hundred connections behind
//! costs no store query and no serialization per connection. Older changes come from the store.
//!
//! Bounded per room by count and by bytes; kept only while the room has local subscribers
//! (it lives in the room's hub topic).

use bytestring::ByteString;
use std::collections::VecDeque;

/// Changes kept per room.
const MAX_FRAMES: usize = 16_384;
/// Bytes of frames kept per room.
const MAX_BYTES: usize = 4 << 20;

#[derive(Default)]
pub struct Recent {
    /// Consecutive seqs, oldest first.
    frames: VecDeque<(i64, ByteString)>,
    bytes: usize,
}

impl Recent {
    /// Records the change delivered at `seq`; a seq that does not follow the last one starts
    /// the window anew (a skipped gap).
    pub fn push(&mut self, seq: i64, frame: &ByteString) {
        if self.frames.back().is_some_and(|(last, _)| *last + 1 != seq) {
            self.clear();
        }
        self.bytes += frame.len();
        self.frames.push_back((seq, frame.clone()));
        while self.frames.len() > MAX_FRAMES || self.bytes > MAX_BYTES {
            match self.frames.pop_front() {
                Some((_, old)) => self.bytes -= old.len(),
                None => break,
            }
        }
    }

    pub fn clear(&mut self) {
        self.frames.clear();
        self.bytes = 0;
    }

    /// The frames with `after < seq <= up_to`, at most `limit` of them, if the window holds
    /// `after + 1` (else the caller reads the store).
    pub fn after(&self, after: i64, up_to: i64, limit: usize) -> Option<Vec<(i64, ByteString)>> {
        let first = self.frames.front()?.0;
        if after + 1 < first || after >= up_to {
            return None;
        }
        let start = usize::try_from(after + 1 - first).ok()?;
        let frames: Vec<_> =
            self.frames.iter().skip(start).take_while(|(seq, _)| *seq <= up_to).take(limit).cloned().collect();
        (!frames.is_empty()).then_some(frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: i64) -> ByteString {
        ByteString::from(format!("frame {seq}"))
    }

    #[test]
    fn serves_what_it_holds_and_only_that() {
        let mut recent = Recent::default();
        for seq in 10..=20 {
            recent.push(seq, &frame(seq));
        }
        let got = recent.after(12, 15, 100).expect("held");
        assert_eq!(got.iter().map(|(s, _)| *s).collect::<Vec<_>>(), vec![13, 14, 15]);
        assert_eq!(recent.after(9, 12, 100).map(|f| f.len()), Some(3), "from its first seq");
        assert!(recent.after(8, 12, 100).is_none(), "seq 9 is not held: the store has it");
        assert_eq!(recent.after(12, 20, 2).map(|f| f.len()), Some(2), "a page at a time");
        assert!(recent.after(20, 25, 100).is_none(), "nothing after the last");
        recent.push(30, &frame(30));
        assert!(recent.after(15, 20, 100).is_none(), "a gap starts anew");
        assert_eq!(recent.after(29, 30, 100).map(|f| f.len()), Some(1));
    }

    #[test]
    fn is_bounded() {
        let mut recent = Recent::default();
        for seq in 1..=(MAX_FRAMES as i64 + 10) {
            recent.push(seq, &frame(seq));
        }
        assert_eq!(recent.frames.len(), MAX_FRAMES);
        assert!(recent.after(5, 20, 10).is_none(), "the oldest went");
        let big = ByteString::from("x".repeat(MAX_BYTES / 2 + 1));
        recent.push(MAX_FRAMES as i64 + 11, &big);
        recent.push(MAX_FRAMES as i64 + 12, &big);
        assert!(recent.bytes <= MAX_BYTES);
        assert_eq!(recent.frames.len(), 1);
    }
}
