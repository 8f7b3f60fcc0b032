//! Digests of downloaded bytes, computed as they arrive ([`StreamDigest`]), and the additional
//! checksums S3 keeps beside an object (`x-amz-checksum-*`, [`Checksum`]), which the engine
//! checks per part or for the whole object. CRCs of consecutive ranges combine into the CRC of
//! the whole (`crc_fast::checksum_combine`), so ranges fetched in parallel still check a
//! whole-object checksum without reading the file again.

use crate::error::{Error, ErrorKind};
use md5::{Digest as _, Md5};

/// An additional checksum algorithm of S3 (`x-amz-checksum-<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    Crc32c,
    Crc32,
    Crc64Nvme,
}

impl ChecksumAlgorithm {
    pub const ALL: [ChecksumAlgorithm; 3] = [
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc64Nvme,
    ];

    /// The name S3 gives it in header names, also the word Hoist shows for it.
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32c => "crc32c",
            ChecksumAlgorithm::Crc32 => "crc32",
            ChecksumAlgorithm::Crc64Nvme => "crc64nvme",
        }
    }

    pub fn from_name(name: &str) -> Option<ChecksumAlgorithm> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    fn crc(self) -> crc_fast::CrcAlgorithm {
        match self {
            ChecksumAlgorithm::Crc32c => crc_fast::CrcAlgorithm::Crc32Iscsi,
            ChecksumAlgorithm::Crc32 => crc_fast::CrcAlgorithm::Crc32IsoHdlc,
            ChecksumAlgorithm::Crc64Nvme => crc_fast::CrcAlgorithm::Crc64Nvme,
        }
    }

    fn width_bytes(self) -> usize {
        match self {
            ChecksumAlgorithm::Crc64Nvme => 8,
            _ => 4,
        }
    }
}

/// A checksum of some bytes: S3's value (base64 of the big-endian CRC) parsed, or computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checksum {
    pub algorithm: ChecksumAlgorithm,
    pub value: u64,
}

impl Checksum {
    /// Parses a header value; `None` for a composite checksum (`...-N`, a checksum of the
    /// parts' checksums, which says nothing checkable about the bytes as a whole) or junk.
    pub fn parse(algorithm: ChecksumAlgorithm, header: &str) -> Option<Checksum> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(header.trim())
            .ok()?;
        if bytes.len() != algorithm.width_bytes() {
            return None;
        }
        let value = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        Some(Checksum { algorithm, value })
    }

    /// The value as S3 writes it.
    pub fn header_value(&self) -> String {
        use base64::Engine;
        let bytes = self.value.to_be_bytes();
        base64::engine::general_purpose::STANDARD.encode(&bytes[8 - self.algorithm.width_bytes()..])
    }

    /// `crc32c:<base64>`, how the store keeps it.
    pub fn to_text(&self) -> String {
        format!("{}:{}", self.algorithm.name(), self.header_value())
    }

    pub fn from_text(text: &str) -> Option<Checksum> {
        let (name, value) = text.split_once(':')?;
        Checksum::parse(ChecksumAlgorithm::from_name(name)?, value)
    }

    /// The checksum of `self`'s bytes followed by `next`'s bytes (`next_length` of them).
    pub fn then(self, next: Checksum, next_length: u64) -> Checksum {
        let value =
            crc_fast::checksum_combine(self.algorithm.crc(), self.value, next.value, next_length);
        Checksum {
            algorithm: self.algorithm,
            value,
        }
    }

    /// The checksum of no bytes.
    pub fn empty(algorithm: ChecksumAlgorithm) -> Checksum {
        Checksum {
            algorithm,
            value: crc_fast::checksum(algorithm.crc(), b""),
        }
    }
}

impl Checksum {
    /// The checksum of `bytes`.
    pub fn of(algorithm: ChecksumAlgorithm, bytes: &[u8]) -> Checksum {
        Checksum {
            algorithm,
            value: crc_fast::checksum(algorithm.crc(), bytes),
        }
    }

    /// The value's big-endian bytes, as S3 concatenates them for a composite checksum.
    fn be_bytes(&self) -> Vec<u8> {
        self.value.to_be_bytes()[8 - self.algorithm.width_bytes()..].to_vec()
    }
}

