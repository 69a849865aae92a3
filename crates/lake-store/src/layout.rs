//! The partition layout of the lake: the one place that knows where files go.
//!
//! ```text
//! <lake>/findings/dt=YYYY-MM-DD/<account>-<run_id>.parquet   one file per (account, run)
//! <lake>/scans/dt=YYYY-MM-DD/<account>-<run_id>.parquet      one manifest row per source
//! <lake>/_staging/...                                        local lakes only: files being written
//! <lake>/_observed/dt=YYYY-MM-DD/<account>-<run_id>.parquet  what each findings file observed (a cache)
//! <lake>/context/{accounts,rules,versions}/v<N>.parquet      the business context, one file per version
//! ```
//!
//! The stem `<account>-<run_id>` is collision-free ([`ScanIdentity::file_stem`]); a lake
//! written before it was keeps each scan's files under their old stem
//! ([`ScanIdentity::legacy_file_stem`]) for as long as that scan is re-ingested (see
//! [`ScanFiles`]), so existing lakes need no migration.
//!
//! `dt` is the UTC date of the account scan. Engines read the tables as Hive-partitioned
//! directories (`findings/`, `scans/`); files whose names start with `_` or `.` are ignored
//! by all of them, which is why staging lives under `_staging`.

use lake_core::schema::PARTITION_COLUMN;
use lake_core::ScanIdentity;

/// The findings table directory.
pub const FINDINGS_TABLE: &str = "findings";
/// The scans (ingest manifest) table directory.
pub const SCANS_TABLE: &str = "scans";
/// The observed cells of each findings file (see [`crate::observed`]): a cache beside the
/// tables, ignored by engines (its name starts with `_`).
pub const OBSERVED_DIR: &str = "_observed";
/// The context tables (`lake context set`): their names and directories under `context/`.
pub const CONTEXT_TABLES: [(&str, &str); 3] = [
    ("context_accounts", "accounts"),
    ("context_rules", "rules"),
    ("context_versions", "versions"),
];

/// The relative directory of a context table (`accounts`, `rules`, `versions`).
pub fn context_dir(table: &str) -> String {
    format!("context/{table}")
}

/// The relative path of one version's file of a context table.
pub fn context_file(table: &str, version: i64) -> String {
    format!("context/{table}/v{version:06}.parquet")
}

/// The claim a context writer takes on a version number before writing it.
pub fn context_claim(version: i64) -> String {
    format!("_context_claims/v{version:06}")
}

/// Where local lakes stage files before the atomic rename.
pub const STAGING_DIR: &str = "_staging";

/// The relative path of a table's file for one account scan, under its stem.
pub fn table_file(table: &str, identity: &ScanIdentity) -> String {
    ScanFiles::of(identity).path(table)
}

/// Where the files of one account scan go: its partition and the stem every table's file
/// of it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanFiles {
    dt: String,
    stem: String,
}

impl ScanFiles {
    /// Under the scan's (collision-free) stem.
    pub fn of(identity: &ScanIdentity) -> Self {
        ScanFiles {
            dt: identity.dt(),
            stem: identity.file_stem(),
        }
    }

    /// Under the stem lake gave the scan before stems were collision-free.
    pub fn legacy(identity: &ScanIdentity) -> Self {
        ScanFiles {
            dt: identity.dt(),
            stem: identity.legacy_file_stem(),
        }
    }

    /// The relative path of `table`'s file of the scan.
    pub fn path(&self, table: &str) -> String {
        format!(
            "{table}/{PARTITION_COLUMN}={}/{}.parquet",
            self.dt, self.stem
        )
    }
}

/// The relative directory of one partition of a table.
pub fn partition_dir(table: &str, dt: &str) -> String {
    format!("{table}/{PARTITION_COLUMN}={dt}")
}

/// Reads `dt` back out of a relative file path.
pub fn dt_of(path: &str) -> Option<&str> {
    path.split('/')
        .find_map(|seg| seg.strip_prefix(PARTITION_COLUMN)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn files_are_partitioned_by_scan_date() {
        let id = ScanIdentity {
            run_id: "run/1".into(),
            account: "111122223333".into(),
            week: "2026-W21".parse().unwrap(),
            scan_time: chrono::Utc.with_ymd_and_hms(2026, 5, 18, 2, 0, 0).unwrap(),
            source: lake_core::source::PROWLER.into(),
        };
        let p = table_file(FINDINGS_TABLE, &id);
        assert_eq!(p, "findings/dt=2026-05-18/111122223333-run_2f1.parquet");
        assert_eq!(
            ScanFiles::legacy(&id).path(SCANS_TABLE),
            "scans/dt=2026-05-18/111122223333-run_1.parquet"
        );
        assert_eq!(dt_of(&p), Some("2026-05-18"));
    }
}
