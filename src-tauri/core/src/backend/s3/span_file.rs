//! The partial file a span of a download is written into. Answer chunks are kept as they came
//! (each a slice of the answer's own buffer, never copied) until [`WRITE_BATCH`] bytes are
//! gathered, then written at their offset by one `pwritev` on the blocking pool while the next
//! batch gathers. So each byte is copied once, from the answer into the page cache; with
//! tokio's file and a write buffer it was copied twice more, and each span held two buffers
//! (perf and heaptrack, issue 19). Copying chunks into a batch of our own instead was slower
//! and no lighter: each 128 KiB batch is a fresh mmap'd allocation to fault in.

use bytes::Bytes;
use std::fs::File;
use std::io::{self, IoSlice};
use std::path::Path;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// Bytes gathered before each write; at most two batches per span are held (one being
/// written, one gathering).
const WRITE_BATCH: usize = 128 * 1024;
/// Chunks per write, well under the kernel's `IOV_MAX` (1024).
const CHUNKS_PER_WRITE: usize = 256;

pub(super) struct SpanFile {
    file: Arc<File>,
    /// Where the next batch goes.
    offset: u64,
    batch: Vec<Bytes>,
    batched: usize,
    writing: Option<JoinHandle<io::Result<()>>>,
}

impl SpanFile {
    /// Opens `path` (which exists) to write from `offset` on.
    pub(super) async fn open(path: &Path, offset: u64) -> io::Result<Self> {
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .await?
            .into_std()
            .await;
        Ok(Self {
            file: Arc::new(file),
            offset,
            batch: Vec::new(),
            batched: 0,
            writing: None,
        })
    }

    /// Takes the next bytes of the span; they are written before [`Self::finish`] returns.
    pub(super) async fn push(&mut self, bytes: Bytes) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.batched += bytes.len();
        self.batch.push(bytes);
        if self.batched >= WRITE_BATCH || self.batch.len() >= CHUNKS_PER_WRITE {
            self.submit().await?;
        }
        Ok(())
    }

    /// Writes what is gathered and syncs the file's data.
    pub(super) async fn finish(mut self) -> io::Result<()> {
        self.submit().await?;
        self.wait().await?;
        let file = Arc::clone(&self.file);
        blocking(move || file.sync_data()).await
    }

    /// Waits for the write in flight, then starts writing the gathered batch.
    async fn submit(&mut self) -> io::Result<()> {
        self.wait().await?;
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let (file, offset) = (Arc::clone(&self.file), self.offset);
        self.offset += self.batched as u64;
        self.batched = 0;
        self.writing = Some(tokio::task::spawn_blocking(move || {
            write_all_at(&file, &batch, offset)
        }));
        Ok(())
    }

    async fn wait(&mut self) -> io::Result<()> {
        match self.writing.take() {
            Some(write) => write.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

async fn blocking(work: impl FnOnce() -> io::Result<()> + Send + 'static) -> io::Result<()> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(io::Error::other)?
}

/// Writes `chunks` one after the other from `offset`, however the kernel splits the writes.
fn write_all_at(file: &File, chunks: &[Bytes], mut offset: u64) -> io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = chunks.iter().map(|chunk| IoSlice::new(chunk)).collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        let written = rustix::io::pwritev(file, rest, offset)?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        offset += written as u64;
        IoSlice::advance_slices(&mut rest, written);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_land_at_their_offsets_across_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("partial");
        std::fs::write(&path, vec![0u8; 3 * WRITE_BATCH]).unwrap();
        let expected: Vec<u8> = (0..2 * WRITE_BATCH + 123)
            .map(|i| (i % 251) as u8)
            .collect();
        let mut file = SpanFile::open(&path, 7).await.unwrap();
        // Chunks of odd sizes, so batches end inside them.
        for chunk in expected.chunks(16_411) {
            file.push(Bytes::copy_from_slice(chunk)).await.unwrap();
        }
        file.finish().await.unwrap();
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!(&on_disk[..7], &[0; 7]);
        assert_eq!(&on_disk[7..7 + expected.len()], &expected[..]);
        assert!(on_disk[7 + expected.len()..].iter().all(|b| *b == 0));
    }
}
