//! An instance's creation profile as its row stores it: the seven mode strengths in
//! canonical order, then energy, each a little-endian `f64` (64 bytes, bit-exact, so
//! the initial state rebuilt from it is the one the instance was created with).
//!
//! Creation writes this instead of a first snapshot (about 460 bytes of JSON state and
//! its key): until an instance's first snapshot, its state is
//! [`SnapshotRecord::initial`](super::SnapshotRecord::initial) of this profile.

use crate::engine::{MODE_COUNT, Profile, Unit};

use super::StoreError;

const LEN: usize = (MODE_COUNT + 1) * 8;

pub(super) fn encode(profile: &Profile) -> Vec<u8> {
    profile
        .modes
        .iter()
        .chain(std::iter::once(&profile.energy))
        .flat_map(|unit| unit.get().to_le_bytes())
        .collect()
}

pub(super) fn decode(bytes: &[u8]) -> Result<Profile, StoreError> {
    let corrupt = |why: String| StoreError::Corrupt(format!("a stored profile: {why}"));
    if bytes.len() != LEN {
        return Err(corrupt(format!("{} bytes, not {LEN}", bytes.len())));
    }
    let units = bytes
        .chunks_exact(8)
        .map(|chunk| {
            let word = <[u8; 8]>::try_from(chunk).map_err(|e| corrupt(e.to_string()))?;
            Unit::new(f64::from_le_bytes(word)).map_err(|e| corrupt(e.to_string()))
        })
        .collect::<Result<Vec<Unit>, StoreError>>()?;
    match units.split_last() {
        Some((&energy, modes)) => Ok(Profile {
            modes: modes
                .try_into()
                .map_err(|_| corrupt("too few modes".into()))?,
            energy,
        }),
        None => Err(corrupt("empty".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_comes_back_bit_for_bit() {
        let profile = Profile {
            modes: [0.1, 2.0 / 3.0, 0.0, 1.0, 0.5, 1e-9, 0.999_999_999_999]
                .map(|v| Unit::new(v).expect("in range")),
            energy: Unit::new(0.123_456_789_012_345_67).expect("in range"),
        };
        let bytes = encode(&profile);
        assert_eq!(bytes.len(), 64);
        assert_eq!(decode(&bytes).expect("decodes"), profile);
    }

    #[test]
    fn a_profile_of_the_wrong_size_or_out_of_range_is_corrupt() {
        let mut bytes = encode(&Profile::DEFAULT);
        assert!(decode(&bytes[..63]).is_err());
        bytes[56..].copy_from_slice(&1.5f64.to_le_bytes());
        assert!(decode(&bytes).is_err());
    }
}
