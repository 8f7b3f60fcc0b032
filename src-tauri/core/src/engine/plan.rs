//! How a file is cut into requests: one PUT up to the threshold, otherwise parts of a size that
//! keeps the upload within S3's 10,000 parts. Pure arithmetic, unit-tested at the edges.

use crate::error::{Error, ErrorKind, Result};
pub use crate::limits::{
    DEFAULT_PART_SIZE, MAX_OBJECT_SIZE, MAX_PART_SIZE, MAX_PARTS, MIB, MIN_PART_SIZE,
};

/// The tunables of planning, with Hoist's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanConfig {
    /// Files up to this size go in one PUT.
    pub multipart_threshold: u64,
    /// The preferred part size; grown when a file would need more than 10,000 parts.
    pub part_size: u64,
}

impl Default for PlanConfig {
    fn default() -> Self {
        PlanConfig {
            multipart_threshold: DEFAULT_PART_SIZE,
            part_size: DEFAULT_PART_SIZE,
        }
    }
}

/// How one file will be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Single,
    Multipart { part_size: u64 },
}

pub fn plan(size: u64, config: PlanConfig) -> Result<Plan> {
    if size > MAX_OBJECT_SIZE {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("the file is {size} bytes; S3 objects can be at most 5 TiB"),
        ));
    }
    if size <= config.multipart_threshold {
        return Ok(Plan::Single);
    }
    let wanted = config.part_size.clamp(MIN_PART_SIZE, MAX_PART_SIZE);
    let needed = size.div_ceil(MAX_PARTS);
    // Grow in whole MiB so part sizes stay round numbers.
    let part_size = wanted.max(needed.div_ceil(MIB) * MIB).min(MAX_PART_SIZE);
    Ok(Plan::Multipart { part_size })
}

/// The number of parts of a file of `size` bytes cut at `part_size`.
pub fn part_count(size: u64, part_size: u64) -> u32 {
    size.div_ceil(part_size).max(1) as u32
}

/// The byte range `(offset, length)` of part `number` (from 1).
pub fn part_range(size: u64, part_size: u64, number: u32) -> (u64, u64) {
    let offset = (number as u64 - 1) * part_size;
    (offset, part_size.min(size - offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: PlanConfig = PlanConfig {
        multipart_threshold: 8 * MIB,
        part_size: 8 * MIB,
    };

    #[test]
    fn threshold_edges() {
        assert_eq!(plan(0, CFG).unwrap(), Plan::Single);
        assert_eq!(plan(1, CFG).unwrap(), Plan::Single);
        assert_eq!(plan(8 * MIB - 1, CFG).unwrap(), Plan::Single);
        assert_eq!(plan(8 * MIB, CFG).unwrap(), Plan::Single);
        assert_eq!(
            plan(8 * MIB + 1, CFG).unwrap(),
            Plan::Multipart { part_size: 8 * MIB }
        );
    }

    #[test]
    fn last_part_of_one_byte_and_exact_multiples() {
        let size = 16 * MIB + 1;
        assert_eq!(part_count(size, 8 * MIB), 3);
        assert_eq!(part_range(size, 8 * MIB, 3), (16 * MIB, 1));
        assert_eq!(part_count(16 * MIB, 8 * MIB), 2);
        assert_eq!(part_range(16 * MIB, 8 * MIB, 2), (8 * MIB, 8 * MIB));
    }

    #[test]
    fn part_size_grows_to_stay_within_ten_thousand_parts() {
        let size = 100 * 1024 * MIB; // 100 GiB needs > 10,000 parts of 8 MiB
        let Plan::Multipart { part_size } = plan(size, CFG).unwrap() else {
            panic!()
        };
        assert!(part_size > 8 * MIB);
        assert_eq!(part_size % MIB, 0);
        assert!(part_count(size, part_size) as u64 <= MAX_PARTS);
        let max = plan(MAX_OBJECT_SIZE, CFG).unwrap();
        let Plan::Multipart { part_size } = max else {
            panic!()
        };
        assert!(part_count(MAX_OBJECT_SIZE, part_size) as u64 <= MAX_PARTS);
        assert!(part_size <= MAX_PART_SIZE);
    }

    #[test]
    fn part_size_never_goes_below_the_s3_minimum() {
        let small = PlanConfig {
            multipart_threshold: MIB,
            part_size: MIB,
        };
        assert_eq!(
            plan(10 * MIB, small).unwrap(),
            Plan::Multipart {
                part_size: MIN_PART_SIZE
            }
        );
    }

    #[test]
    fn objects_over_five_tib_are_refused() {
        let err = plan(MAX_OBJECT_SIZE + 1, CFG).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
