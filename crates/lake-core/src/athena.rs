//! Athena (Glue / Hive) DDL for the lake's tables, generated from the schema the writer uses.
//!
//! Nothing here is kept by hand beside [`crate::schema`]: the column list and every type come
//! from it, and a type Athena cannot read (an unsigned integer, a nanosecond timestamp) is an
//! error rather than a guess. Partitions are found by partition projection on `dt`, so new
//! weeks need no crawler and no `MSCK REPAIR TABLE`.

use std::fmt::Write as _;

use arrow::datatypes::{DataType, TimeUnit};

use crate::schema::{findings_columns, scans_columns, Column, PARTITION_COLUMN};

/// The earliest `dt` partition projection enumerates unless told otherwise.
pub const DEFAULT_PROJECTION_START: &str = "2024-01-01";

/// What the DDL is generated for.
#[derive(Debug, Clone)]
pub struct DdlOptions {
    /// The lake root, `s3://bucket/prefix` (no trailing slash needed).
    pub location: String,
    /// The Glue database.
    pub database: String,
    /// The first `dt` partition projection considers, `YYYY-MM-DD`.
    pub projection_start: String,
}

/// Why the DDL was not generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DdlError {
    /// A column's type has no Athena equivalent.
    #[error(transparent)]
    UnsupportedType(#[from] UnsupportedType),
    /// An option would not be pasted into the DDL as it is: the DDL is text a user runs, so
    /// an option that could end a string, a comment or a statement is refused.
    #[error("--{option} {value:?}: {reason}")]
    InvalidOption {
        /// The option (`location`, `database`, `start`).
        option: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
}

impl DdlOptions {
    /// Checks each option against what the DDL can carry verbatim: `location` an
    /// `s3://bucket/prefix` (or `s3a://`, or `file:///` for Spark and Hive over a local lake)
    /// of printable ASCII without quotes, `$` or `\\`; `database` a Glue name (lower-case
    /// letters, digits, `_`, at most 255); `projection_start` a date `YYYY-MM-DD`.
    pub fn validate(&self) -> Result<(), DdlError> {
        let invalid = |option, value: &str, reason| DdlError::InvalidOption {
            option,
            value: value.to_owned(),
            reason,
        };
        let location = self.location.as_str();
        let rest = ["s3://", "s3a://", "file:///"]
            .iter()
            .find_map(|scheme| location.strip_prefix(scheme))
            .ok_or_else(|| {
                invalid(
                    "location",
                    location,
                    "must be an s3:// URL, e.g. s3://bucket/prefix",
                )
            })?;
        if !location.starts_with("file:") && rest.split('/').next().is_none_or(str::is_empty) {
            return Err(invalid("location", location, "names no bucket"));
        }
        if !location
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'\'' | b'`' | b'$' | b'\\' | b';'))
        {
            return Err(invalid(
                "location",
                location,
                "must be printable ASCII without spaces, quotes, `;`, `$` or `\\`",
            ));
        }
        let db = self.database.as_str();
        if db.is_empty()
            || db.len() > 255
            || !db
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(invalid(
                "database",
                db,
                "must be lower-case letters, digits and _ (a Glue database name)",
            ));
        }
        let start = self.projection_start.as_bytes();
        let date_shaped = start.len() == 10
            && start.iter().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    *b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !date_shaped {
            return Err(invalid(
                "start",
                &self.projection_start,
                "must be a date, YYYY-MM-DD",
            ));
        }
        Ok(())
    }
}

/// An Arrow type with no faithful Athena type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: type {data_type} has no Athena equivalent")]
pub struct UnsupportedType {
    /// The column.
    pub column: String,
    /// The Arrow type.
    pub data_type: String,
}

/// The Athena (Hive DDL) spelling of an Arrow type.
pub fn athena_type(t: &DataType) -> Option<String> {
    Some(match t {
        DataType::Utf8 => "string".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Int8 => "tinyint".into(),
        DataType::Int16 => "smallint".into(),
        DataType::Int32 => "int".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Date32 => "date".into(),
        // Athena reads INT64 timestamps in milliseconds or microseconds, never nanoseconds.
        DataType::Timestamp(TimeUnit::Microsecond | TimeUnit::Millisecond, _) => "timestamp".into(),
        DataType::List(f) => format!("array<{}>", athena_type(f.data_type())?),
        DataType::Struct(fields) => {
            let parts: Option<Vec<String>> = fields
                .iter()
                .map(|f| Some(format!("{}:{}", f.name(), athena_type(f.data_type())?)))
                .collect();
            format!("struct<{}>", parts?.join(","))
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => format!(
                "map<{},{}>",
                athena_type(kv[0].data_type())?,
                athena_type(kv[1].data_type())?
            ),
            _ => return None,
        },
        _ => return None,
    })
}

