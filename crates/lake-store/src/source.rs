//! Sources: the OCSF files to ingest, named by file, directory, glob or `s3://` prefix.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::error::{Result, StoreError};
use crate::location::Location;

/// Where a source's bytes are read from.
#[derive(Debug, Clone)]
pub enum SourceKind {
    /// A local file, read with plain blocking I/O.
    Local(PathBuf),
    /// An object in a store, streamed.
    Object {
        /// The store.
        store: Arc<dyn ObjectStore>,
        /// The object.
        path: Path,
    },
}

/// One OCSF file to ingest.
#[derive(Debug, Clone)]
pub struct Source {
    /// `file:///abs/path` or `s3://bucket/key`: recorded in the lake as `source_uri`.
    pub uri: String,
    /// Where to read it.
    pub kind: SourceKind,
    /// Size in bytes.
    pub size: u64,
    /// Last modified.
    pub modified: Option<DateTime<Utc>>,
    /// Object ETag, when the store has one.
    pub etag: Option<String>,
}

/// The file name endings of the scan files found by directory and prefix listing: Prowler's
/// OCSF (`.ocsf.json`) and ASFF (`.asff.json`) outputs, and newline-delimited OCSF (a
/// Security Hub export saved as `.ocsf.ndjson` or `.ocsf.jsonl`). Any other file is read
/// when named explicitly.
pub const SCAN_FILE_ENDINGS: [&str; 4] =
    [".ocsf.json", ".asff.json", ".ocsf.ndjson", ".ocsf.jsonl"];

/// Whether a file name is a scan file found by directory and prefix listing.
pub fn is_scan_file(name: &str) -> bool {
    SCAN_FILE_ENDINGS.iter().any(|e| name.ends_with(e))
}

impl Source {
    /// A local file.
    pub fn local(path: &FsPath) -> Result<Self> {
        let invalid = |reason: String| StoreError::InvalidLocation {
            location: path.display().to_string(),
            reason,
        };
        let abs = std::fs::canonicalize(path).map_err(|e| invalid(e.to_string()))?;
        let meta = std::fs::metadata(&abs).map_err(|e| invalid(e.to_string()))?;
        Ok(Source {
            uri: format!("file://{}", abs.display()),
            kind: SourceKind::Local(abs),
            size: meta.len(),
            modified: meta.modified().ok().map(DateTime::<Utc>::from),
            etag: None,
        })
    }

    /// Resolves one command-line source into files: a file (any name), a directory (every
    /// `*.ocsf.json` below it), a glob, or an `s3://` object or prefix (every `*.ocsf.json`
    /// under it). The result is sorted by URI; an empty match is an error.
    pub async fn resolve(spec: &str) -> Result<Vec<Source>> {
        let none = || StoreError::InvalidLocation {
            location: spec.to_owned(),
            reason: "no *.ocsf.json files found".into(),
        };
        let mut out = if spec.starts_with("s3://") {
            let loc = Location::parse(spec, false)?;
            // An exact object first, then a prefix.
            match loc.store.head(&loc.prefix).await {
                Ok(meta) if !loc.prefix.as_ref().is_empty() => vec![object_source(&loc, meta)],
                _ => {
                    let metas: Vec<_> = loc
                        .store
                        .list(Some(&loc.prefix))
                        .try_collect()
                        .await
                        .map_err(StoreError::store("listing", &loc.url))?;
                    metas
                        .into_iter()
                        .filter(|m| m.location.filename().is_some_and(is_scan_file))
                        .map(|m| object_source(&loc, m))
                        .collect()
                }
            }
        } else {
            let spec = spec.strip_prefix("file://").unwrap_or(spec);
            let path = FsPath::new(spec);
            if path.is_file() {
                vec![Source::local(path)?]
            } else if path.is_dir() {
                let mut files = Vec::new();
                walk(path, &mut files).map_err(|e| StoreError::Read {
                    path: path.to_owned(),
                    offset: 0,
                    source: e,
                })?;
                files
                    .iter()
                    .map(|f| Source::local(f))
                    .collect::<Result<_>>()?
            } else {
                let matches = glob::glob(spec).map_err(|e| StoreError::InvalidLocation {
                    location: spec.to_owned(),
                    reason: e.to_string(),
                })?;
                matches
                    .filter_map(|m| m.ok())
                    .filter(|p| p.is_file())
                    .map(|p| Source::local(&p))
                    .collect::<Result<_>>()?
            }
        };
        if out.is_empty() {
            // A plain path that names nothing is a typo, not a directory without scans.
            let local = spec.strip_prefix("file://").unwrap_or(spec);
            let pattern = local.contains(['*', '?', '[']);
            if !spec.starts_with("s3://") && !pattern && !FsPath::new(local).exists() {
                return Err(StoreError::InvalidLocation {
                    location: spec.to_owned(),
                    reason: "no such file or directory".into(),
                });
            }
            return Err(none());
        }
        out.sort_by(|a, b| a.uri.cmp(&b.uri));
        Ok(out)
    }
}

fn object_source(loc: &Location, meta: object_store::ObjectMeta) -> Source {
    Source {
        uri: loc.object_url(&meta.location),
        kind: SourceKind::Object {
            store: loc.store.clone(),
            path: meta.location,
        },
        size: meta.size,
        modified: Some(meta.last_modified),
        etag: meta.e_tag,
    }
}

fn walk(dir: &FsPath, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(&path, out)?;
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_scan_file)
        {
            out.push(path);
        }
    }
    Ok(())
}