/// What S3 keeps for a whole object: a checksum of its bytes (`FULL_OBJECT`: a single PUT, or a
/// full-object multipart checksum), or a composite one (`<base64>-N`: the checksum of its `N`
/// parts' checksums in order, which checks the bytes only when they are fetched by those
/// parts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectChecksum {
    Full(Checksum),
    Composite { of_parts: Checksum, parts: u32 },
}

impl ObjectChecksum {
    /// Parses a header value of either kind; `None` for junk.
    pub fn parse(algorithm: ChecksumAlgorithm, header: &str) -> Option<ObjectChecksum> {
        match header.trim().rsplit_once('-') {
            Some((value, parts)) => Some(ObjectChecksum::Composite {
                of_parts: Checksum::parse(algorithm, value)?,
                parts: parts.parse().ok().filter(|n| *n > 0)?,
            }),
            None => Checksum::parse(algorithm, header).map(ObjectChecksum::Full),
        }
    }

    /// The composite checksum S3 gives an upload completed from parts with these checksums
    /// (in part order, all of one algorithm); `None` for no parts or mixed algorithms.
    pub fn of_parts(parts: &[Checksum]) -> Option<ObjectChecksum> {
        let algorithm = parts.first()?.algorithm;
        if parts.iter().any(|c| c.algorithm != algorithm) {
            return None;
        }
        let joined: Vec<u8> = parts.iter().flat_map(Checksum::be_bytes).collect();
        Some(ObjectChecksum::Composite {
            of_parts: Checksum::of(algorithm, &joined),
            parts: u32::try_from(parts.len()).ok()?,
        })
    }

    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self {
            ObjectChecksum::Full(c) | ObjectChecksum::Composite { of_parts: c, .. } => c.algorithm,
        }
    }

    /// The value as S3 writes it (`<base64>` or `<base64>-N`).
    pub fn header_value(&self) -> String {
        match self {
            ObjectChecksum::Full(c) => c.header_value(),
            ObjectChecksum::Composite { of_parts, parts } => {
                format!("{}-{parts}", of_parts.header_value())
            }
        }
    }

    /// `crc32c:<value>`, how the store keeps it.
    pub fn to_text(&self) -> String {
        format!("{}:{}", self.algorithm().name(), self.header_value())
    }

    pub fn from_text(text: &str) -> Option<ObjectChecksum> {
        let (name, value) = text.split_once(':')?;
        ObjectChecksum::parse(ChecksumAlgorithm::from_name(name)?, value)
    }
}

impl std::fmt::Display for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.algorithm.name(), self.header_value())
    }
}

/// Where a fetched span's bytes went, and their digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchReceipt {
    pub offset: u64,
    pub length: u64,
    pub md5: Option<[u8; 16]>,
    /// The CRC asked for in the request.
    pub crc: Option<Checksum>,
    /// The server's checksum of exactly these bytes, which matched them.
    pub checked: Option<Checksum>,
}

/// Digests bytes as they pass.
pub struct StreamDigest {
    md5: Option<Md5>,
    crc: Option<(ChecksumAlgorithm, crc_fast::Digest)>,
    /// Computed for the server's own checksum of the answer, when it sent one.
    server: Option<(Checksum, crc_fast::Digest)>,
}

