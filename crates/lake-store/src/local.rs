//! The object store of a local lake: object_store's `LocalFileSystem`, listing with one
//! `stat` per file.
//!
//! Every query lists the lake's tables (the `scans` manifest, to check its snapshot;
//! `findings` and the compacted copies, to plan): about 10,700 files on the bench lake of 100
//! accounts and 52 weeks. `LocalFileSystem` walks with `walkdir`, following links, and asks
//! the file system three times per file (is it a link, is it a file, its metadata): a quarter
//! of the CPU of `lake query posture`. [`LocalLake`] reads each directory and stats each file
//! once, relative to its directory, and gives what `LocalFileSystem` gives: the same
//! locations, sizes, modification times and e-tags (its own scheme: inode, modification time
//! and size), the same staging files left out (`name#123`, a `put` in progress), a missing
//! prefix as nothing. A tree holding a symbolic link is listed by `LocalFileSystem` itself
//! (links followed, broken ones left out, loops found are its rules); lake never writes one.
//! Everything other than listing is `LocalFileSystem`'s. A test compares the two listings.

use std::collections::BTreeSet;
use std::fmt;
use std::io::ErrorKind;
use std::ops::Range;
use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result,
};
use url::Url;

const STORE: &str = "LocalFileSystem";

/// A local directory as an object store (see the module docs).
#[derive(Debug)]
pub struct LocalLake {
    inner: Arc<LocalFileSystem>,
    /// The directory as a `file://` URL, as `LocalFileSystem` keeps it.
    root: Arc<Url>,
}

impl LocalLake {
    /// The store of the canonical directory `dir`.
    pub fn new(dir: &FsPath) -> Result<Self> {
        let inner = LocalFileSystem::new_with_prefix(dir)?;
        let root = Url::from_file_path(dir).map_err(|()| object_store::Error::Generic {
            store: STORE,
            source: format!("{} is not an absolute path", dir.display()).into(),
        })?;
        Ok(LocalLake {
            inner: Arc::new(inner),
            root: Arc::new(root),
        })
    }

    /// The directory of `prefix` (what `LocalFileSystem` resolves a prefix to).
    fn directory(&self, prefix: Option<&Path>) -> Result<std::path::PathBuf> {
        let mut url = (*self.root).clone();
        if let Some(prefix) = prefix {
            url.path_segments_mut()
                .map_err(|()| generic("the root URL has no path".into()))?
                .pop_if_empty()
                .extend(prefix.parts());
        }
        url.to_file_path()
            .map_err(|()| generic(format!("{url} is not a file path").into()))
    }
}

impl fmt::Display for LocalLake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LocalLake({})", self.inner)
    }
}

fn generic(source: Box<dyn std::error::Error + Send + Sync>) -> object_store::Error {
    object_store::Error::Generic {
        store: STORE,
        source,
    }
}

fn io_error(e: std::io::Error, path: &FsPath) -> object_store::Error {
    generic(format!("listing {}: {e}", path.display()).into())
}

/// Whether `kind` means the entry went away (or was never there) while listing.
fn vanished(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::NotFound | ErrorKind::NotADirectory)
}

/// The location of the file or directory at `path` under `root`, as `LocalFileSystem` names
/// it (through its `file://` URL, percent-decoded).
fn location(root: &Url, path: &FsPath) -> Result<Path> {
    let url = Url::from_file_path(path)
        .map_err(|()| generic(format!("{} is not an absolute path", path.display()).into()))?;
    let relative = url.path().strip_prefix(root.path()).ok_or_else(|| {
        generic(format!("{} is not under {}", path.display(), root.path()).into())
    })?;
    Ok(Path::from_url_path(relative)?)
}

/// `LocalFileSystem`'s rule: `name#123` is a `put` in progress, not an object.
fn is_staging(location: &Path) -> bool {
    match location.filename() {
        Some(name) => match name.split_once('#') {
            Some((_, suffix)) => !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()),
            None => false,
        },
        None => true,
    }
}

/// The inode, which `LocalFileSystem`'s e-tags include where there is one.
#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

/// What `LocalFileSystem` says of a file: its e-tag is `{inode:x}-{mtime µs:x}-{size:x}`.
fn object_meta(location: Path, meta: &std::fs::Metadata) -> Result<ObjectMeta> {
    let modified = meta
        .modified()
        .map_err(|e| generic(format!("{location}: {e}").into()))?;
    let micros = modified
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros();
    let last_modified: DateTime<Utc> = modified.into();
    Ok(ObjectMeta {
        e_tag: Some(format!("{:x}-{micros:x}-{:x}", inode(meta), meta.len())),
        location,
        last_modified,
        size: meta.len(),
        version: None,
    })
}