/// `CREATE EXTERNAL TABLE ... (` and the columns with their Athena types.
fn table_head(
    options: &DdlOptions,
    table: &str,
    columns: &[Column],
) -> Result<String, UnsupportedType> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "CREATE EXTERNAL TABLE IF NOT EXISTS `{}`.`{table}` (",
        options.database
    );
    for (i, c) in columns.iter().enumerate() {
        let t = athena_type(&c.data_type).ok_or_else(|| UnsupportedType {
            column: c.name.to_owned(),
            data_type: c.data_type.to_string(),
        })?;
        let sep = if i + 1 < columns.len() { "," } else { "" };
        let _ = writeln!(out, "  `{}` {t}{sep}", c.name);
    }
    Ok(out)
}

/// `CREATE EXTERNAL TABLE` for one table of the lake.
pub fn create_table(
    options: &DdlOptions,
    table: &str,
    columns: &[Column],
    comment: &str,
) -> Result<String, UnsupportedType> {
    let location = format!("{}/{table}/", options.location.trim_end_matches('/'));
    let mut out = table_head(options, table, columns)?;
    let _ = write!(
        out,
        ")\n\
         COMMENT '{comment}'\n\
         PARTITIONED BY (`{PARTITION_COLUMN}` string)\n\
         STORED AS PARQUET\n\
         LOCATION '{location}'\n\
         TBLPROPERTIES (\n  \
           'projection.enabled' = 'true',\n  \
           'projection.{PARTITION_COLUMN}.type' = 'date',\n  \
           'projection.{PARTITION_COLUMN}.format' = 'yyyy-MM-dd',\n  \
           'projection.{PARTITION_COLUMN}.range' = '{start},NOW',\n  \
           'projection.{PARTITION_COLUMN}.interval' = '1',\n  \
           'projection.{PARTITION_COLUMN}.interval.unit' = 'DAYS',\n  \
           'storage.location.template' = '{location}{PARTITION_COLUMN}=${{{PARTITION_COLUMN}}}/'\n\
         );\n",
        start = options.projection_start,
    );
    Ok(out)
}

/// `CREATE EXTERNAL TABLE` for one of the small, unpartitioned context tables, stored at
/// `context/<name without the prefix>/`.
pub fn create_context_table(
    options: &DdlOptions,
    table: &str,
    columns: &[Column],
) -> Result<String, UnsupportedType> {
    let dir = table.trim_start_matches("context_");
    let location = format!("{}/context/{dir}/", options.location.trim_end_matches('/'));
    let mut out = table_head(options, table, columns)?;
    let _ = write!(
        out,
        ")\n\
         COMMENT 'lake business context (lake context set), one file per version'\n\
         STORED AS PARQUET\n\
         LOCATION '{location}';\n"
    );
    Ok(out)
}

/// The database and both tables, ready to paste into the Athena console; the options are
/// validated first (see [`DdlOptions::validate`]).
pub fn ddl(options: &DdlOptions) -> Result<String, DdlError> {
    options.validate()?;
    let mut out = format!(
        "-- lake tables over {location}: Parquet, Hive-partitioned on dt (UTC scan date),\n\
         -- partitions found by projection (no crawler, no MSCK REPAIR TABLE needed).\n\
         CREATE DATABASE IF NOT EXISTS `{db}`;\n\n",
        location = options.location.trim_end_matches('/'),
        db = options.database
    );
    out.push_str(&create_table(
        options,
        "findings",
        findings_columns(),
        "Prowler OCSF findings, one row per finding per account scan",
    )?);
    out.push('\n');
    out.push_str(&create_table(
        options,
        "scans",
        scans_columns(),
        "Ingest manifest, one row per ingested scan file",
    )?);
    for (table, columns) in crate::schema::context_tables() {
        out.push('\n');
        out.push_str(&create_context_table(options, table, columns)?);
    }
    Ok(out)
}

