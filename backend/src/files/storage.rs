//! Where file bytes live: one [`Storage`] over an `object_store` backend, either a directory
//! of the data dir (the embedded default; each object is written to a temporary file and
//! renamed into place when complete) or an S3-compatible bucket (`--files-url s3://bucket/prefix`,
//! endpoint and credentials from the `AWS_*` variables), which every node of a cluster shares.
//! Objects are immutable: written once under a fresh random key, read, deleted.

use std::ops::Range;
use std::path::Path as FsPath;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

/// S3 refuses parts under 5 MiB (but the last); a local file takes any part size, so the
/// embedded default buffers far less per upload.
const S3_PART: usize = 5 * 1024 * 1024;
const LOCAL_PART: usize = 256 * 1024;

#[derive(Clone)]
pub struct Storage {
    objects: Arc<dyn ObjectStore>,
    part_size: usize,
}

impl Storage {
    /// `url` is `s3://bucket[/prefix]`, or empty for `<data_dir>/files`.
    pub fn open(url: &str, data_dir: &FsPath) -> anyhow::Result<Self> {
        if url.is_empty() {
            let dir = data_dir.join("files");
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let local = LocalFileSystem::new_with_prefix(&dir)?.with_automatic_cleanup(true);
            return Ok(Self { objects: Arc::new(local), part_size: LOCAL_PART });
        }
        let parsed = url::Url::parse(url).with_context(|| format!("files URL {url:?}"))?;
        anyhow::ensure!(parsed.scheme() == "s3", "files URL {url:?}: expected s3://bucket/prefix");
        // HTTPS to S3 uses rustls with ring, as Redis does; an already installed default is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let s3 = AmazonS3Builder::from_env().with_url(url).build().with_context(|| format!("files URL {url:?}"))?;
        let prefix = parsed.path().trim_matches('/');
        let objects: Arc<dyn ObjectStore> =
            if prefix.is_empty() { Arc::new(s3) } else { Arc::new(PrefixStore::new(s3, prefix)) };
        Ok(Self { objects, part_size: S3_PART })
    }

    /// Starts writing a new object; nothing is visible under `key` until [`Upload::finish`].
    pub async fn create(&self, key: &str) -> object_store::Result<Upload> {
        let upload = self.objects.put_multipart(&Path::from(key)).await?;
        let parts = WriteMultipart::new_with_chunk_size(upload, self.part_size);
        Ok(Upload { parts, empty: true, objects: self.objects.clone(), key: Path::from(key) })
    }

    /// Writes a small object in one request (thumbnails).
    pub async fn put(&self, key: &str, bytes: Bytes) -> object_store::Result<()> {
        self.objects.put(&Path::from(key), PutPayload::from_bytes(bytes)).await.map(drop)
    }

    /// The bytes of `range` (all of them when `None`), as they arrive.
    pub async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> object_store::Result<BoxStream<'static, object_store::Result<Bytes>>> {
        let options = GetOptions::default().with_range(range.map(GetRange::Bounded));
        Ok(self.objects.get_opts(&Path::from(key), options).await?.into_stream())
    }

    /// The whole object in memory (for the bounded sizes of uploads).
    pub async fn read_all(&self, key: &str) -> object_store::Result<Bytes> {
        self.objects.get(&Path::from(key)).await?.bytes().await
    }

    /// Copies every object into `to` (a backup), one at a time as its bytes arrive; returns
    /// how many objects and bytes were copied. An object removed while the copy runs is skipped.
    pub async fn copy_all(&self, to: &Storage) -> object_store::Result<(u64, u64)> {
        let (mut objects, mut bytes) = (0, 0);
        let mut listing = self.objects.list(None);
        while let Some(meta) = listing.next().await {
            let key = meta?.location;
            let mut source = match self.read(key.as_ref(), None).await {
                Err(object_store::Error::NotFound { .. }) => continue,
                other => other?,
            };
            let mut copy = to.create(key.as_ref()).await?;
            while let Some(chunk) = source.next().await {
                let chunk = chunk?;
                bytes += chunk.len() as u64;
                copy.write(chunk).await?;
            }
            copy.finish().await?;
            objects += 1;
        }
        Ok((objects, bytes))
    }

    /// Removes an object; one already gone is not an error.
    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        match self.objects.delete(&Path::from(key)).await {
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            other => other,
        }
    }
}

/// An object being written, part by part; at most two parts are in flight at once, so the
/// memory an upload holds is bounded by a few part sizes whatever the file's size.
pub struct Upload {
    parts: WriteMultipart,
    /// Nothing written yet: S3 cannot complete a multipart upload of no parts.
    empty: bool,
    objects: Arc<dyn ObjectStore>,
    key: Path,
}

impl Upload {
    pub async fn write(&mut self, chunk: Bytes) -> object_store::Result<()> {
        self.parts.wait_for_capacity(2).await?;
        self.empty &= chunk.is_empty();
        self.parts.put(chunk);
        Ok(())
    }

    pub async fn finish(self) -> object_store::Result<()> {
        if self.empty {
            self.parts.abort().await?;
            return self.objects.put(&self.key, PutPayload::default()).await.map(drop);
        }
        self.parts.finish().await.map(drop)
    }

    /// Gives the upload up: parts already stored are removed.
    pub async fn abort(self) -> object_store::Result<()> {
        self.parts.abort().await
    }
}
