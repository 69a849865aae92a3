//! `make-bench-lake`: writes a lake of an organisation's weekly scans for the query
//! benchmarks (default: 100 accounts × 52 weeks × 5,000 findings = 26 M findings).
//!
//! Each account's scan is generated once by `lake-synth` and decoded by the real decoder;
//! every week then rewrites the run columns, flips the status of ~4% of the findings and
//! drops ~1% (resolved by absence), and writes the files exactly where `lake ingest` would,
//! with the same writer properties, plus one manifest row per scan and the caches ingest
//! keeps (manifest snapshot, failure index, observed cells).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow::array::{
    ArrayRef, AsArray, BooleanArray, Date32Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::compute::filter_record_batch;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use clap::Parser;
use lake_core::{
    DecodeReport, DecoderOptions, IsoWeek, OcsfDecoder, Overrides, PathHints, ScanIdentity,
    ScanStatus,
};
use lake_store::layout::{table_file, FINDINGS_TABLE, SCANS_TABLE};
use lake_store::manifest::{to_batch, ScanRecord};
use lake_store::source::{Source, SourceKind};
use lake_store::writer::{manifest_properties, sort_findings, writer_properties};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;

/// Generate a benchmark lake.
#[derive(Parser)]
struct Args {
    /// Lake directory to write.
    #[arg(long)]
    out: PathBuf,
    /// Accounts.
    #[arg(long, default_value_t = 100)]
    accounts: usize,
    /// Weeks, ending with 2025-W52.
    #[arg(long, default_value_t = 52)]
    weeks: u32,
    /// Findings per account per week.
    #[arg(long, default_value_t = 5000)]
    findings: usize,
}

fn mix(a: u64, b: u64, c: u64) -> u64 {
    let mut rng =
        lake_synth::Rng::new(a.wrapping_mul(0x9E37_79B9) ^ b.wrapping_mul(0x85EB_CA6B) ^ c);
    rng.next_u64()
}

fn template(account: &str, seed: u64, findings: usize) -> Result<RecordBatch> {
    let mut json = Vec::new();
    lake_synth::write_scan(
        &lake_synth::ScanSpec::new(seed, account, findings),
        &mut json,
    )?;
    let mut d = OcsfDecoder::new(
        "template",
        PathHints::default(),
        Overrides::default(),
        DecoderOptions::default(),
    );
    let mut batches = Vec::new();
    let mut rest = &json[..];
    while !rest.is_empty() {
        rest = &rest[d.decode(rest)?..];
        if d.is_full() {
            batches.extend(d.flush()?);
        }
    }
    d.finish()?;
    batches.extend(d.flush()?);
    let first = batches.first().context("no findings")?;
    Ok(arrow::compute::concat_batches(&first.schema(), &batches)?)
}

fn week_batch(
    t: &RecordBatch,
    account_index: u64,
    week: IsoWeek,
    identity: &ScanIdentity,
    source_uri: &str,
) -> Result<RecordBatch> {
    let n = t.num_rows();
    let schema = t.schema();
    let status = t
        .column_by_name("status_code")
        .context("status_code")?
        .as_string::<i32>();
    let week_no = u64::from(week.week);
    let statuses: StringArray = (0..n)
        .map(|i| {
            let s = status.value(i);
            let flip = mix(account_index, i as u64, week_no) % 100 < 4;
            Some(match (s, flip) {
                ("PASS", true) => "FAIL",
                ("FAIL", true) => "PASS",
                (s, _) => s,
            })
        })
        .collect();
    let keep: BooleanArray = (0..n)
        .map(|i| Some(!mix(account_index ^ 0xABCD, i as u64, week_no).is_multiple_of(100)))
        .collect();
    let micros = identity.scan_time.timestamp_micros();
    let days = (identity.scan_time.date_naive()
        - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default())
    .num_days() as i32;
    let mut columns: Vec<ArrayRef> = t.columns().to_vec();
    for (i, field) in schema.fields().iter().enumerate() {
        let constant = |v: &str| -> ArrayRef { Arc::new(StringArray::from(vec![v; n])) };
        columns[i] = match field.name().as_str() {
            "status_code" => Arc::new(statuses.clone()),
            "run_id" => constant(&identity.run_id),
            "week" => constant(&week.to_string()),
            "source_uri" => constant(source_uri),
            "scan_time" => {
                Arc::new(TimestampMicrosecondArray::from(vec![micros; n]).with_timezone("UTC"))
            }
            "scan_date" => Arc::new(Date32Array::from(vec![days; n])),
            _ => continue,
        };
    }
    let batch = RecordBatch::try_new(schema, columns)?;
    Ok(sort_findings(&filter_record_batch(&batch, &keep)?)?)
}