/// The `Columns` of a Glue table (CloudFormation YAML, `AWS::Glue::Table`), each line
/// indented by `indent` spaces: what `deploy/template.yaml` declares, checked by a test.
pub fn glue_columns_yaml(columns: &[Column], indent: usize) -> Result<String, UnsupportedType> {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for c in columns {
        let t = athena_type(&c.data_type).ok_or_else(|| UnsupportedType {
            column: c.name.to_owned(),
            data_type: c.data_type.to_string(),
        })?;
        let _ = writeln!(out, "{pad}- Name: {}\n{pad}  Type: \"{t}\"", c.name);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::Field;
    use std::sync::Arc;

    fn options_of(location: &str, database: &str, start: &str) -> DdlOptions {
        DdlOptions {
            location: location.into(),
            database: database.into(),
            projection_start: start.into(),
        }
    }

    #[test]
    fn options_that_would_escape_the_ddl_are_refused() {
        for (location, database, start, option) in [
            ("bucket/lake", "lake", "2024-01-01", "location"),
            ("s3:///lake", "lake", "2024-01-01", "location"),
            (
                "s3://b/l\nDROP TABLE x; --",
                "lake",
                "2024-01-01",
                "location",
            ),
            ("s3://b/l'x", "lake", "2024-01-01", "location"),
            ("s3://b/l x", "lake", "2024-01-01", "location"),
            ("s3://b/l$x", "lake", "2024-01-01", "location"),
            ("s3://b/l", "Bad-Name", "2024-01-01", "database"),
            ("s3://b/l", "lake`; DROP", "2024-01-01", "database"),
            ("s3://b/l", "", "2024-01-01", "database"),
            ("s3://b/l", "lake", "2024-01-01',x", "start"),
        ] {
            match ddl(&options_of(location, database, start)) {
                Err(DdlError::InvalidOption { option: o, .. }) => {
                    assert_eq!(o, option, "{location} {database} {start}")
                }
                other => panic!("{location} {database} {start}: {other:?}"),
            }
        }
        for location in ["s3://bucket/lake", "s3a://b/p/q", "file:///tmp/lake"] {
            assert!(
                ddl(&options_of(location, "security", "2024-01-01")).is_ok(),
                "{location}"
            );
        }
    }

    fn options() -> DdlOptions {
        DdlOptions {
            location: "s3://bucket/lake/".into(),
            database: "security".into(),
            projection_start: "2025-01-01".into(),
        }
    }

    #[test]
    fn every_column_of_both_tables_has_an_athena_type() {
        for c in findings_columns().iter().chain(scans_columns()) {
            assert!(athena_type(&c.data_type).is_some(), "{}", c.name);
        }
    }

    #[test]
    fn the_deploy_template_declares_the_tables_of_the_schema() {
        let template = include_str!("../../../deploy/template.yaml");
        let tables = [("findings", findings_columns()), ("scans", scans_columns())]
            .into_iter()
            .chain(crate::schema::context_tables());
        for (table, columns) in tables {
            let block = glue_columns_yaml(columns, 12).unwrap();
            assert!(
                template.contains(&block),
                "deploy/template.yaml: the Columns of the {table} table must be exactly:\n{block}"
            );
        }
    }

    #[test]
    fn types_athena_misreads_are_refused() {
        assert_eq!(athena_type(&DataType::UInt64), None);
        assert_eq!(
            athena_type(&DataType::Timestamp(TimeUnit::Nanosecond, None)),
            None
        );
        let list = DataType::List(Arc::new(Field::new("element", DataType::UInt8, true)));
        assert_eq!(athena_type(&list), None);
    }

    #[test]
    fn the_ddl_partitions_by_projection_on_dt() {
        let ddl = ddl(&options()).unwrap();
        assert!(ddl.contains("CREATE EXTERNAL TABLE IF NOT EXISTS `security`.`findings` ("));
        assert!(ddl.contains("LOCATION 's3://bucket/lake/findings/'"));
        assert!(ddl.contains("'storage.location.template' = 's3://bucket/lake/findings/dt=${dt}/'"));
        assert!(ddl.contains("'projection.dt.range' = '2025-01-01,NOW'"));
        assert!(ddl.contains("PARTITIONED BY (`dt` string)"));
        assert!(ddl.contains("`scan_time` timestamp,"));
        assert!(ddl.contains(
            "`resources` array<struct<uid:string,name:string,type:string,\
             region:string,namespace:string,service:string,tags:map<string,string>>>,"
        ));
        assert!(ddl.contains("`compliance` map<string,array<string>>,"));
        assert!(
            !ddl.contains("`dt` string,"),
            "dt is a partition, not a column"
        );
    }
}
