//! A histogram of one second: lock-free log buckets that metrics are recorded into and
//! the sampler empties once a second.
//!
//! Four buckets per power of two (values 0–3 exact), so a percentile read back is within
//! 25 % of the true value — plenty for a chart, at 2 KiB and one atomic add per record.

use std::sync::atomic::{AtomicU64, Ordering};

const SUB_BITS: u32 = 2;
const SUB: usize = 1 << SUB_BITS;
const BUCKETS: usize = SUB * 64;

pub struct Window {
    buckets: Box<[AtomicU64]>,
}

/// What one second of records held.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub count: u64,
    /// Sum of the values (bucketed: within 25 %).
    pub sum: u64,
    pub p99: u64,
    pub max: u64,
}

impl Default for Window {
    fn default() -> Window {
        Window {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl Window {
    pub fn record(&self, value: u64) {
        self.buckets[index(value)].fetch_add(1, Ordering::Relaxed);
    }

    /// Empties the window and summarises what it held.
    pub fn take(&self) -> Summary {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.swap(0, Ordering::Relaxed))
            .collect();
        let count: u64 = counts.iter().sum();
        if count == 0 {
            return Summary::default();
        }
        let rank = count - count / 100; // the 99th percentile's rank, 1-based
        let (mut seen, mut p99, mut sum, mut max) = (0, 0, 0u64, 0);
        for (i, &n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
            let value = upper(i);
            sum = sum.saturating_add(value.saturating_mul(n));
            if seen < rank && seen + n >= rank {
                p99 = value;
            }
            seen += n;
            max = value;
        }
        Summary {
            count,
            sum,
            p99,
            max,
        }
    }
}

/// The bucket of `value`.
fn index(value: u64) -> usize {
    if value < SUB as u64 {
        return value as usize;
    }
    let exp = 63 - value.leading_zeros(); // ≥ SUB_BITS
    let mantissa = (value >> (exp - SUB_BITS)) as usize & (SUB - 1);
    (exp - SUB_BITS + 1) as usize * SUB + mantissa
}

/// The largest value bucket `i` holds.
fn upper(i: usize) -> u64 {
    if i < SUB {
        return i as u64;
    }
    let exp = (i / SUB) as u32 + SUB_BITS - 1;
    let mantissa = (i % SUB) as u64;
    let low = (SUB as u64 + mantissa) << (exp - SUB_BITS);
    low + ((1u64 << (exp - SUB_BITS)) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_hold_their_values() {
        for v in (0..5000u64).chain([u64::MAX / 3, u64::MAX]) {
            let i = index(v);
            assert!(v <= upper(i), "{v} above bucket {i}");
            assert!(i == 0 || v > upper(i - 1), "{v} belongs below bucket {i}");
            assert!(upper(i) - v <= v / 4 + 1, "{v}: bucket {i} too wide");
        }
    }

    #[test]
    fn a_second_summarises_and_empties() {
        let w = Window::default();
        for v in 1..=1000 {
            w.record(v);
        }
        let s = w.take();
        assert_eq!(s.count, 1000);
        assert!((990..=1250).contains(&s.p99), "{s:?}");
        assert!((1000..=1250).contains(&s.max), "{s:?}");
        assert_eq!(w.take(), Summary::default());
    }
}
