//! `lake-synth`: writes realistic Prowler 5 OCSF scan files for benchmarks.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use lake_synth::{bytes_per_finding, write_scan, ScanSpec};

/// Seeded generator of Prowler 5 OCSF scan files.
#[derive(Parser)]
#[command(name = "lake-synth", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// One scan file of about the given size.
    File {
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Approximate size in MB.
        #[arg(long)]
        mb: f64,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Account id.
        #[arg(long, default_value = "111122223333")]
        account: String,
    },
    /// A week of an organisation in the scanning task's S3 layout:
    /// `<out>/<week>/<run>/<account>/json-ocsf/prowler-output-<account>-<ts>.ocsf.json`.
    Week {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Accounts.
        #[arg(long, default_value_t = 15)]
        accounts: usize,
        /// Approximate total size in MB; account sizes follow a long tail.
        #[arg(long, default_value_t = 635.0)]
        total_mb: f64,
        /// Seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::File {
            out,
            mb,
            seed,
            account,
        } => {
            let n = ((mb * 1e6) / bytes_per_finding() as f64).round() as usize;
            let spec = ScanSpec::new(seed, &account, n);
            let mut w =
                BufWriter::new(File::create(&out).with_context(|| out.display().to_string())?);
            write_scan(&spec, &mut w)?;
            println!("{} ({n} findings)", out.display());
        }
        Command::Week {
            out,
            accounts,
            total_mb,
            seed,
        } => {
            let weights: Vec<f64> = (1..=accounts).map(|k| (k as f64).powf(-0.8)).collect();
            let sum: f64 = weights.iter().sum();
            let per = bytes_per_finding() as f64;
            for (i, w) in weights.iter().enumerate() {
                let account = format!("{:012}", 100_000_000_000u64 + i as u64 * 7_777_777);
                let n = ((total_mb * 1e6 * w / sum) / per).round() as usize;
                let dir = out
                    .join("2026-W21/run-20260518T020000Z")
                    .join(&account)
                    .join("json-ocsf");
                std::fs::create_dir_all(&dir)?;
                let path = dir.join(format!("prowler-output-{account}-20260518020000.ocsf.json"));
                let spec = ScanSpec::new(seed + i as u64, &account, n);
                let mut f = BufWriter::new(File::create(&path)?);
                write_scan(&spec, &mut f)?;
                println!("{} ({n} findings)", path.display());
            }
        }
    }
    Ok(())
}
