//! Where a lake or a source lives: a local directory or an `s3://` URL.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use url::Url;

use crate::error::{Result, StoreError};
use crate::local::LocalLake;

/// A resolved storage location: a store, a prefix in it, and how to name it to people.
#[derive(Debug, Clone)]
pub struct Location {
    /// The store.
    pub store: Arc<dyn ObjectStore>,
    /// The prefix inside the store (empty for a bucket root or a local root directory).
    pub prefix: Path,
    /// `file:///abs/dir` or `s3://bucket/prefix`, without a trailing slash.
    pub url: String,
    /// The local directory, for a local location.
    pub local_dir: Option<PathBuf>,
}

impl Location {
    /// Parses a local path (relative or absolute), a `file://` URL or an `s3://bucket/prefix`
    /// URL. S3 settings come from the usual `AWS_*` variables (`AWS_ENDPOINT_URL`,
    /// `AWS_REGION`, credentials); plain-HTTP endpoints are allowed.
    ///
    /// With `create`, a missing local directory is created.
    pub fn parse(location: &str, create: bool) -> Result<Self> {
        let invalid = |reason: String| StoreError::InvalidLocation {
            location: location.to_owned(),
            reason,
        };
        if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(invalid("no bucket name".into()));
            }
            let store = s3_store(bucket).map_err(|e| invalid(e.to_string()))?;
            let prefix = Path::from(prefix.trim_end_matches('/'));
            let url = if prefix.as_ref().is_empty() {
                format!("s3://{bucket}")
            } else {
                format!("s3://{bucket}/{prefix}")
            };
            return Ok(Location {
                store,
                prefix,
                url,
                local_dir: None,
            });
        }
        let dir = if location.starts_with("file://") {
            Url::parse(location)
                .ok()
                .and_then(|u| u.to_file_path().ok())
                .ok_or_else(|| invalid("not a file URL".into()))?
        } else if location.contains("://") {
            return Err(invalid(
                "only local paths, file:// and s3:// are supported".into(),
            ));
        } else {
            PathBuf::from(location)
        };
        Self::local(&dir, create).map_err(|e| match e {
            StoreError::InvalidLocation { reason, .. } => invalid(reason),
            other => other,
        })
    }

    /// A local directory.
    pub fn local(dir: &FsPath, create: bool) -> Result<Self> {
        let invalid = |reason: String| StoreError::InvalidLocation {
            location: dir.display().to_string(),
            reason,
        };
        if create {
            std::fs::create_dir_all(dir).map_err(|e| invalid(e.to_string()))?;
        }
        let abs = std::fs::canonicalize(dir).map_err(|e| invalid(e.to_string()))?;
        let store = LocalLake::new(&abs).map_err(|e| invalid(e.to_string()))?;
        Ok(Location {
            store: Arc::new(store),
            prefix: Path::default(),
            url: format!("file://{}", abs.display()),
            local_dir: Some(abs),
        })
    }

    /// The whole object at `path` (of this location's store), in one request.
    pub async fn read_whole(&self, path: &Path) -> Result<Bytes> {
        self.store
            .get(path)
            .await
            .map_err(StoreError::store("reading", path))?
            .bytes()
            .await
            .map_err(StoreError::store("reading", path))
    }

    /// The path of `relative` under this location's prefix.
    pub fn child(&self, relative: &str) -> Path {
        let mut parts: Vec<String> = self.prefix.parts().map(|p| p.as_ref().to_owned()).collect();
        parts.extend(
            relative
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
        Path::from_iter(parts)
    }

    /// The path of `path` (of this location's store) relative to the lake root.
    pub fn relative(&self, path: &Path) -> String {
        path.prefix_match(&self.prefix)
            .map(|parts| {
                parts
                    .map(|p| p.as_ref().to_owned())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_else(|| path.to_string())
    }

    /// The URL of an object of this store.
    pub fn object_url(&self, path: &Path) -> String {
        match &self.local_dir {
            Some(_) => format!("file:///{path}"),
            None => {
                let bucket = self
                    .url
                    .trim_start_matches("s3://")
                    .split('/')
                    .next()
                    .unwrap_or("");
                format!("s3://{bucket}/{path}")
            }
        }
    }

    /// Whether a rename in this store is atomic (a local file system).
    pub fn atomic_rename(&self) -> bool {
        self.local_dir.is_some()
    }
}

fn s3_store(bucket: &str) -> object_store::Result<Arc<dyn ObjectStore>> {
    // Conditional writes (If-Match / If-None-Match, which S3 supports since 2024) for the
    // writes that must not overwrite a newer object (see `ingest::put_if_unchanged`).
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_conditional_put(object_store::aws::S3ConditionalPut::ETagMatch);
    let endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .or_else(|_| std::env::var("AWS_ENDPOINT"))
        .ok();
    if let Some(endpoint) = endpoint {
        if endpoint.starts_with("http://") {
            builder = builder.with_allow_http(true);
        }
        builder = builder.with_endpoint(endpoint);
    }
    if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
        builder = builder.with_region("us-east-1");
    } else if let Ok(region) = std::env::var("AWS_DEFAULT_REGION") {
        if std::env::var("AWS_REGION").is_err() {
            builder = builder.with_region(region);
        }
    }
    Ok(Arc::new(builder.build()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_made_absolute() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lake");
        let loc = Location::parse(lake.to_str().unwrap(), true).unwrap();
        assert!(loc.url.starts_with("file:///"));
        assert!(loc.atomic_rename());
        assert_eq!(
            loc.child("findings/dt=2026-05-18/a.parquet").as_ref(),
            "findings/dt=2026-05-18/a.parquet"
        );
    }

    #[test]
    fn s3_urls_name_bucket_and_prefix() {
        let loc = Location::parse("s3://bucket/some/prefix/", false).unwrap();
        assert_eq!(loc.url, "s3://bucket/some/prefix");
        assert_eq!(loc.child("findings/x").as_ref(), "some/prefix/findings/x");
        assert_eq!(loc.object_url(&loc.child("a")), "s3://bucket/some/prefix/a");
        assert!(!loc.atomic_rename());
    }

    #[test]
    fn unknown_schemes_are_refused() {
        let err = Location::parse("gs://bucket", false).unwrap_err();
        assert!(err.to_string().contains("only local paths"), "{err}");
    }
}
