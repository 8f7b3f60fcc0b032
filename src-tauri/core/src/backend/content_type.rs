//! `Content-Type` from a key's extension, by `mime_guess`'s table; anything it does not know is
//! `application/octet-stream` (what S3 assumes anyway).

/// The content type for `key`, from the extension of its last segment (case-insensitive).
pub fn for_key(key: &str) -> &'static str {
    let name = key.rsplit('/').next().unwrap_or(key);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => mime_guess::from_ext(ext)
            .first_raw()
            .unwrap_or("application/octet-stream"),
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_last_extension_of_the_name() {
        assert_eq!(for_key("photos/IMG_1.JPG"), "image/jpeg");
        assert_eq!(for_key("a/b.tar.gz"), "application/gzip");
        assert_eq!(for_key("notes.txt"), "text/plain");
        assert_eq!(for_key("dir.d/README"), "application/octet-stream");
        assert_eq!(for_key(".bashrc"), "application/octet-stream");
        assert_eq!(for_key("x.unknownext"), "application/octet-stream");
    }

    #[test]
    fn types_beyond_the_old_table_of_61_are_known() {
        assert_eq!(for_key("raw/IMG_2.dng"), "image/x-adobe-dng");
        assert_eq!(for_key("scan.tiff"), "image/tiff");
        assert_eq!(for_key("talk.webm"), "video/webm");
        assert_eq!(for_key("book.mobi"), "application/x-mobipocket-ebook");
    }
}