impl StreamDigest {
    pub fn new(md5: bool, crc: Option<ChecksumAlgorithm>, server: Option<Checksum>) -> Self {
        StreamDigest {
            md5: md5.then(Md5::new),
            crc: crc.map(|a| (a, crc_fast::Digest::new(a.crc()))),
            server: server.map(|c| (c, crc_fast::Digest::new(c.algorithm.crc()))),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        if let Some(md5) = &mut self.md5 {
            md5.update(bytes);
        }
        if let Some((_, crc)) = &mut self.crc {
            crc.update(bytes);
        }
        if let Some((_, crc)) = &mut self.server {
            crc.update(bytes);
        }
    }

    /// The receipt for `length` bytes written at `offset`; `what` names them for the
    /// mismatch message ("part 3 (bytes 16777216-25165823) of photos/a.raw").
    pub fn finish(
        self,
        offset: u64,
        length: u64,
        what: &str,
    ) -> crate::error::Result<FetchReceipt> {
        let checked = match self.server {
            Some((expected, digest)) => {
                let got = Checksum {
                    algorithm: expected.algorithm,
                    value: digest.finalize(),
                };
                if got != expected {
                    return Err(Error::new(
                        ErrorKind::ChecksumMismatch,
                        format!(
                            "{what}: the bytes received have {got}, the server's checksum is {}",
                            expected.header_value()
                        ),
                    ));
                }
                Some(expected)
            }
            None => None,
        };
        Ok(FetchReceipt {
            offset,
            length,
            md5: self.md5.map(|m| m.finalize().into()),
            crc: self.crc.map(|(algorithm, d)| Checksum {
                algorithm,
                value: d.finalize(),
            }),
            checked,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_parse_s3_values_refuse_composites_and_combine_across_ranges() {
        // CRC32C of "123456789" is e3069283, as the iSCSI specification gives it.
        let whole = Checksum::parse(ChecksumAlgorithm::Crc32c, "4waSgw==").unwrap();
        assert_eq!(whole.value, 0xe306_9283);
        assert_eq!(whole.header_value(), "4waSgw==");
        assert_eq!(
            Checksum::parse(ChecksumAlgorithm::Crc32c, "4waSgw==-3"),
            None
        );
        assert_eq!(
            Checksum::parse(ChecksumAlgorithm::Crc64Nvme, "4waSgw=="),
            None
        );
        assert_eq!(Checksum::from_text(&whole.to_text()), Some(whole));

        let digest = |bytes: &[u8]| {
            let mut d = StreamDigest::new(false, Some(ChecksumAlgorithm::Crc32c), None);
            d.update(bytes);
            d.finish(0, bytes.len() as u64, "x").unwrap().crc.unwrap()
        };
        let combined = Checksum::empty(ChecksumAlgorithm::Crc32c)
            .then(digest(b"1234"), 4)
            .then(digest(b"56789"), 5);
        assert_eq!(combined, whole);
    }

    #[test]
    fn a_composite_checksum_is_the_checksum_of_the_parts_checksums() {
        // Measured on Garage 2.5: parts of CRC32C mzw9jg== and ggA73w== complete as Jc58BA==-2.
        let parts = [
            Checksum::parse(ChecksumAlgorithm::Crc32c, "mzw9jg==").unwrap(),
            Checksum::parse(ChecksumAlgorithm::Crc32c, "ggA73w==").unwrap(),
        ];
        let composite = ObjectChecksum::of_parts(&parts).unwrap();
        assert_eq!(composite.header_value(), "Jc58BA==-2");
        assert_eq!(
            ObjectChecksum::parse(ChecksumAlgorithm::Crc32c, "Jc58BA==-2"),
            Some(composite)
        );
        assert_eq!(
            ObjectChecksum::from_text(&composite.to_text()),
            Some(composite)
        );
        assert_eq!(
            ObjectChecksum::parse(ChecksumAlgorithm::Crc32c, "Jc58BA==-0"),
            None
        );
        assert_ne!(ObjectChecksum::of_parts(&parts[..1]), Some(composite));
        assert_eq!(
            ObjectChecksum::parse(ChecksumAlgorithm::Crc32c, "4waSgw=="),
            Some(ObjectChecksum::Full(Checksum::of(
                ChecksumAlgorithm::Crc32c,
                b"123456789"
            )))
        );
    }

    #[test]
    fn a_server_checksum_that_does_not_match_the_bytes_is_a_retryable_mismatch() {
        let expected = Checksum::parse(ChecksumAlgorithm::Crc32c, "4waSgw==").unwrap();
        let mut good = StreamDigest::new(true, None, Some(expected));
        good.update(b"123456789");
        let receipt = good.finish(0, 9, "part 1").unwrap();
        assert_eq!(receipt.checked, Some(expected));
        assert_eq!(
            receipt.md5.unwrap(),
            <[u8; 16]>::from(Md5::digest(b"123456789"))
        );

        let mut bad = StreamDigest::new(false, None, Some(expected));
        bad.update(b"123456780");
        let error = bad.finish(0, 9, "part 1 of k").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ChecksumMismatch);
        assert!(error.is_retryable());
        assert!(
            error.message().contains("part 1 of k"),
            "{}",
            error.message()
        );
    }
}