/// What one directory holds, each entry with its kind.
enum Entry {
    Directory(std::path::PathBuf),
    File(std::path::PathBuf, std::fs::Metadata),
}

/// The entries of `dir` (none when it is missing or not a directory), or `None` when one is
/// a symbolic link.
fn entries(dir: &FsPath) -> Result<Option<Vec<Entry>>> {
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if vanished(e.kind()) => return Ok(Some(Vec::new())),
        Err(e) => return Err(io_error(e, dir)),
    };
    let mut out = Vec::new();
    for entry in read {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) if vanished(e.kind()) => continue,
            Err(e) => return Err(io_error(e, dir)),
        };
        let kind = match entry.file_type() {
            Ok(kind) => kind,
            Err(e) if vanished(e.kind()) => continue,
            Err(e) => return Err(io_error(e, &entry.path())),
        };
        if kind.is_symlink() {
            return Ok(None);
        }
        if kind.is_dir() {
            out.push(Entry::Directory(entry.path()));
        } else if kind.is_file() {
            // `DirEntry::metadata` stats the name relative to the open directory.
            match entry.metadata() {
                Ok(meta) => out.push(Entry::File(entry.path(), meta)),
                Err(e) if vanished(e.kind()) => continue,
                Err(e) => return Err(io_error(e, &entry.path())),
            }
        }
    }
    Ok(Some(out))
}

/// Every file under `dir`, or `None` when the tree holds a symbolic link.
fn walk(root: &Url, dir: &FsPath) -> Result<Option<Vec<ObjectMeta>>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Some(entries) = entries(&dir)? else {
            return Ok(None);
        };
        for entry in entries {
            match entry {
                Entry::Directory(path) => pending.push(path),
                Entry::File(path, meta) => {
                    let location = location(root, &path)?;
                    if !is_staging(&location) {
                        files.push(object_meta(location, &meta)?);
                    }
                }
            }
        }
    }
    Ok(Some(files))
}

/// The directories and files directly in `dir` under `prefix`, or `None` when one is a
/// symbolic link.
fn one_level(root: &Url, prefix: &Path, dir: &FsPath) -> Result<Option<ListResult>> {
    let Some(entries) = entries(dir)? else {
        return Ok(None);
    };
    let mut common_prefixes = BTreeSet::new();
    let mut objects = Vec::new();
    for entry in entries {
        let (path, meta) = match &entry {
            Entry::Directory(path) => (path, None),
            Entry::File(path, meta) => (path, Some(meta)),
        };
        let location = location(root, path)?;
        if meta.is_some() && is_staging(&location) {
            continue;
        }
        let Some(first) = location
            .prefix_match(prefix)
            .and_then(|mut parts| parts.next())
        else {
            continue;
        };
        match meta {
            None => {
                common_prefixes.insert(prefix.clone().join(first));
            }
            Some(meta) => objects.push(object_meta(location, meta)?),
        }
    }
    Ok(Some(ListResult {
        common_prefixes: common_prefixes.into_iter().collect(),
        objects,
    }))
}

