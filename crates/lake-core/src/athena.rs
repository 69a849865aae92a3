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

/// `CREATE EXTERNAL TABLE` for one table of the lake.
pub fn create_table(
    options: &DdlOptions,
    table: &str,
    columns: &[Column],
    comment: &str,
) -> Result<String, UnsupportedType> {
    let location = format!("{}/{table}/", options.location.trim_end_matches('/'));
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

/// The database and both tables, ready to paste into the Athena console.
pub fn ddl(options: &DdlOptions) -> Result<String, UnsupportedType> {
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
        for (table, columns) in [("findings", findings_columns()), ("scans", scans_columns())] {
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