fn write_parquet(path: &Path, batch: &RecordBatch, props: WriterProperties) -> Result<()> {
    std::fs::create_dir_all(path.parent().context("parent")?)?;
    let mut w = ArrowWriter::try_new(File::create(path)?, batch.schema(), Some(props))?;
    w.write(batch)?;
    w.close()?;
    Ok(())
}

fn main() -> Result<()> {
    let args = Args::parse();
    let accounts: Vec<String> = (0..args.accounts)
        .map(|a| format!("{:012}", 200_000_000_000u64 + a as u64 * 1_000_003))
        .collect();
    eprintln!(
        "decoding {} account templates of {} findings",
        accounts.len(),
        args.findings
    );
    let templates: Vec<RecordBatch> = accounts
        .par_iter()
        .enumerate()
        .map(|(i, a)| template(a, i as u64 + 1, args.findings))
        .collect::<Result<_>>()?;
    let last = NaiveDate::from_isoywd_opt(2025, 52, chrono::Weekday::Mon).context("week")?;
    let weeks: Vec<NaiveDate> = (0..args.weeks)
        .rev()
        .map(|k| last - Duration::weeks(i64::from(k)))
        .collect();
    let jobs: Vec<(usize, NaiveDate)> = weeks
        .iter()
        .flat_map(|w| (0..accounts.len()).map(move |a| (a, *w)))
        .collect();
    eprintln!("writing {} scans", jobs.len());
    jobs.par_iter().try_for_each(|&(a, monday)| -> Result<()> {
        let week = IsoWeek::of(monday);
        let run_id = format!("run-{}", monday.format("%Y%m%d"));
        let start = Utc.from_utc_datetime(&monday.and_hms_opt(2, 0, 0).context("time")?);
        let identity = ScanIdentity {
            run_id: run_id.clone(),
            account: accounts[a].clone(),
            week,
            scan_time: start + Duration::seconds(a as i64 * 13),
            source: lake_core::source::PROWLER.into(),
        };
        let source_uri = format!(
            "s3://bench-scans/{week}/{run_id}/{acct}/json-ocsf/prowler-output-{acct}-{ts}.ocsf.json",
            acct = accounts[a],
            ts = identity.scan_time.format("%Y%m%d%H%M%S")
        );
        let batch = week_batch(&templates[a], a as u64, week, &identity, &source_uri)?;
        let rel = table_file(FINDINGS_TABLE, &identity);
        write_parquet(&args.out.join(&rel), &batch, writer_properties())?;
        let status = batch.column_by_name("status_code").context("status")?.as_string::<i32>();
        let count = |s: &str| status.iter().filter(|v| *v == Some(s)).count() as i64;
        let mut report = DecodeReport::default();
        report.counts.findings = batch.num_rows() as i64;
        report.counts.pass = count("PASS");
        report.counts.fail = count("FAIL");
        report.counts.manual = count("MANUAL");
        report.counts.providers.insert("aws".into());
        let regions = batch.column_by_name("region").context("region")?.as_string::<i32>();
        report.counts.regions = regions.iter().flatten().map(str::to_owned).collect();
        let source = Source {
            uri: source_uri,
            kind: SourceKind::Local(PathBuf::new()),
            size: 0,
            modified: None,
            etag: None,
        };
        let record = ScanRecord::new(&source, &identity, true, &report, ScanStatus::Succeeded, None, Some(rel));
        write_parquet(
            &args.out.join(table_file(SCANS_TABLE, &identity)),
            &to_batch(&record)?,
            manifest_properties(),
        )?;
        Ok(())
    })?;
    eprintln!("writing the manifest snapshot, the failure index and the observed cells");
    let lake = lake_store::Location::local(&args.out, true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(lake_store::snapshot::refresh(&lake))?;
    runtime.block_on(lake_store::failures::refresh(&lake))?;
    // What ingest stores beside each findings file (counted from the files written above).
    runtime.block_on(lake_store::observed::refresh(&lake))?;
    eprintln!("done: {}", args.out.display());
    Ok(())
}