/// Runs `f` on tokio's blocking pool when there is a runtime (as `LocalFileSystem` does).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime
            .spawn_blocking(f)
            .await
            .map_err(|e| generic(Box::new(e)))?,
        Err(_) => f(),
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl ObjectStore for LocalLake {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let dir = self.directory(prefix);
        let root = Arc::clone(&self.root);
        let inner = Arc::clone(&self.inner);
        let prefix = prefix.cloned();
        async move {
            let walked = match dir {
                Ok(dir) => blocking(move || walk(&root, &dir)).await,
                Err(e) => Err(e),
            };
            match walked {
                Ok(Some(files)) => futures::stream::iter(files.into_iter().map(Ok)).boxed(),
                Ok(None) => inner.list(prefix.as_ref()),
                Err(e) => futures::stream::once(async { Err(e) }).boxed(),
            }
        }
        .into_stream()
        .flatten()
        .boxed()
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let offset = offset.clone();
        self.list(prefix)
            .filter(move |meta| {
                let keep = meta.as_ref().map_or(true, |m| m.location > offset);
                futures::future::ready(keep)
            })
            .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let dir = self.directory(prefix)?;
        let root = Arc::clone(&self.root);
        let base = prefix.cloned().unwrap_or_default();
        match blocking(move || one_level(&root, &base, &dir)).await? {
            Some(listed) => Ok(listed),
            None => self.inner.list_with_delimiter(prefix).await,
        }
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    /// A tree like a lake's: partitions, nested partitions, a staging file, odd names.
    fn lake_tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            "scans/dt=2025-01-06/100-run-1.parquet",
            "scans/dt=2025-01-06/200-run-1.parquet",
            "scans/dt=2025-01-13/100-run-2.parquet",
            "findings/dt=2025-01-06/100-run-1.parquet",
            "findings/dt=2025-01-06/100-run-1.parquet#17",
            "findings/dt=2025-01-06/notes#draft",
            "_compact/findings/dt=2025-01-06/cover=abc.1-2-0/part.parquet",
            "odd/a file with spaces %41 ü.parquet",
            "top.parquet",
        ];
        for (i, f) in files.iter().enumerate() {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, vec![b'x'; i * 10]).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("empty/dir")).unwrap();
        dir
    }

    async fn both_list(root: &FsPath, prefix: Option<&Path>) -> (Vec<ObjectMeta>, Vec<ObjectMeta>) {
        let ours = LocalLake::new(root).unwrap();
        let theirs = LocalFileSystem::new_with_prefix(root).unwrap();
        let mut a: Vec<ObjectMeta> = ours.list(prefix).try_collect().await.unwrap();
        let mut b: Vec<ObjectMeta> = theirs.list(prefix).try_collect().await.unwrap();
        a.sort_by(|x, y| x.location.cmp(&y.location));
        b.sort_by(|x, y| x.location.cmp(&y.location));
        (a, b)
    }

    async fn both_levels(root: &FsPath, prefix: Option<&Path>) -> (ListResult, ListResult) {
        let ours = LocalLake::new(root).unwrap();
        let theirs = LocalFileSystem::new_with_prefix(root).unwrap();
        let mut a = ours.list_with_delimiter(prefix).await.unwrap();
        let mut b = theirs.list_with_delimiter(prefix).await.unwrap();
        a.objects.sort_by(|x, y| x.location.cmp(&y.location));
        b.objects.sort_by(|x, y| x.location.cmp(&y.location));
        (a, b)
    }

    fn prefixes() -> Vec<Option<Path>> {
        vec![
            None,
            Some(Path::from("scans")),
            Some(Path::from("findings/dt=2025-01-06")),
            Some(Path::from("_compact")),
            Some(Path::from("odd")),
            Some(Path::from("missing")),
            Some(Path::from("top.parquet")),
            Some(Path::from("empty")),
        ]
    }

    /// Both stores list every prefix of [`prefixes`] alike, whole and one level.
    async fn same_listings(root: &FsPath) {
        for prefix in prefixes() {
            let (ours, theirs) = both_list(root, prefix.as_ref()).await;
            assert_eq!(ours, theirs, "list {prefix:?}");
            let (ours, theirs) = both_levels(root, prefix.as_ref()).await;
            assert_eq!(ours.common_prefixes, theirs.common_prefixes, "{prefix:?}");
            assert_eq!(
                ours.objects, theirs.objects,
                "list_with_delimiter {prefix:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_listing_is_what_local_file_system_lists() {
        let tree = lake_tree();
        let root = std::fs::canonicalize(tree.path()).unwrap();
        same_listings(&root).await;
        // What the comparison covers: files, staging files left out, every partition.
        let (all, _) = both_list(&root, None).await;
        assert_eq!(all.len(), 8);
        assert!(all.iter().all(|m| m.e_tag.is_some()));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_tree_with_a_link_is_listed_by_local_file_system() {
        let tree = lake_tree();
        let root = std::fs::canonicalize(tree.path()).unwrap();
        std::os::unix::fs::symlink(root.join("scans"), root.join("findings/linked")).unwrap();
        std::os::unix::fs::symlink(root.join("nowhere"), root.join("scans/broken")).unwrap();
        same_listings(&root).await;
        let (linked, _) = both_list(&root, Some(&Path::from("findings/linked"))).await;
        assert_eq!(linked.len(), 3);
    }

    #[tokio::test]
    async fn an_offset_listing_keeps_what_sorts_after_it() {
        let tree = lake_tree();
        let root = std::fs::canonicalize(tree.path()).unwrap();
        let ours = LocalLake::new(&root).unwrap();
        let theirs = LocalFileSystem::new_with_prefix(&root).unwrap();
        let offset = Path::from("findings/dt=2025-01-06/100-run-1.parquet");
        let mut a: Vec<ObjectMeta> = ours
            .list_with_offset(None, &offset)
            .try_collect()
            .await
            .unwrap();
        let mut b: Vec<ObjectMeta> = theirs
            .list_with_offset(None, &offset)
            .try_collect()
            .await
            .unwrap();
        a.sort_by(|x, y| x.location.cmp(&y.location));
        b.sort_by(|x, y| x.location.cmp(&y.location));
        assert_eq!(a, b);
        assert!(!a.is_empty() && a.iter().all(|m| m.location > offset));
    }
}
