//! The business context in the lake: versions written by `lake context set`, read back by
//! every query that judges risk. Three small unpartitioned tables (see
//! `lake_core::schema::context_tables`), one file per version each:
//!
//! ```text
//! <lake>/context/accounts/v000001.parquet   the accounts, their landing zone carried along
//! <lake>/context/rules/v000001.parquet      the resource rules
//! <lake>/context/versions/v000001.parquet   one row: the version, written last
//! <lake>/_context_claims/v000001            taken first, so two writers never share a number
//! ```
//!
//! A version exists once its `versions` file does; readers (and the views, for Athena) keep
//! only the rows of such versions, so a `set` killed half-way leaves nothing visible.
//! Versions are never rewritten: history is kept, and each week is judged by the context it
//! had (the latest version effective in or before it).

use arrow::array::AsArray;
use arrow::datatypes::{Int64Type, SchemaRef};
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use futures::TryStreamExt;
use lake_core::context::{Context, VersionInfo};
use lake_core::schema::{context_accounts_schema, context_rules_schema, context_versions_schema};
use object_store::path::Path;

use crate::error::{Result, StoreError};
use crate::ingest::{put_if_unchanged, put_parquet, read_parquet};
use crate::layout::{context_claim, context_dir, context_file, CONTEXT_TABLES};
use crate::location::Location;
use crate::writer::manifest_properties;

/// The stored context: the rows of each table, of committed versions only.
#[derive(Debug, Clone, Default)]
pub struct StoredContext {
    /// `context_versions`, by version.
    pub versions: Vec<RecordBatch>,
    /// `context_accounts`.
    pub accounts: Vec<RecordBatch>,
    /// `context_rules`.
    pub rules: Vec<RecordBatch>,
}

impl StoredContext {
    /// The committed version numbers, ascending.
    pub fn version_numbers(&self) -> Vec<i64> {
        let mut out: Vec<i64> = self
            .versions
            .iter()
            .flat_map(|b| {
                let c = b.column(0).as_primitive::<Int64Type>();
                (0..c.len()).map(|i| c.value(i)).collect::<Vec<_>>()
            })
            .collect();
        out.sort_unstable();
        out
    }
}

/// The version numbers that have a file under `dir` (or a claim), ascending.
async fn numbers_in(lake: &Location, dir: &str) -> Result<Vec<i64>> {
    let prefix = lake.child(dir);
    let listed: Vec<_> = lake
        .store
        .list(Some(&prefix))
        .try_collect()
        .await
        .map_err(StoreError::store("listing", &prefix))?;
    let mut out: Vec<i64> = listed
        .iter()
        .filter_map(|m| {
            let name = m.location.filename()?;
            name.strip_prefix('v')?
                .trim_end_matches(".parquet")
                .parse()
                .ok()
        })
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// Writes `context` as a new version and returns what identifies it. `info.version` is
/// ignored: the next free number is taken (claimed first, so a concurrent `set` takes
/// another).
pub async fn set(lake: &Location, context: &Context, info: &VersionInfo) -> Result<VersionInfo> {
    let mut next = numbers_in(lake, "_context_claims")
        .await?
        .into_iter()
        .chain(numbers_in(lake, &context_dir("versions")).await?)
        .max()
        .unwrap_or(0)
        + 1;
    loop {
        if put_if_unchanged(lake, &context_claim(next), Bytes::from_static(b""), &None).await? {
            break;
        }
        next += 1;
    }
    let info = VersionInfo {
        version: next,
        ..info.clone()
    };
    let [versions, accounts, rules] = lake_core::context::batches(context, &info)?;
    // The version row last: until it is written the other rows belong to no version.
    for (table, batch) in [
        ("accounts", &accounts),
        ("rules", &rules),
        ("versions", &versions),
    ] {
        put_parquet(
            lake,
            &context_file(table, next),
            batch,
            manifest_properties(),
        )
        .await?;
    }
    Ok(info)
}

async fn read_table(
    lake: &Location,
    table: &str,
    schema: &SchemaRef,
) -> Result<Vec<(i64, RecordBatch)>> {
    let mut out = Vec::new();
    for version in numbers_in(lake, &context_dir(table)).await? {
        let path: Path = lake.child(&context_file(table, version));
        for batch in read_parquet(lake, &path).await? {
            if batch.schema().fields() != schema.fields() {
                return Err(StoreError::Internal(format!(
                    "`{path}` does not have the columns of {table} this version of lake writes"
                )));
            }
            out.push((version, batch));
        }
    }
    Ok(out)
}

/// Reads every committed version of the context (nothing when none was ever set).
pub async fn read(lake: &Location) -> Result<StoredContext> {
    let versions = read_table(lake, "versions", &context_versions_schema()).await?;
    let committed: Vec<i64> = versions.iter().map(|(v, _)| *v).collect();
    let keep = |rows: Vec<(i64, RecordBatch)>| -> Vec<RecordBatch> {
        rows.into_iter()
            .filter(|(v, _)| committed.contains(v))
            .map(|(_, b)| b)
            .collect()
    };
    Ok(StoredContext {
        accounts: keep(read_table(lake, "accounts", &context_accounts_schema()).await?),
        rules: keep(read_table(lake, "rules", &context_rules_schema()).await?),
        versions: versions.into_iter().map(|(_, b)| b).collect(),
    })
}

/// The relative directories of the context tables, for engines told where they are.
pub fn table_dirs() -> [(&'static str, String); 3] {
    CONTEXT_TABLES.map(|(name, dir)| (name, context_dir(dir)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lake_core::IsoWeek;

    fn info() -> VersionInfo {
        VersionInfo {
            version: 0,
            effective_week: IsoWeek {
                year: 2026,
                week: 10,
            },
            set_at_micros: 1,
            source: "c.yaml".into(),
            sha256: "ab".into(),
        }
    }

    #[tokio::test]
    async fn versions_are_numbered_in_order_and_only_committed_ones_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Location::local(dir.path(), true).unwrap();
        assert!(read(&lake).await.unwrap().versions.is_empty());
        let c =
            lake_core::context::parse("accounts:\n  - id: '1'\n    environment: prod\n").unwrap();
        assert_eq!(set(&lake, &c, &info()).await.unwrap().version, 1);
        assert_eq!(set(&lake, &c, &info()).await.unwrap().version, 2);
        // a set killed after its claim and its accounts file: version 3 is not visible, and
        // the next set takes 4
        put_if_unchanged(&lake, &context_claim(3), Bytes::new(), &None)
            .await
            .unwrap();
        let [_, accounts, _] = lake_core::context::batches(
            &c,
            &VersionInfo {
                version: 3,
                ..info()
            },
        )
        .unwrap();
        put_parquet(
            &lake,
            &context_file("accounts", 3),
            &accounts,
            manifest_properties(),
        )
        .await
        .unwrap();
        let stored = read(&lake).await.unwrap();
        assert_eq!(stored.version_numbers(), [1, 2]);
        assert_eq!(
            stored.accounts.iter().map(|b| b.num_rows()).sum::<usize>(),
            2
        );
        assert_eq!(set(&lake, &c, &info()).await.unwrap().version, 4);
    }
}
