//! S3's size limits and Hoist's default part size: facts both the engine (planning parts) and
//! the settings (validating a chosen part size) need, so they live below both.

pub const MIB: u64 = 1024 * 1024;
/// S3's smallest part (all but the last).
pub const MIN_PART_SIZE: u64 = 5 * MIB;
/// S3's largest part.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * MIB;
/// S3's most parts in one upload.
pub const MAX_PARTS: u64 = 10_000;
/// S3's largest object.
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * MIB;
/// The part size (and single-PUT threshold) unless the user chose another.
pub const DEFAULT_PART_SIZE: u64 = 8 * MIB;
